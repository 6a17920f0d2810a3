import CRDModels
import Foundation

/// What a watch connection must do next; the HTTP layer turns these into chunks or a close.
enum WatchSignal: Sendable {
    /// One newline-terminated JSON `WatchEvent`.
    case line(Data)
    /// End the response cleanly (timeout, `closeWatches()`, after an ERROR event).
    case end
    /// Close the connection without ending the chunked body (a dropped connection).
    case drop
}

typealias WatchSink = @Sendable (WatchSignal) -> Void

/// How objects are rendered for one watch or list: the requested version, or metadata only.
struct RenderOptions: Sendable {
    var type: APIResourceType
    var metadataOnly: Bool
    /// The `meta.k8s.io` version the metadata form was asked for in (`v1`, `v1beta1`).
    var metadataVersion = "v1"

    func render(_ object: JSONValue, inList: Bool = false) -> JSONValue {
        if metadataOnly {
            return .object([
                "kind": .string("PartialObjectMetadata"), "apiVersion": .string("meta.k8s.io/" + metadataVersion),
                "metadata": object["metadata"] ?? .object([:]),
            ])
        }
        var rendered = object
        // Typed lists of built-in kinds carry no per-item kind/apiVersion; custom resource lists do.
        if inList && !type.isCustom {
            rendered["kind"] = nil
            rendered["apiVersion"] = nil
        } else {
            rendered["kind"] = .string(type.kind)
            rendered["apiVersion"] = .string(type.apiVersion)
        }
        return rendered
    }

    var bookmarkKind: (kind: String, apiVersion: String) {
        metadataOnly ? ("PartialObjectMetadata", "meta.k8s.io/v1") : (type.kind, type.apiVersion)
    }
}

/// One change in the retained history: what a watch from an older resourceVersion replays.
struct WatchRecord: Sendable {
    var resourceVersion: Int
    var resource: GroupResource
    var namespace: String
    var type: String
    var object: JSONValue
    /// The state before a MODIFIED, so selector watches can turn it into ADDED or DELETED.
    var previous: JSONValue?
}

/// A registered watch. Mutated only under the store's lock.
final class Watcher: @unchecked Sendable {
    let id: Int
    let resource: GroupResource
    let namespace: String?
    let labels: LabelQuery
    let fields: FieldQuery
    let render: RenderOptions
    let sink: WatchSink
    /// Fault injection: drop the connection after this many ADDED/MODIFIED/DELETED events.
    var dropAfterEvents: Int?
    var delivered = 0

    init(
        id: Int, resource: GroupResource, namespace: String?, labels: LabelQuery, fields: FieldQuery,
        render: RenderOptions, sink: @escaping WatchSink, dropAfterEvents: Int?
    ) {
        self.id = id
        self.resource = resource
        self.namespace = namespace
        self.labels = labels
        self.fields = fields
        self.render = render
        self.sink = sink
        self.dropAfterEvents = dropAfterEvents
    }

    func selects(_ object: JSONValue) -> Bool {
        labels.matches(object: object) && fields.matches(object: object)
    }

    /// The event this watcher sees for a record, after scoping and selectors; nil if none.
    func view(of record: WatchRecord) -> (type: String, object: JSONValue)? {
        guard record.resource == resource, namespace == nil || namespace == record.namespace else { return nil }
        let now = selects(record.object)
        switch record.type {
        case "MODIFIED":
            let before = record.previous.map(selects) ?? now
            switch (before, now) {
            case (true, true): return ("MODIFIED", record.object)
            case (false, true): return ("ADDED", record.object)
            case (true, false):
                // Leaving the selection: the previous object at the new resourceVersion (watch cache).
                var last = record.previous ?? record.object
                last["metadata"]?["resourceVersion"] = record.object["metadata"]?["resourceVersion"]
                return ("DELETED", last)
            case (false, false): return nil
            }
        default:
            return now ? (record.type, record.object) : nil
        }
    }

    /// Sends one event; returns false when the watcher has dropped itself (fault injection).
    func send(type: String, object: JSONValue) -> Bool {
        send(line: eventLine(type: type, object: object))
    }

    /// The serialized event as this watcher's format renders it.
    func eventLine(type: String, object: JSONValue) -> Data {
        Self.line(.object(["type": .string(type), "object": render.render(object)]))
    }

    /// Sends one serialized event (shared by every watcher of the same format); false as `send(type:object:)`.
    func send(line: Data) -> Bool {
        sink(.line(line))
        delivered += 1
        if let limit = dropAfterEvents, delivered >= limit {
            sink(.drop)
            return false
        }
        return true
    }

    func sendBookmark(resourceVersion: Int) {
        let (kind, apiVersion) = render.bookmarkKind
        let metadata: [String: JSONValue] = ["resourceVersion": .string(String(resourceVersion))]
        let event: JSONValue = .object([
            "type": .string("BOOKMARK"),
            "object": .object(["kind": .string(kind), "apiVersion": .string(apiVersion), "metadata": .object(metadata)]),
        ])
        sink(.line(Self.line(event)))
    }

