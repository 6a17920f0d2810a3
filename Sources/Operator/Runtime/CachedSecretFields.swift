import CRDModels
import KubeClient

/// What the Secret caches keep: only the fields a decision reads, so that neither another team's data
/// (`kubectl.kubernetes.io/last-applied-configuration` holds a whole Secret) nor `managedFields` stays in memory.
extension PartialObjectMetadata {
    /// A Secret the operator watches but does not manage: which object, at which version.
    @Sendable static func identityOnly(_ object: PartialObjectMetadata) -> PartialObjectMetadata {
        var metadata = ObjectMeta(
            name: object.metadata.name, namespace: object.metadata.namespace,
            resourceVersion: object.metadata.resourceVersion)
        metadata.uid = object.metadata.uid
        return PartialObjectMetadata(metadata: metadata)
    }

    /// A Secret the operator manages: identity and version, the owner labels, and the owner references.
    @Sendable static func managedSecretFields(_ object: PartialObjectMetadata) -> PartialObjectMetadata {
        var kept = identityOnly(object)
        kept.metadata.labels = object.metadata.labels
        kept.metadata.ownerReferences = object.metadata.ownerReferences
        return kept
    }

    /// The uid of the resource that controls a managed Secret: the key of the managed-Secret index.
    @Sendable public static func controllerUID(_ object: PartialObjectMetadata) -> [String] {
        object.metadata.ownerReferences?.filter { $0.controller == true }.map(\.uid) ?? []
    }
}
