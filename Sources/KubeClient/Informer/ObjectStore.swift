import CRDModels
import Synchronization

/// The informer's cache: objects keyed by `namespace/name` (`name` for cluster-scoped kinds).
/// One writer (the informer), any number of readers; every read is a consistent snapshot.
public final class ObjectStore<R: KubeResource>: Sendable {
    private let objects = Mutex<[String: R]>([:])
    private let changeCount = Atomic<Int>(0)

    public init() {}

    /// `namespace/name`, or `name` when there is no namespace (client-go `MetaNamespaceKeyFunc`).
    public static func key(namespace: String?, name: String) -> String {
        if let namespace, !namespace.isEmpty { "\(namespace)/\(name)" } else { name }
    }

    public static func key(of object: R) -> String {
        key(namespace: object.metadata.namespace, name: object.metadata.name ?? "")
    }

    public func get(namespace: String?, name: String) -> R? {
        objects.withLock { $0[Self.key(namespace: namespace, name: name)] }
    }

    public func get(key: String) -> R? { objects.withLock { $0[key] } }

    /// Every object, in no particular order.
    public var items: [R] { objects.withLock { Array($0.values) } }

    public var keys: [String] { objects.withLock { Array($0.keys) } }

    public var count: Int { objects.withLock { $0.count } }

    /// Grows with every change of the contents: a reader that keeps a view derived from them (an index) rebuilds
    /// it only when this has moved. Read it before the contents, so the view is never older than its generation.
    public var generation: Int { changeCount.load(ordering: .acquiring) }

    public func list(namespace: String) -> [R] {
        objects.withLock { $0.values.filter { $0.metadata.namespace == namespace } }
    }

    /// Applies one watch event and returns the change it makes (nil for bookmarks and errors).
    func apply(_ event: WatchEvent<R>) -> ResourceChange<R>? {
        objects.withLock { objects in
            switch event {
            case .added(let object), .modified(let object):
                let key = Self.key(of: object)
                let old = objects.updateValue(object, forKey: key)
                changeCount.add(1, ordering: .releasing)
                return old.map { .updated(old: $0, new: object) } ?? .added(object)
            case .deleted(let object):
                let key = Self.key(of: object)
                let old = objects.removeValue(forKey: key)
                changeCount.add(1, ordering: .releasing)
                return .deleted(old ?? object)
            case .bookmark, .error:
                return nil
            }
        }
    }

    /// Replaces the contents with a fresh list and returns the changes that turn the old contents
    /// into the new ones (what a watch would have said had it not been interrupted).
    func replace(with items: [R]) -> [ResourceChange<R>] {
        var fresh: [String: R] = [:]
        for item in items { fresh[Self.key(of: item)] = item }
        return objects.withLock { objects in
            let changes = Self.diff(old: objects, new: fresh)
            objects = fresh
            changeCount.add(1, ordering: .releasing)
            return changes
        }
    }

    /// Added, updated (resourceVersion changed) and deleted objects between two snapshots, sorted
    /// by key so the order is deterministic.
    static func diff(old: [String: R], new: [String: R]) -> [ResourceChange<R>] {
        var changes: [ResourceChange<R>] = []
        for key in new.keys.sorted() {
            let object = new[key]!
            if let previous = old[key] {
                if previous.metadata.resourceVersion != object.metadata.resourceVersion
                    || previous.metadata.uid != object.metadata.uid
                {
                    changes.append(.updated(old: previous, new: object))
                }
            } else {
                changes.append(.added(object))
            }
        }
        for key in old.keys.sorted() where new[key] == nil {
            changes.append(.deleted(old[key]!))
        }
        return changes
    }
}

/// What changed in an informer's store.
public enum ResourceChange<R: KubeResource>: Sendable {
    case added(R)
    case updated(old: R, new: R)
    /// The last state the informer knew.
    case deleted(R)

    /// The object as it is now (for deletions: as it was last seen).
    public var object: R {
        switch self {
        case .added(let object), .deleted(let object): object
        case .updated(_, let new): new
        }
    }

    /// `namespace/name` of the object.
    public var key: String { ObjectStore<R>.key(of: object) }
}
