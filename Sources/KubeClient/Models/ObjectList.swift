import CRDModels
import FoundationEssentials
import JSONDecoding

/// A list response: `metadata` carries the snapshot's resourceVersion and the `continue` token.
///
/// The API server omits `apiVersion` and `kind` on list items; decoding fills them in from the item
/// type's descriptor so models can keep them as plain stored properties.
public struct ObjectList<R: KubeResource>: Codable, Sendable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ListMeta
    public var items: [R]

    public init(metadata: ListMeta = ListMeta(), items: [R]) {
        self.apiVersion = R.resource.apiVersion
        self.kind = R.resource.kind + "List"
        self.metadata = metadata
        self.items = items
    }

    private enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, items
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try container.decodeIfPresent(String.self, forKey: .kind)
        metadata = try container.decodeIfPresent(ListMeta.self, forKey: .metadata) ?? ListMeta()
        // kube-apiserver answers an empty metadata-only list with `"items": null` (typed lists: `[]`).
        var items: [R] = []
        guard try container.decodeNil(forKey: .items) == false else {
            self.items = items
            return
        }
        var itemsContainer = try container.nestedUnkeyedContainer(forKey: .items)
        while !itemsContainer.isAtEnd {
            items.append(try itemsContainer.decode(TypeMetaDefaulted<R>.self).value)
        }
        self.items = items
    }
}

/// Decodes `R`, supplying `apiVersion` and `kind` from `R.resource` when the JSON lacks them.
/// Coding paths of errors inside the item are kept.
///
/// `FlatJSONDecoder` (the client's) reads the item once with the two as defaults; any other decoder tries `R`
/// and, when one is missing, decodes the item again from a patched `JSONValue`.
struct TypeMetaDefaulted<R: KubeResource>: Decodable {
    var value: R

    init(from decoder: any Decoder) throws {
        if let decoder = decoder as? any MemberDefaultingDecoder {
            value = try decoder.decode(
                R.self, defaultingMissing: ["apiVersion": R.resource.apiVersion, "kind": R.resource.kind])
            return
        }
        do {
            value = try R(from: decoder)
        } catch DecodingError.keyNotFound(let key, _) where key.stringValue == "apiVersion" || key.stringValue == "kind" {
            var object = try JSONValue(from: decoder)
            if object["apiVersion"] == nil { object["apiVersion"] = .string(R.resource.apiVersion) }
            if object["kind"] == nil { object["kind"] = .string(R.resource.kind) }
            do {
                value = try object.decode(as: R.self)
            } catch let error as DecodingError {
                throw error.prefixingPath(decoder.codingPath)
            }
        }
    }
}

extension DecodingError {
    /// The same error with `prefix` in front of its coding path (for errors from a nested decode).
    func prefixingPath(_ prefix: [any CodingKey]) -> DecodingError {
        func rebase(_ context: Context) -> Context {
            Context(
                codingPath: prefix + context.codingPath, debugDescription: context.debugDescription,
                underlyingError: context.underlyingError)
        }
        switch self {
        case .keyNotFound(let key, let context): return .keyNotFound(key, rebase(context))
        case .typeMismatch(let type, let context): return .typeMismatch(type, rebase(context))
        case .valueNotFound(let type, let context): return .valueNotFound(type, rebase(context))
        case .dataCorrupted(let context): return .dataCorrupted(rebase(context))
        @unknown default: return self
        }
    }
}
