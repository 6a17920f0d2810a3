import CRDModels
import Foundation
import NIOConcurrencyHelpers

/// Where one object lives: its resource, namespace (empty for cluster-scoped) and name.
struct ObjectKey: Hashable, Comparable, Sendable, Codable {
    var namespace: String
    var name: String

    init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// A stored object's key.
    init(of object: JSONValue) {
        self.init(
            namespace: object["metadata"]?["namespace"]?.stringValue ?? "",
            name: object["metadata"]?["name"]?.stringValue ?? "")
    }

    static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}

/// Tunables of the test server; tests may change them while it runs.
public struct KubeAPITestServerOptions: Sendable {
    /// How many changes the watch history keeps; a watch from an older resourceVersion gets 410 Gone.
    public var watchHistoryLimit = 10_000
    /// How often an open watch with `allowWatchBookmarks=true` receives a BOOKMARK (the real server: ~1 min).
    public var bookmarkInterval: Duration = .seconds(1)
    /// How long a list continue token stays valid (the real server: until compaction, about 5 min).
    public var continueTokenLifetime: Duration = .seconds(300)
    /// Delay before the background garbage collector and namespace finalizer act on a change.
    public var garbageCollectionDelay: Duration = .milliseconds(20)
    /// Create the `default` ServiceAccount in every new namespace, as the serviceaccount controller does.
    public var createDefaultServiceAccount = true
    /// Largest accepted request body (the real server: 3 MiB).
    public var maxRequestBodyBytes = 3 * 1024 * 1024

    public init() {}
}

/// A paginated list's frozen result, so all pages share one snapshot (as with etcd's revision).
struct ListSnapshot {
    var resourceVersion: Int
    var items: [JSONValue]
    var created: ContinuousClock.Instant
}

/// The API server's state: objects, served resource types, the resourceVersion counter, watches.
///
/// Every operation runs under one lock and is quick (everything is in memory), so callers on NIO
/// event loops call straight in. Watch events are handed to sinks while the lock is held, which
/// keeps each watcher's stream in resourceVersion order.
final class ClusterStore: @unchecked Sendable {
    let lock = NIOLock()
    var resourceVersion = 0
    /// Counts stored changes to RBAC objects (Roles, ClusterRoles and their bindings), so the
    /// authorizer's decoded policy is reused until one of them changes, not until any object does.
    var rbacRevision = 0
    var objects: [GroupResource: [ObjectKey: JSONValue]] = [:]
    var types: [APIResourceType] = APIResourceType.builtIns + RBAC.types + [ValidatingAdmission.type]
    var hub: WatchHub
    var snapshots: [String: ListSnapshot] = [:]
    var options: KubeAPITestServerOptions
    var pendingWatchDrops: [(pathContains: String, afterEvents: Int)] = []
    /// Set by writes that may give the background collector work; see `takeCollectionNeed()`.
    var collectionNeeded = false
    /// Set for the duration of one `dryRun=All` write: everything is checked, nothing is stored.
    var dryRun = false
    /// The client a write is made for (nil for the server's own writes): validating admission runs
    /// only for clients' writes.
    var requestUser: UserInfo?
    /// `Warning` headers of the current write (unknown fields pruned), read by the router after it.
    var warnings: [String] = []
    /// The current write's `fieldValidation` (what to do with unknown fields).
    var fieldValidation = FieldValidation.warn
    /// Owner/dependent bookkeeping for the garbage collector.
    var ownership = OwnershipIndex()
    /// Called (outside the lock) after a change that may give the garbage collector work.
    let requestCollection: @Sendable () -> Void

    init(options: KubeAPITestServerOptions, requestCollection: @escaping @Sendable () -> Void) {
        self.options = options
        self.hub = WatchHub(historyLimit: options.watchHistoryLimit)
        self.requestCollection = requestCollection
    }

    func withLock<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    // MARK: Resource types

    func resourceType(group: String, version: String, plural: String) -> APIResourceType? {
        withLock { types.first { $0.group == group && $0.version == version && $0.plural == plural } }
    }

    func allTypes() -> [APIResourceType] { withLock { types } }

    /// Finds a type by `plural`, `plural.group`, or kind, for the direct-access helpers.
    func resourceType(named name: String) -> APIResourceType? {
        withLock {
            types.first { $0.groupResource.description == name }
                ?? types.first { $0.plural == name || $0.kind == name }
        }
    }

