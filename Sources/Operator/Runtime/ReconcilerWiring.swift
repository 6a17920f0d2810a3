import CRDModels
import KubeClient

/// How a reconciler is wired to the watches, declared beside it (controller-runtime's builder
/// `For`/`Owns`/`Watches`, kube-rs `Controller::owns/watches`): its primary kind, and pure functions
/// from a change elsewhere to the keys it must reconcile. The runtime runs each watch once and asks
/// every reconciler's wiring which keys a change wakes.
public protocol ReconcilerWiring: Sendable {
    /// For: the primary kind; its changes wake its own key (`resourceChangeMatters`).
    associatedtype Resource: ImagePullSecretResource

    init(dependencies: ReconcilerDependencies)
    func reconcile(key: String) async throws -> ReconcileResult

    /// Owns: the key of the resource of this kind that controls a managed Secret, read from the Secret's
    /// owner labels; nil when another kind owns it.
    static func owner(ofManagedSecret metadata: ObjectMeta) -> String?
    /// Watches: the credentials Secret (`namespace/name`) a resource reads. The resource cache is indexed
    /// by it, so a change of that Secret finds its readers without a scan.
    static func credentialsSecret(of resource: Resource) -> String?
    /// Watches: whether a namespace change can change what `resource` targets or reports (the namespace
    /// came, went, was relabelled or started terminating).
    static func isAffected(_ resource: Resource, byNamespaceChange change: ResourceChange<CachedNamespace>) -> Bool
}

extension ReconcilerWiring {
    /// A resource's key: `namespace/name`, or `name` for the cluster kind.
    public static func key(of resource: Resource) -> String { ObjectStore<Resource>.key(of: resource) }

    /// Whether a resource change needs a reconcile. Status-only changes (our own status writes) do not:
    /// spec changes bump `generation`; deletion, finalizers, labels and annotations count.
    public static func resourceChangeMatters(_ change: ResourceChange<Resource>) -> Bool {
        guard case .updated(let old, let new) = change else { return true }
        return old.metadata.generation != new.metadata.generation
            || old.metadata.deletionTimestamp != new.metadata.deletionTimestamp
            || old.metadata.finalizers != new.metadata.finalizers
            || old.metadata.labels != new.metadata.labels
            || old.metadata.annotations != new.metadata.annotations
            || old.metadata.uid != new.metadata.uid
    }

    /// Owner labels naming this kind: the owner's name and, for the namespaced kind, its namespace.
    static func ownerLabels(of metadata: ObjectMeta) -> (namespace: String?, name: String)? {
        guard let labels = metadata.labels, labels[Labels.ownerKind] == Resource.resource.kind,
            let name = labels[Labels.ownerName]
        else { return nil }
        return (labels[Labels.ownerNamespace] ?? metadata.namespace, name)
    }
}

extension NamespacedReconciler: ReconcilerWiring {
    public static func owner(ofManagedSecret metadata: ObjectMeta) -> String? {
        ownerLabels(of: metadata).map { ObjectStore<AWSECRImagePullSecret>.key(namespace: $0.namespace, name: $0.name) }
    }

    /// A namespaced resource reads credentials only from its own namespace.
    public static func credentialsSecret(of resource: AWSECRImagePullSecret) -> String? {
        guard let name = resource.spec.awsAccess.secretRef?.name, let namespace = resource.metadata.namespace else {
            return nil
        }
        return "\(namespace)/\(name)"
    }

    /// Its one namespace is its own; namespace changes never change it.
    public static func isAffected(
        _ resource: AWSECRImagePullSecret, byNamespaceChange change: ResourceChange<CachedNamespace>
    ) -> Bool { false }
}

extension ClusterReconciler: ReconcilerWiring {
    public static func owner(ofManagedSecret metadata: ObjectMeta) -> String? { ownerLabels(of: metadata)?.name }

    public static func credentialsSecret(of resource: ClusterAWSECRImagePullSecret) -> String? {
        guard let ref = resource.spec.awsAccess.secretRef, let namespace = ref.namespace, !namespace.isEmpty else {
            return nil
        }
        return "\(namespace)/\(ref.name)"
    }

    /// A namespace it lists or selects, before or after the change.
    public static func isAffected(
        _ resource: ClusterAWSECRImagePullSecret, byNamespaceChange change: ResourceChange<CachedNamespace>
    ) -> Bool {
        func selects(_ namespace: CachedNamespace) -> Bool {
            resource.spec.namespaces?.contains(namespace.name) == true
                || resource.spec.namespaceSelector?.matches(namespace) == true
        }
        switch change {
        case .added(let namespace), .deleted(let namespace): return selects(namespace)
        case .updated(let old, let new): return selects(old) || selects(new)
        }
    }
}
