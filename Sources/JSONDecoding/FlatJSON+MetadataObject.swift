import CRDModels
import FoundationEssentials

/// An object reduced to its type and metadata, as a metadata-only answer or watch event carries it
/// (`meta.k8s.io/v1 PartialObjectMetadata`), read straight from the table: the operator decodes one per write
/// answer and one per watch event of its managed Secrets. Through the `Codable` models (the event, the type-meta
/// defaulting, the object) each level cost a boxed keyed container, a generic decode, a lookup by name per member
/// and a dictionary of defaults per event: in a refresh at 5,000 namespaces ~4 % of the operator's CPU beside the
/// 2.6 % of `ObjectMeta` itself. The values and errors (kind, coding path) are those of the models' `init(from:)`.
public struct FlatJSONMetadataObject: Sendable {
    public var apiVersion: String
    public var kind: String
    /// Without `managedFields` (checked only, as `ObjectMeta.WithoutManagedFields` reads them).
    public var metadata: ObjectMeta
}

/// The `type` of a watch event that carries an object.
public enum FlatJSONWatchEventType: CaseIterable, Sendable {
    case added, modified, deleted

    var wireName: StaticString {
        switch self {
        case .added: "ADDED"
        case .modified: "MODIFIED"
        case .deleted: "DELETED"
        }
    }
}

/// `apiVersion` and `kind` for an object that lacks them (watch events and list items may).
public struct FlatJSONTypeMetaDefaults: Sendable {
    public var apiVersion: String
    public var kind: String

    public init(apiVersion: String, kind: String) {
        self.apiVersion = apiVersion
        self.kind = kind
    }
}

extension FlatJSONDecoder {
    /// The document's root object as its metadata-only model's `init(from:)` reads it: `apiVersion` and `kind`
    /// required (or taken from `defaults` when absent), `metadata` required and read without `managedFields`.
    /// Its labels, annotations and owner references equal to `template`'s are `template`'s copies (a write's
    /// answer: the metadata sent).
    public func metadataObject(
        from data: Data, defaults: FlatJSONTypeMetaDefaults? = nil, template: ObjectMeta? = nil
    ) throws -> FlatJSONMetadataObject {
        try FlatJSONValueDecoder(try FlatJSON(data), node: 0, parent: nil, key: nil)
            .metadataObject(defaults: defaults) { _, _ in template }
    }

    /// A watch event line (`{"type":..., "object":...}`) whose object of an ADDED, MODIFIED or DELETED event is read
    /// as `metadataObject` reads it (its missing `apiVersion`/`kind` from `defaults`) and handed to `event`; any
    /// other line (BOOKMARK, ERROR, an unknown type) is decoded as `Event` through its `init(from:)`. Labels,
    /// annotations and owner references equal to those `known` gives for the object's namespace and name (what a
    /// cache holds of it) are `known`'s copies.
    public func metadataWatchEvent<Event: Decodable>(
        _ type: Event.Type, from data: Data, defaults: FlatJSONTypeMetaDefaults,
        known: (_ namespace: String?, _ name: String?) -> ObjectMeta? = { _, _ in nil },
        _ event: (FlatJSONWatchEventType, FlatJSONMetadataObject) -> Event
    ) throws -> Event {
        let decoder = FlatJSONValueDecoder(try FlatJSON(data), node: 0, parent: nil, key: nil)
        if let (type, object) = try decoder.metadataWatchEvent(defaults: defaults, known: known) {
            return event(type, object)
        }
        return try decoder.decode(Event.self)
    }
}

extension FlatJSONValueDecoder {
    /// The members of a metadata-only object in the order its `init(from:)` decodes them.
    private enum ObjectMember: Int, FlatJSONMembers {
        case apiVersion, kind, metadata

        static let names = allCases.map { Array("\($0)".utf8) }
    }

    /// The members of a watch event in the order its `init(from:)` decodes them.
    private enum EventMember: Int, FlatJSONMembers {
        case type, object

        static let names = allCases.map { Array("\($0)".utf8) }
    }

    fileprivate func metadataObject(
        defaults: FlatJSONTypeMetaDefaults?, template: (_ namespace: String?, _ name: String?) -> ObjectMeta?
    ) throws -> FlatJSONMetadataObject {
        try object(node, path: codingPath, ObjectMember.self) { object in
            let apiVersion = try object.string(.apiVersion, absent: defaults?.apiVersion)
            let kind = try object.string(.kind, absent: defaults?.kind)
            let metadata = try object.required(.metadata) { node, _ in
                try member(node, ObjectMember.metadata.key).objectMeta(keepingManagedFields: false, template: template)
            }
            return FlatJSONMetadataObject(apiVersion: apiVersion, kind: kind, metadata: metadata)
        }
    }

    /// The event's type and object; nil when its type is none of the three that carry an object.
    fileprivate func metadataWatchEvent(
        defaults: FlatJSONTypeMetaDefaults, known: (_ namespace: String?, _ name: String?) -> ObjectMeta?
    ) throws -> (FlatJSONWatchEventType, FlatJSONMetadataObject)? {
        try object(node, path: codingPath, EventMember.self) { event in
            let typeNode = try event.required(.type) { node, path in
                try expect(node, .string, String.self, path: path())
                return node
            }
            let type = FlatJSONWatchEventType.allCases.first { type in
                type.wireName.withUTF8Buffer { document.keyMatches(typeNode, $0) }
            }
            guard let type else { return nil }
            let object = try event.required(.object) { node, _ in
                try member(node, EventMember.object.key).metadataObject(defaults: defaults, template: known)
            }
            return (type, object)
        }
    }

    /// A decoder of this object's member at `node` (its coding path this one's and `key`).
    private func member(_ node: Int, _ key: NameKey) -> FlatJSONValueDecoder {
        FlatJSONValueDecoder(document, node: node, parent: self, key: key)
    }
}

extension FlatJSONMemberReader {
    /// A required string member, or `absent` when the object lacks it (a member default: null is still an error).
    func string(_ member: Member, absent: String?) throws -> String {
        if members.value(member) == nil, let absent { return absent }
        return try string(member)
    }
}
