import CRDModels
import KubeClient

/// The finalizer that lets a resource remove its Secret from ServiceAccounts' `imagePullSecrets`
/// before it goes (the garbage collector removes the Secrets themselves via ownerReferences).
/// Only resources that name ServiceAccounts carry it, so deleting any other resource never waits
/// for the operator.
struct ServiceAccountFinalizer<R: ImagePullSecretResource>: Sendable {
    let api: any KubeObjectAPI

    /// Adds the finalizer when the resource patches ServiceAccounts and lacks it. Returns true when it wrote.
    func ensure(_ resource: R) async throws -> Bool {
        let wants = !(resource.spec.serviceAccounts ?? []).isEmpty
        let has = resource.metadata.finalizers?.contains(Finalizers.serviceAccounts) ?? false
        guard wants, !has else { return false }
        try await setFinalizers(resource, (resource.metadata.finalizers ?? []) + [Finalizers.serviceAccounts])
        return true
    }

    /// On deletion: removes the Secret from the ServiceAccounts of `namespaces`, then the finalizer.
    func finalize(_ resource: R, namespaces: [String]) async throws {
        guard resource.metadata.finalizers?.contains(Finalizers.serviceAccounts) ?? false else { return }
        let patcher = ServiceAccountPatcher(api: api)
        for namespace in namespaces {
            for account in resource.spec.serviceAccounts ?? [] {
                try await patcher.ensure(
                    secretName: resource.spec.secretName, serviceAccount: account, namespace: namespace, present: false)
            }
        }
        try await setFinalizers(resource, (resource.metadata.finalizers ?? []).filter { $0 != Finalizers.serviceAccounts })
    }

    private func setFinalizers(_ resource: R, _ finalizers: [String]) async throws {
        try await Self.setFinalizers(resource, finalizers, api: api)
    }

    /// Merge patch of `metadata.finalizers` guarded by the resourceVersion (a list replaces wholesale).
    static func setFinalizers(_ resource: R, _ finalizers: [String], api: any KubeObjectAPI) async throws {
        let patch: JSONValue = .object([
            "metadata": .object([
                "resourceVersion": .string(resource.metadata.resourceVersion ?? ""),
                "finalizers": .array(finalizers.map { .string($0) }),
            ])
        ])
        _ = try await api.patch(
            R.self, name: resource.metadata.name ?? "", namespace: resource.metadata.namespace, mergePatch: patch)
    }
}
