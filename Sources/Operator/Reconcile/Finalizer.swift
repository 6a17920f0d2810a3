import CRDModels
import KubeClient

/// The finalizer that lets a resource remove its Secret from ServiceAccounts' `imagePullSecrets`
/// before it goes (the garbage collector removes the Secrets themselves via ownerReferences).
/// Only resources that name ServiceAccounts carry it, so deleting any other resource never waits
/// for the operator.
struct ServiceAccountFinalizer<R: ImagePullSecretResource>: Sendable {
    let context: ReconcileContext

    /// Adds the finalizer when the resource patches ServiceAccounts and lacks it. Returns true when it wrote.
    func ensure(_ resource: R) async throws -> Bool {
        let wants = !(resource.spec.serviceAccounts ?? []).isEmpty
        let has = resource.metadata.finalizers?.contains(ReconcileContext.finalizer) ?? false
        guard wants, !has else { return false }
        try await setFinalizers(resource, (resource.metadata.finalizers ?? []) + [ReconcileContext.finalizer])
        return true
    }

    /// On deletion: removes the Secret from the ServiceAccounts of `namespaces`, then the finalizer.
    func finalize(_ resource: R, namespaces: [String]) async throws {
        guard resource.metadata.finalizers?.contains(ReconcileContext.finalizer) ?? false else { return }
        for namespace in namespaces {
            for account in resource.spec.serviceAccounts ?? [] {
                try await context.serviceAccounts.ensure(
                    secretName: resource.spec.secretName, serviceAccount: account, namespace: namespace, present: false)
            }
        }
        try await setFinalizers(resource, (resource.metadata.finalizers ?? []).filter { $0 != ReconcileContext.finalizer })
    }

    private func setFinalizers(_ resource: R, _ finalizers: [String]) async throws {
        try await Self.setFinalizers(resource, finalizers, client: context.client)
    }

    /// Merge patch of `metadata.finalizers` guarded by the resourceVersion (a list replaces wholesale).
    static func setFinalizers(_ resource: R, _ finalizers: [String], client: KubeClient) async throws {
        let patch: JSONValue = .object([
            "metadata": .object([
                "resourceVersion": .string(resource.metadata.resourceVersion ?? ""),
                "finalizers": .array(finalizers.map { .string($0) }),
            ])
        ])
        _ = try await client.patch(
            R.self, name: resource.metadata.name ?? "", namespace: resource.metadata.namespace, mergePatch: patch)
    }
}