    func resourceType(apiVersion: String, kind: String) -> APIResourceType? {
        withLock { types.first { $0.apiVersion == apiVersion && $0.kind == kind } }
    }

    // MARK: Reads

    func get(_ type: APIResourceType, namespace: String, name: String) throws(APIError) -> JSONValue {
        lock.lock()
        defer { lock.unlock() }
        guard let object = objects[type.groupResource]?[ObjectKey(namespace: namespace, name: name)] else {
            throw APIError.notFound(type.groupResource, name: name)
        }
        return object
    }

    func peek(_ resource: GroupResource, namespace: String, name: String) -> JSONValue? {
        withLock { objects[resource]?[ObjectKey(namespace: namespace, name: name)] }
    }

    /// Objects of a resource (all namespaces when `namespace` is nil), sorted like etcd keys.
    func matching(
        _ resource: GroupResource, namespace: String?, labels: LabelQuery = .everything, fields: FieldQuery = .init()
    ) -> [JSONValue] {
        (objects[resource] ?? [:])
            .filter { namespace == nil || $0.key.namespace == namespace }
            .sorted { $0.key < $1.key }
            .map(\.value)
            .filter { labels.matches(object: $0) && fields.matches(object: $0) }
    }

    struct ListPage {
        var items: [JSONValue]
        var resourceVersion: Int
        var continueToken: String?
        var remainingItemCount: Int?
    }

    /// A list, paginated with `limit` and `continue` over one frozen snapshot.
    func list(
        _ type: APIResourceType, namespace: String?, labels: LabelQuery, fields: FieldQuery, limit: Int?,
        continueToken: String?
    ) throws(APIError) -> ListPage {
        lock.lock()
        defer { lock.unlock() }
        expireSnapshots()
        var items: [JSONValue]
        var listRV: Int
        var offset = 0
        var snapshotID: String
        if let continueToken, !continueToken.isEmpty {
            let token = try ContinueToken.decode(continueToken)
            if let snapshot = snapshots[token.snapshot], token.resourceVersion > hub.compactedResourceVersion {
                items = snapshot.items
                listRV = snapshot.resourceVersion
                offset = min(token.offset, items.count)
                snapshotID = token.snapshot
            } else if token.resourceVersion == ContinueToken.latest {
                // A token from an expiry answer: the rest of the keys, at the current state.
                items = matching(type.groupResource, namespace: namespace)
                listRV = resourceVersion
                offset = items.firstIndex { !(ObjectKey(of: $0) < token.start) } ?? items.count
                snapshotID = UUID().uuidString
            } else {
                // As etcd3's store after compaction: 410 with a token resuming from the same key.
                var expired = APIError.expired(ContinueToken.expiredMessage)
                expired.continueToken = ContinueToken(
                    resourceVersion: ContinueToken.latest, snapshot: "", offset: 0, start: token.start
                ).encoded
                throw expired
            }
        } else {
            // Pages walk every key of the range, as etcd does; selectors filter each page.
            items = matching(type.groupResource, namespace: namespace)
            listRV = resourceVersion
            snapshotID = UUID().uuidString
        }
        let selected = { (object: JSONValue) in labels.matches(object: object) && fields.matches(object: object) }
        guard let limit, limit > 0 else {
            if continueToken != nil { snapshots[snapshotID] = nil }
            return ListPage(items: items[offset...].filter(selected), resourceVersion: listRV)
        }
        var page: [JSONValue] = []
        var end = offset
        while end < items.count, page.count < limit {
            if selected(items[end]) { page.append(items[end]) }
            end += 1
        }
        guard end < items.count else {
            if continueToken != nil { snapshots[snapshotID] = nil }
            return ListPage(items: page, resourceVersion: listRV)
        }
        if snapshots[snapshotID] == nil {
            snapshots[snapshotID] = ListSnapshot(
                resourceVersion: listRV, items: items, created: ContinuousClock.now)
            while snapshots.count > 64, let oldest = snapshots.min(by: { $0.value.created < $1.value.created }) {
                snapshots[oldest.key] = nil
            }
        }
        let token = ContinueToken(
            resourceVersion: listRV, snapshot: snapshotID, offset: end, start: ObjectKey(of: items[end]))
        let unselective = labels.isEmpty && fields.isEmpty
        return ListPage(
            items: page, resourceVersion: listRV, continueToken: token.encoded,
            remainingItemCount: unselective ? items.count - end : nil)
    }

