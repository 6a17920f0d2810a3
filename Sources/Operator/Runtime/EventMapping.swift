import CRDModels
import KubeClient

/// Maps watch changes to reconcile keys: which resources must look again after something changed.
/// Pure functions over the changed object and the resource caches.
public enum EventMapping {
    /// Key of a namespaced resource.
    public static func key(namespace: String?, name: String?) -> String { "\(namespace ?? "")/\(name ?? "")" }

    /// Whether a resource change needs a reconcile. Status-only changes (our own status writes)
    /// do not: spec changes bump `generation`; deletion, finalizers, labels and annotations count.
    public static func resourceChangeMatters<R: ImagePullSecretResource>(_ change: ResourceChange<R>) -> Bool {
        guard case .updated(let old, let new) = change else { return true }
        return old.metadata.generation != new.metadata.generation
            || old.metadata.deletionTimestamp != new.metadata.deletionTimestamp
            || old.metadata.finalizers != new.metadata.finalizers
            || old.metadata.labels != new.metadata.labels
            || old.metadata.annotations != new.metadata.annotations
            || old.metadata.uid != new.metadata.uid
    }

    /// Whether a namespace change can change any selection (created, deleted, relabelled, started terminating).
    public static func namespaceChangeMatters(_ change: ResourceChange<Namespace>) -> Bool {
        guard case .updated(let old, let new) = change else { return true }
        return old.metadata.labels != new.metadata.labels || old.isTerminating != new.isTerminating
    }

    /// The resource that controls a changed managed Secret, unless the change is our own write.
    public enum Owner: Sendable, Hashable {
        case namespaced(key: String)
        case cluster(name: String)
    }

    public static func ownerOfManagedSecret(
        _ change: ResourceChange<PartialObjectMetadata>, written: WrittenSecrets
    ) -> Owner? {
        let metadata = change.object.metadata
        if case .deleted = change {
            // Deleted by hand (or by the garbage collector): the owner, if alive, writes it again.
        } else if written.wroteVersion(
            namespace: metadata.namespace ?? "", name: metadata.name ?? "", resourceVersion: metadata.resourceVersion)
        {
            return nil
        }
        guard let labels = metadata.labels, let name = labels[Labels.ownerName], let kind = labels[Labels.ownerKind]
        else { return nil }
        switch kind {
        case AWSECRImagePullSecret.resource.kind:
            return .namespaced(key: key(namespace: labels[Labels.ownerNamespace] ?? metadata.namespace, name: name))
        case ClusterAWSECRImagePullSecret.resource.kind:
            return .cluster(name: name)
        default:
            return nil
        }
    }

    /// Resources whose `awsAccess.secretRef` names the changed Secret.
    public static func referencingResources(
        secretNamespace: String, secretName: String, namespaced: [AWSECRImagePullSecret],
        cluster: [ClusterAWSECRImagePullSecret]
    ) -> [Owner] {
        var owners: [Owner] = []
        for resource in namespaced
        where resource.metadata.namespace == secretNamespace && resource.spec.awsAccess.secretRef?.name == secretName {
            owners.append(.namespaced(key: key(namespace: resource.metadata.namespace, name: resource.metadata.name)))
        }
        for resource in cluster {
            guard let ref = resource.spec.awsAccess.secretRef else { continue }
            if ref.name == secretName, ref.namespace == secretNamespace {
                owners.append(.cluster(name: resource.metadata.name ?? ""))
            }
        }
        return owners
    }
}
