import CRDModels
import FoundationEssentials
import KubeClient

/// Reconciles one `ClusterAWSECRImagePullSecret` (key: its name): the Secret in every namespace of
/// `spec.namespaces` ∪ `spec.namespaceSelector`.
///
/// Guarantees:
/// - Targets are recomputed from the namespace cache on every reconcile; terminating namespaces are
///   skipped; listed-but-missing namespaces are reported (`NamespaceMissing`), not created.
/// - Each namespace is written independently: a conflict or failure in one is reported in
///   `status.failedNamespaces` while the others sync.
/// - Managed Secrets of this resource in namespaces that left the selection are deleted (uid
///   precondition, so a replaced Secret is never deleted).
/// - Credentials come from `secretRef.namespace`, inline keys, or the operator's identity unless
///   `--allow-ambient-credentials=none`.
///
/// Assumptions: the namespace and managed-Secret caches are synced; a namespace change enqueues
/// the cluster resources that list or select it (`isAffected(_:byNamespaceChange:)`).
public struct ClusterReconciler: Sendable {
    public let dependencies: ReconcilerDependencies

    public init(dependencies: ReconcilerDependencies) { self.dependencies = dependencies }

    public func reconcile(key name: String) async throws -> ReconcileResult {
        guard let resource = dependencies.caches.clusterResources.get(namespace: nil, name: name) else {
            dependencies.selections.forget(name)
            return .done
        }
        let selection = dependencies.selections.selection(
            for: name, list: resource.spec.namespaces ?? [], selector: resource.spec.namespaceSelector,
            watchNamespace: dependencies.settings.watchNamespace, namespaces: dependencies.caches.namespaces)
        let finalizer = ServiceAccountFinalizer<ClusterAWSECRImagePullSecret>(api: dependencies.api)
        if resource.metadata.deletionTimestamp != nil {
            try await finalizer.finalize(resource, namespaces: selection.targets)
            return .done
        }
        if try await finalizer.ensure(resource) { return .done }

        let validation = resource.validate(ambientPolicy: dependencies.settings.ambientPolicy)
        return try await ImagePullSecretSync<ClusterAWSECRImagePullSecret>(dependencies: dependencies).run(
            resource, validation: validation,
            targets: .init(
                namespaces: selection.targets, missing: selection.missing,
                prune: { stale(of: resource, selection: selection) },
                credentialsNamespace: resource.spec.awsAccess.secretRef?.namespace))
    }

    /// The managed Secrets of this resource in namespaces that left the selection.
    private func stale(
        of resource: ClusterAWSECRImagePullSecret, selection: NamespaceSelection.Result
    ) -> [(namespace: String, name: String)] {
        let owned = ownedSecrets(of: resource)
        let pruneNamespaces = Set(
            NamespaceSelection.toPrune(managedSecretNamespaces: owned.map { $0.metadata.namespace ?? "" }, result: selection))
        return owned.filter { pruneNamespaces.contains($0.metadata.namespace ?? "") }.map {
            (namespace: $0.metadata.namespace ?? "", name: $0.metadata.name ?? "")
        }
    }

    /// Managed Secrets (metadata cache) controlled by this resource; without the cache, the ones
    /// this process wrote.
    private func ownedSecrets(of resource: ClusterAWSECRImagePullSecret) -> [PartialObjectMetadata] {
        guard let uid = resource.metadata.uid else { return [] }
        guard dependencies.settings.watchSecrets else {
            return dependencies.written.secrets(ownerUID: uid).map {
                PartialObjectMetadata(metadata: ObjectMeta(name: $0.name, namespace: $0.namespace))
            }
        }
        return dependencies.caches.managedSecrets.items(indexedUnder: uid)
    }
}