    private func expireSnapshots() {
        let deadline = ContinuousClock.now - options.continueTokenLifetime
        snapshots = snapshots.filter { $0.value.created > deadline }
    }

    // MARK: Watches

    /// Registers a watch. With no (or `0`) resourceVersion it first sends the current objects as
    /// ADDED; with a resourceVersion it replays retained history after it, or fails with 410.
    func watch(
        _ type: APIResourceType, namespace: String?, labels: LabelQuery, fields: FieldQuery, from: String?,
        metadataOnly: Bool, requestPath: String, sink: @escaping WatchSink
    ) throws(APIError) -> Int {
        lock.lock()
        defer { lock.unlock() }
        var dropAfter: Int?
        if let index = pendingWatchDrops.firstIndex(where: { requestPath.contains($0.pathContains) }) {
            dropAfter = pendingWatchDrops.remove(at: index).afterEvents
        }
        let watcher = Watcher(
            id: hub.makeID(), resource: type.groupResource, namespace: namespace, labels: labels,
            fields: fields, render: RenderOptions(type: type, metadataOnly: metadataOnly), sink: sink,
            dropAfterEvents: dropAfter)
        var alive = true
        if let from, !from.isEmpty, from != "0" {
            guard let start = Int(from), start >= 0 else {
                throw APIError.badRequest("invalid resource version: \(from)")
            }
            guard let replay = hub.events(after: start) else {
                // The watch cache words it with its oldest version; storage (Events) generically.
                throw APIError.expired(
                    type.hasWatchCache
                        ? "too old resource version: \(start) (\(hub.compactedResourceVersion))"
                        : "The resourceVersion for the provided watch is too old.")
            }
            for record in replay where alive {
                if let view = watcher.view(of: record) { alive = watcher.send(type: view.type, object: view.object) }
            }
        } else {
            for object in matching(type.groupResource, namespace: namespace, labels: labels, fields: fields)
            where alive {
                alive = watcher.send(type: "ADDED", object: object)
            }
        }
        if alive { hub.add(watcher) }
        return watcher.id
    }

    func endWatch(_ id: Int) {
        withLock { _ = hub.remove(id) }
    }

    /// Sends a BOOKMARK at the current resourceVersion; false if the watch is gone.
    func bookmark(_ id: Int) -> Bool {
        withLock {
            guard let watcher = hub.watchers[id] else { return false }
            watcher.sendBookmark(resourceVersion: resourceVersion)
            return true
        }
    }

    /// Ends every open watch: cleanly (end of the chunked body) or as a dropped connection.
    func closeAllWatches(abruptly: Bool) {
        let watchers = withLock { hub.removeAll() }
        for watcher in watchers { watcher.sink(abruptly ? .drop : .end) }
    }

    var openWatchCount: Int { withLock { hub.watchers.count } }
}

/// The opaque `continue` value: unpadded base64url JSON naming the snapshot, the next offset and
/// the next key. Like the real token it embeds the list's resourceVersion, which compaction
/// invalidates; `latest` (-1, as etcd3's store) resumes from the key at the current state.
struct ContinueToken: Codable {
    var resourceVersion: Int
    var snapshot: String
    var offset: Int
    var start: ObjectKey

    static let latest = -1

    static let expiredMessage =
        "The provided continue parameter is too old to display a consistent list result. You can start a new "
        + "list without the continue parameter, or use the continue token in this response to retrieve the "
        + "remainder of the results. Continuing with the provided token results in an inconsistent list - objects "
        + "that were created, modified, or deleted between the time the first chunk was returned and now may "
        + "show up in the list."

    var encoded: String {
        let json = (try? JSONEncoder().encode(self)) ?? Data()
        return json.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// A token that does not decode is a 400 with the texts of the real decoder (Go's base64 and JSON).
    static func decode(_ text: String) throws(APIError) -> ContinueToken {
        func invalid(_ detail: String) -> APIError {
            APIError.badRequest("invalid continue token: continue key is not valid: \(detail)")
        }
        let data: [UInt8]
        switch GoBase64.rawURLDecode(text) {
        case .success(let bytes): data = bytes
        case .failure(let error): throw invalid("illegal base64 data at input byte \(error.offset)")
        }
        if let error = GoJSON.syntaxError(data) { throw invalid(error) }
        guard let token = try? JSONDecoder().decode(ContinueToken.self, from: Data(data)) else {
            throw invalid("server does not recognize this encoded version \"\"")
        }
        return token
    }
}

/// Go's `base64.RawURLEncoding.DecodeString`, with its error offset.
enum GoBase64 {
    struct CorruptInput: Error { var offset: Int }

