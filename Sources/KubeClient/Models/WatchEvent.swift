import CRDModels
import FoundationEssentials

/// One line of a watch stream (`metav1.WatchEvent`).
public enum WatchEvent<R: KubeResource>: Sendable {
    case added(R)
    case modified(R)
    case deleted(R)
    /// A progress marker: only the resourceVersion is meaningful.
    case bookmark(resourceVersion: String)
    /// The server ended the watch with a failure, e.g. 410 Expired.
    case error(Status)

    /// The wire name of the event type.
    public var type: String {
        switch self {
        case .added: "ADDED"
        case .modified: "MODIFIED"
        case .deleted: "DELETED"
        case .bookmark: "BOOKMARK"
        case .error: "ERROR"
        }
    }

    /// The same event with its object replaced by `transform(object)`.
    public func map(_ transform: (R) -> R) -> WatchEvent<R> {
        switch self {
        case .added(let object): .added(transform(object))
        case .modified(let object): .modified(transform(object))
        case .deleted(let object): .deleted(transform(object))
        case .bookmark, .error: self
        }
    }

    /// The resourceVersion this event moves the watch to, if any.
    public var resourceVersion: String? {
        switch self {
        case .added(let object), .modified(let object), .deleted(let object): object.metadata.resourceVersion
        case .bookmark(let version): version
        case .error: nil
        }
    }
}

extension WatchEvent: Codable {
    private enum CodingKeys: String, CodingKey {
        case type, object
    }

    private struct BookmarkObject: Codable {
        var metadata: ListMeta
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "ADDED": self = .added(try container.decode(TypeMetaDefaulted<R>.self, forKey: .object).value)
        case "MODIFIED": self = .modified(try container.decode(TypeMetaDefaulted<R>.self, forKey: .object).value)
        case "DELETED": self = .deleted(try container.decode(TypeMetaDefaulted<R>.self, forKey: .object).value)
        case "BOOKMARK":
            let object = try container.decode(BookmarkObject.self, forKey: .object)
            self = .bookmark(resourceVersion: object.metadata.resourceVersion ?? "")
        case "ERROR": self = .error(try container.decode(Status.self, forKey: .object))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "unknown watch event type \(type)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        switch self {
        case .added(let object), .modified(let object), .deleted(let object):
            try container.encode(object, forKey: .object)
        case .bookmark(let version):
            try container.encode(
                JSONValue.object([
                    "apiVersion": .string(R.resource.apiVersion), "kind": .string(R.resource.kind),
                    "metadata": .object(["resourceVersion": .string(version)]),
                ]), forKey: .object)
        case .error(let status):
            try container.encode(status, forKey: .object)
        }
    }
}
