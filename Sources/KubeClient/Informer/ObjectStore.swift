import CRDModels
import Synchronization

/// The informer's cache: objects keyed by `namespace/name` (`name` for cluster-scoped kinds), with
/// an optional secondary index (client-go's `Indexer`: e.g. resources by the credentials Secret they
/// reference). One writer (the informer), any number of readers; every read is a consistent snapshot.
public final class ObjectStore<R: KubeResource>: Sendable {
    /// The values an object is found under in the secondary index (none: not indexed).
    public typealias IndexFunction = @Sendable (R) -> [String]

    /// An object's namespace ("" for none) and name: hashed as they are, where a `namespace/name` string would
    /// be built for every look-up and watch event.
    fileprivate struct Key: Hashable {
        var namespace: String
        var name: String

        init(namespace: String?, name: String) {
            self.namespace = namespace ?? ""
            self.name = name
        }

        init(of object: R) { self.init(namespace: object.metadata.namespace, name: object.metadata.name ?? "") }

        /// `ObjectStore.key(namespace:name:)`'s string, parsed back (names hold no `/`).
        init(_ key: String) {
            if let slash = key.firstIndex(of: "/") {
                self.init(namespace: String(key[..<slash]), name: String(key[key.index(after: slash)...]))
            } else {
                self.init(namespace: nil, name: key)
            }
        }

        var string: String { ObjectStore.key(namespace: namespace, name: name) }
    }

    /// One stored object, boxed: a dictionary keeps a slot of its value's size for every bucket, empty or not, and
    /// at the load a large cache has (5,000 to 10,000 objects in 8,192 or 16,384 buckets) slots of a whole
    /// resource (about 250 bytes, most of them empty optionals) cost more than the objects. A reference is 8
    /// bytes a bucket. Measured with heaptrack, 5,000 selected namespaces (10,001 in the cluster): the namespace
    /// and managed-Secret caches were 6.5 MB of tables; now 1.0 MB of tables and 3.7 MB of boxed objects.
    fileprivate final class Stored: Sendable {
        let object: R
        init(_ object: R) { self.object = object }
    }

    private struct Contents {
        var objects: [Key: Stored] = [:]
        /// Index value → keys of the objects filed under it.
        var index: [String: Set<Key>] = [:]
    }

    private let contents = Mutex(Contents())
    private let changeCount = Atomic<Int>(0)
    private let indexFunction: IndexFunction?

    public init(index: IndexFunction? = nil) { self.indexFunction = index }

    /// `namespace/name`, or `name` when there is no namespace (client-go `MetaNamespaceKeyFunc`).
    public static func key(namespace: String?, name: String) -> String {
        if let namespace, !namespace.isEmpty { "\(namespace)/\(name)" } else { name }
    }

    public static func key(of object: R) -> String {
        key(namespace: object.metadata.namespace, name: object.metadata.name ?? "")
    }

    public func get(namespace: String?, name: String) -> R? {
        contents.withLock { $0.objects[Key(namespace: namespace, name: name)]?.object }
    }

    public func get(key: String) -> R? { contents.withLock { $0.objects[Key(key)]?.object } }

    /// Every object, in no particular order.
    public var items: [R] { contents.withLock { $0.objects.values.map(\.object) } }

    /// Runs `body` over the objects in place, with the informer's updates held off until it returns: for a
    /// short pass over many objects, where `items` would copy them all first.
    public func withObjects<Result>(_ body: (Objects) throws -> Result) rethrows -> Result {
        try contents.withLock { try body(Objects(values: $0.objects.values)) }
    }

    /// The stored objects, in no particular order (`withObjects`).
    public struct Objects: Sequence {
        fileprivate let values: Dictionary<Key, Stored>.Values

        public struct Iterator: IteratorProtocol {
            fileprivate var base: Dictionary<Key, Stored>.Values.Iterator
            public mutating func next() -> R? { base.next()?.object }
        }

        public func makeIterator() -> Iterator { Iterator(base: values.makeIterator()) }
        public var underestimatedCount: Int { values.count }
    }

    public var keys: [String] { contents.withLock { $0.objects.keys.map(\.string) } }

    public var count: Int { contents.withLock { $0.objects.count } }