    static func rawURLDecode(_ text: String) -> Result<[UInt8], CorruptInput> {
        let input = Array(text.utf8)
        var bits: [UInt8] = []
        for (index, byte) in input.enumerated() {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = byte - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = byte - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0") + 52
            case UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "_"): value = 63
            case 0x0A, 0x0D: continue  // Go skips newlines
            default: return .failure(CorruptInput(offset: index))
            }
            bits.append(value)
        }
        if bits.count % 4 == 1 { return .failure(CorruptInput(offset: input.count - 1)) }
        var output: [UInt8] = []
        var index = 0
        while index < bits.count {
            let chunk = Array(bits[index..<min(index + 4, bits.count)])
            let word = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (18 - 6 * UInt32($1.offset)) }
            for shift in [16, 8, 0].prefix(chunk.count - 1) { output.append(UInt8((word >> UInt32(shift)) & 0xFF)) }
            index += 4
        }
        return .success(output)
    }
}

/// One stored object's address.
struct ObjectReference: Hashable, Sendable {
    var resource: GroupResource
    var key: ObjectKey
}

/// Which uids are live and which objects name which owners, kept up to date on every write, so
/// the garbage collector looks only at objects whose owners may have gone.
struct OwnershipIndex {
    var live: [String: ObjectReference] = [:]
    var dependents: [String: Set<ObjectReference>] = [:]
    /// Objects to check on the next pass.
    var candidates: Set<ObjectReference> = []
    /// Objects being deleted with the `orphan` or `foregroundDeletion` finalizer.
    var propagating: Set<ObjectReference> = []
    static let propagationFinalizers: Set<JSONValue> = [.string("orphan"), .string("foregroundDeletion")]

    static func uid(_ object: JSONValue?) -> String? { object?["metadata"]?["uid"]?.stringValue }

    static func owners(_ object: JSONValue?) -> [String] {
        object?["metadata"]?["ownerReferences"]?.arrayValue?.compactMap { $0["uid"]?.stringValue } ?? []
    }

    /// Records a stored object; returns whether it became a candidate. Only a new object or a change of its
    /// `ownerReferences` naming an owner that is not live makes it one: the real collector's graph builder queues
    /// nothing for an update that keeps the references (`processGraphChanges` in kubernetes
    /// `pkg/controller/garbagecollector/graph_builder.go` acts on `referencesDiffs`), and `addDependentToOwners`
    /// queues a check only for an owner missing from its graph. A pass that finds every owner live changes nothing;
    /// an owner that goes later makes its dependents candidates (`removed`).
    @discardableResult
    mutating func stored(_ object: JSONValue, previous: JSONValue?, at reference: ObjectReference) -> Bool {
        if let uid = Self.uid(object) { live[uid] = reference }
        var candidate = false
        // Unchanged references leave the dependents index as it is.
        if object["metadata"]?["ownerReferences"] != previous?["metadata"]?["ownerReferences"] {
            for owner in Self.owners(previous) { dependents[owner]?.remove(reference) }
            let owners = Self.owners(object)
            for owner in owners { dependents[owner, default: []].insert(reference) }
            candidate = owners.contains { live[$0] == nil }
            if candidate { candidates.insert(reference) }
        }
        let finalizers = object["metadata"]?["finalizers"]?.arrayValue ?? []
        if object["metadata"]?["deletionTimestamp"] != nil,
            finalizers.contains(where: Self.propagationFinalizers.contains)
        {
            propagating.insert(reference)
        } else {
            propagating.remove(reference)
        }
        return candidate
    }

    mutating func removed(_ object: JSONValue, at reference: ObjectReference) {
        for owner in Self.owners(object) { dependents[owner]?.remove(reference) }
        propagating.remove(reference)
        guard let uid = Self.uid(object) else { return }
        live[uid] = nil
        candidates.formUnion(dependents.removeValue(forKey: uid) ?? [])
    }
}
