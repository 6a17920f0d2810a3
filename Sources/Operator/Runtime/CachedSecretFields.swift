import CRDModels
import KubeClient
import Synchronization

extension ObjectMeta {
    /// Which object, at which version (name, namespace, uid, resourceVersion): what every cache keeps of an object,
    /// whatever else it keeps for its decisions.
    var identity: ObjectMeta {
        var kept = ObjectMeta(name: name, namespace: namespace, resourceVersion: resourceVersion)
        kept.uid = uid
        return kept
    }
}

/// What the Secret caches keep: only the fields a decision reads, so that neither another team's data
/// (`kubectl.kubernetes.io/last-applied-configuration` holds a whole Secret) nor `managedFields` stays in memory.
extension PartialObjectMetadata {
    /// A Secret the operator watches but does not manage: which object, at which version.
    @Sendable static func identityOnly(_ object: PartialObjectMetadata) -> PartialObjectMetadata {
        PartialObjectMetadata(metadata: object.metadata.identity)
    }

    /// A Secret the operator manages: identity and version, the owner labels, and the owner references.
    /// The Secrets of one resource carry the same labels and owner references in every namespace: the cache
    /// keeps one copy of each (`SharedValues`), not one per namespace.
    @Sendable static func managedSecretFields(_ object: PartialObjectMetadata) -> PartialObjectMetadata {
        var kept = identityOnly(object)
        kept.metadata.labels = object.metadata.labels.map(sharedLabels.shared)
        kept.metadata.ownerReferences = object.metadata.ownerReferences.map(sharedOwners.shared)
        return kept
    }

    private static let sharedLabels = SharedValues<[String: String]>()
    private static let sharedOwners = SharedValues<[OwnerReference]>()

    /// The uid of the resource that controls a managed Secret: the key of the managed-Secret index.
    /// (Asked twice per watch event, of the object and of the one it replaces: one array each.)
    @Sendable public static func controllerUID(_ object: PartialObjectMetadata) -> [String] {
        var uids: [String] = []
        for owner in object.metadata.ownerReferences ?? [] where owner.controller == true { uids.append(owner.uid) }
        return uids
    }
}

/// Equal values stored once: `shared(_:)` returns a copy already held when one is equal, so the caller keeps that
/// copy's storage instead of its own. Bounded: when `limit` distinct values are held, it starts again from none.
final class SharedValues<Value: Hashable & Sendable>: Sendable {
    private let held = Mutex(Set<Value>())
    private let limit: Int

    init(limit: Int = 256) { self.limit = limit }

    func shared(_ value: Value) -> Value {
        held.withLock { held in
            if let existing = held.firstIndex(of: value) { return held[existing] }
            if held.count >= limit { held.removeAll(keepingCapacity: true) }
            held.insert(value)
            return value
        }
    }
}
