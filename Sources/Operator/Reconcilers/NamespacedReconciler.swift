import CRDModels
import FoundationEssentials
import KubeClient

/// Reconciles one `AWSECRImagePullSecret` (key `namespace/name`): one Secret in its own namespace.
///
/// Guarantees:
/// - Credentials come only from a Secret in the resource's own namespace, inline keys, or the
///   operator's identity when `--allow-ambient-credentials=all`.
/// - An invalid spec gets `Ready=False` (`InvalidSpec`, naming the rule) and no AWS call.
/// - The Secret is written in place, never emptied, never taken from another owner without the
///   adopt annotation; on any failure the last good Secret stays and status says why.
/// - Returns `requeueAfter` at the refresh schedule; failures throw and back off per key.
///
/// Assumptions: the informer caches (resources, managed Secret metadata) are synced before the
/// first reconcile; the garbage collector deletes the Secret when the resource goes.
public struct NamespacedReconciler: Sendable {
    public let dependencies: ReconcilerDependencies

    public init(dependencies: ReconcilerDependencies) { self.dependencies = dependencies }

    public func reconcile(key: String) async throws -> ReconcileResult {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return .done }
        let (namespace, name) = (parts[0], parts[1])
        guard let resource = dependencies.caches.namespacedResources.get(namespace: namespace, name: name) else {
            return .done
        }
        let finalizer = ServiceAccountFinalizer<AWSECRImagePullSecret>(api: dependencies.api)
        if resource.metadata.deletionTimestamp != nil {
            try await finalizer.finalize(resource, namespaces: [namespace])
            return .done
        }
        // Adding the finalizer changes the resource; the watch brings the next reconcile.
        if try await finalizer.ensure(resource) { return .done }

        var targets: [String] = [namespace]
        if let watch = dependencies.settings.watchNamespace, watch != namespace { targets = [] }
        return try await ImagePullSecretSync<AWSECRImagePullSecret>(dependencies: dependencies).run(
            resource, validation: resource.validate(ambientPolicy: dependencies.settings.ambientPolicy),
            targets: .init(namespaces: targets, missing: [], prune: { [] }, credentialsNamespace: namespace))
    }
}