    /// Grows with every change of the contents: a reader that keeps a view derived from them (an index) rebuilds
    /// it only when this has moved. Read it before the contents, so the view is never older than its generation.
    public var generation: Int { changeCount.load(ordering: .acquiring) }

    public func list(namespace: String) -> [R] {
        contents.withLock { Array($0.objects.values.lazy.map(\.object).filter { $0.metadata.namespace == namespace }) }
    }

    /// The objects filed under `value` in the secondary index, without a scan.
    public func items(indexedUnder value: String) -> [R] {
        contents.withLock { contents in (contents.index[value] ?? []).compactMap { contents.objects[$0]?.object } }
    }

    /// Every value the secondary index holds at least one object under.
    public var indexValues: Set<String> { contents.withLock { Set($0.index.keys) } }

    /// Applies one watch event and returns the change it makes (nil for bookmarks and errors).
    func apply(_ event: WatchEvent<R>) -> ResourceChange<R>? {
        contents.withLock { contents in
            switch event {
            case .added(let object), .modified(let object):
                let old = store(Stored(object), in: &contents)
                changeCount.add(1, ordering: .releasing)
                return old.map { .updated(old: $0, new: object) } ?? .added(object)
            case .deleted(let object):
                let old = remove(key: Key(of: object), from: &contents)
                changeCount.add(1, ordering: .releasing)
                return .deleted(old ?? object)
            case .bookmark, .error:
                return nil
            }
        }
    }

    /// Stores `object`, refiling it in the index; returns the object it replaced. An update that keeps the
    /// object's index values (most do: a managed Secret keeps its controller) leaves the index as it is.
    private func store(_ stored: Stored, in contents: inout Contents) -> R? {
        let key = Key(of: stored.object)
        let old = contents.objects.updateValue(stored, forKey: key)?.object
        guard let indexFunction else { return old }
        let values = indexFunction(stored.object)
        if let old {
            let oldValues = indexFunction(old)
            if oldValues == values { return old }
            unfile(key, under: oldValues, in: &contents)
        }
        for value in values { contents.index[value, default: []].insert(key) }
        return old
    }

    private func remove(key: Key, from contents: inout Contents) -> R? {
        guard let old = contents.objects.removeValue(forKey: key)?.object else { return nil }
        if let indexFunction { unfile(key, under: indexFunction(old), in: &contents) }
        return old
    }

    private func unfile(_ key: Key, under values: [String], in contents: inout Contents) {
        for value in values {
            contents.index[value]?.remove(key)
            if contents.index[value]?.isEmpty == true { contents.index[value] = nil }
        }
    }

    /// Replaces the contents with a fresh list and returns the changes that turn the old contents
    /// into the new ones (what a watch would have said had it not been interrupted).
    func replace(with items: [R]) -> [ResourceChange<R>] {
        var fresh: [Key: Stored] = [:]
        fresh.reserveCapacity(items.count)
        for item in items { fresh[Key(of: item)] = Stored(item) }
        return contents.withLock { contents in
            let changes = Self.diff(old: contents.objects, new: fresh)
            contents = Contents()
            for stored in fresh.values { _ = store(stored, in: &contents) }
            changeCount.add(1, ordering: .releasing)
            return changes
        }
    }

    /// Added, updated (resourceVersion changed) and deleted objects between two snapshots, sorted
    /// by key so the order is deterministic.
    private static func diff(old: [Key: Stored], new: [Key: Stored]) -> [ResourceChange<R>] {
        var changes: [ResourceChange<R>] = []
        for key in sorted(new.keys) {
            let object = new[key]!.object
            if let previous = old[key]?.object {
                if previous.metadata.resourceVersion != object.metadata.resourceVersion
                    || previous.metadata.uid != object.metadata.uid
                {
                    changes.append(.updated(old: previous, new: object))
                }
            } else {
                changes.append(.added(object))
            }
        }
        for key in sorted(old.keys) where new[key] == nil {
            changes.append(.deleted(old[key]!.object))
        }
        return changes
    }
}

extension ObjectStore {
    /// `keys` in the order of their `namespace/name` strings.
    private static func sorted(_ keys: Dictionary<Key, Stored>.Keys) -> [Key] {
        keys.map { ($0.string, $0) }.sorted { $0.0 < $1.0 }.map(\.1)
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