    static func line(_ event: JSONValue) -> Data {
        var data = (try? event.serialized()) ?? Data("{}".utf8)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    /// The object's bytes in a line `line(_:)` wrote for `{"type": type, "object": object}`: the keys are sorted,
    /// so the line is `{"object":` + object + `,"type":"` + type + `"}` and a newline (event types are upper-case
    /// words, written without escapes).
    static func object(inLine line: Data, type: String) -> Data {
        let prefix = #"{"object":"#.utf8.count
        let suffix = #","type":""}"#.utf8.count + type.utf8.count + 1
        return line[(line.startIndex + prefix)..<(line.endIndex - suffix)]
    }
}

/// The retained event window and the live watchers. A value owned by `ClusterStore` and mutated
/// only under its lock, so events reach every watcher in resourceVersion order.
struct WatchHub {
    /// The retained window is `storage[head...]`: trimming advances `head` and the dropped records are
    /// freed in one move once they outnumber the window (a ring buffer's cost, as the real watch cache's;
    /// `removeFirst` moved the whole window on every write once it was full).
    private var storage: [WatchRecord] = []
    private var head = 0
    var history: ArraySlice<WatchRecord> { storage[head...] }
    /// Every event at or below this resourceVersion has been forgotten; older watches get 410.
    private(set) var compactedResourceVersion = 0
    var historyLimit: Int
    private(set) var watchers: [Int: Watcher] = [:]
    private var nextID = 1

    init(historyLimit: Int) {
        self.historyLimit = historyLimit
    }

    mutating func makeID() -> Int {
        defer { nextID += 1 }
        return nextID
    }

    mutating func add(_ watcher: Watcher) { watchers[watcher.id] = watcher }

    @discardableResult
    mutating func remove(_ id: Int) -> Watcher? { watchers.removeValue(forKey: id) }

    mutating func removeAll() -> [Watcher] {
        defer { watchers = [:] }
        return Array(watchers.values)
    }

    /// Appends a change, trims the window and fans it out to the live watchers. Each event is serialized
    /// once per format and the bytes shared by every watcher that sees it in that format, as the real
    /// server's watch cache does (`cachingObject` in k8s.io/apiserver `pkg/storage/cacher`); for one
    /// record, the event type a watcher sees fixes the object it sees.
    ///
    /// The record's lines are kept until the next publish (`lastPublished`), so the write that made the record can
    /// answer with its object's bytes (`renderedObject(_:as:)`).
    mutating func publish(_ record: WatchRecord) {
        storage.append(record)
        trim()
        var lines: [EventFormat: Data] = [:]
        for watcher in watchers.values {
            guard let view = watcher.view(of: record) else { continue }
            let format = EventFormat(type: view.type, render: watcher.render)
            let line = lines[format] ?? watcher.eventLine(type: view.type, object: view.object)
            lines[format] = line
            if !watcher.send(line: line) { watchers[watcher.id] = nil }
        }
        lastPublished = (record.resourceVersion, record.type, lines)
    }

    /// The bytes `render` gives `object`, if the last published record is `object` and a watcher was sent it in
    /// that form; otherwise nil. `object` must be what the store committed (not a dry run's answer): its
    /// resourceVersion then names the record.
    func renderedObject(_ object: JSONValue, as render: RenderOptions) -> Data? {
        guard let version = object["metadata"]?["resourceVersion"]?.stringValue,
            Int(version) == lastPublished.resourceVersion
        else { return nil }
        // The record's object goes out as the record's type, or as ADDED where it entered a selection; a DELETED
        // for a MODIFIED record carries the previous object.
        for type in [lastPublished.type, "ADDED"] {
            if let line = lastPublished.lines[EventFormat(type: type, render: render)] {
                return Watcher.object(inLine: line, type: type)
            }
        }
        return nil
    }

    private var lastPublished: (resourceVersion: Int, type: String, lines: [EventFormat: Data]) = (0, "", [:])

    /// What decides an event's bytes for one record: its type and how the watcher renders objects.
    private struct EventFormat: Hashable {
        var type: String
        var kind: String
        var apiVersion: String
        var metadataOnly: Bool
        var metadataVersion: String

        init(type: String, render: RenderOptions) {
            self.type = type
            kind = render.type.kind
            apiVersion = render.type.apiVersion
            metadataOnly = render.metadataOnly
            metadataVersion = render.metadataVersion
        }
    }

    /// Events after `resourceVersion`, or nil when that version has been compacted away.
    func events(after resourceVersion: Int) -> ArraySlice<WatchRecord>? {
        guard resourceVersion >= compactedResourceVersion else { return nil }
        let start = history.firstIndex { $0.resourceVersion > resourceVersion } ?? history.endIndex
        return history[start...]
    }

    /// Forgets every event up to `resourceVersion` (tests force 410 Gone this way).
    mutating func compact(through resourceVersion: Int) {
        storage = history.filter { $0.resourceVersion > resourceVersion }
        head = 0
        compactedResourceVersion = max(compactedResourceVersion, resourceVersion)
    }

    private mutating func trim() {
        let excess = history.count - max(historyLimit, 0)
        guard excess > 0 else { return }
        compactedResourceVersion = storage[head + excess - 1].resourceVersion
        head += excess
        if head > max(historyLimit, 64) {
            storage.removeFirst(head)
            head = 0
        }
    }
}
