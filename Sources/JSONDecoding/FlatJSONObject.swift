import CRDModels
import FoundationEssentials

/// One object of a `FlatJSON` document, read member by member without a `Decodable` model, for a hot path that
/// needs a few members of a large document (the webhook's AdmissionReview envelope). Through `Codable`, every
/// model level costs a boxed container, generic-metadata lookups and protocol dispatch per member; here a member is
/// one lookup in the table. Values and errors are those of `FlatJSONDecoder`'s keyed container (this wraps it):
/// a missing member is `keyNotFound`, a member of the wrong type `typeMismatch`, null where a value is required
/// `valueNotFound`, each with its coding path from the document's root, so a direct reader of a model fails
/// exactly as the model's decode would.
public struct FlatJSONObject {
    private let container: KeyedContainer<NameKey>

    init(_ decoder: FlatJSONValueDecoder) throws {
        try decoder.expect(decoder.node, .object, [String: Any].self, path: decoder.codingPath)
        container = KeyedContainer(decoder: decoder)
    }

    /// Coding keys from the document's root to this object.
    public var codingPath: [any CodingKey] { container.codingPath }

    public func string(_ name: String) throws -> String {
        try container.decode(String.self, forKey: NameKey(stringValue: name))
    }

    /// A required string member left in the document, to compare in place: what `string(_:)` reads, with its errors,
    /// but no `String` is made (an allocation and a UTF-8 check each) until one is asked for.
    public func text(_ name: String) throws -> FlatJSONString {
        FlatJSONString(document: container.decoder.document, node: try container.stringNode(NameKey(stringValue: name)))
    }

    /// nil when the member is absent or null.
    public func stringIfPresent(_ name: String) throws -> String? {
        try container.decodeIfPresent(String.self, forKey: NameKey(stringValue: name))
    }

    public func object(_ name: String) throws -> FlatJSONObject {
        try FlatJSONObject(container.member(NameKey(stringValue: name)))
    }

    /// nil when the member is absent or null.
    public func objectIfPresent(_ name: String) throws -> FlatJSONObject? {
        try container.memberIfPresent(NameKey(stringValue: name)).map(FlatJSONObject.init)
    }

    /// A member decoded through its `Decodable` model (the errors' paths start at the document's root).
    public func decode<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        try container.decode(T.self, forKey: NameKey(stringValue: name))
    }

    /// The namespaced kind's spec at member `name`: what `decode(AWSECRImagePullSecretSpec.self, name)` gives, values
    /// and errors, straight from the direct reader (`namespacedSpec`). `decode` is generic across modules, so it is
    /// not specialized: each call went through four unspecialized generic frames, a type test per direct type and
    /// value-witness copies of the spec.
    public func namespacedSpec(_ name: String) throws -> AWSECRImagePullSecretSpec {
        let key = NameKey(stringValue: name)
        return try container.decoder.namespacedSpec(try container.value(key), path: container.codingPath + [key])
    }

    /// The cluster kind's spec at member `name`, as `namespacedSpec(_:)` reads the namespaced one.
    public func clusterSpec(_ name: String) throws -> ClusterAWSECRImagePullSecretSpec {
        let key = NameKey(stringValue: name)
        return try container.decoder.clusterSpec(try container.value(key), path: container.codingPath + [key])
    }
}

/// A string value of a `FlatJSON` document, compared with a `String` without making one (`FlatJSONObject.text`):
/// for members that are only checked against an expected value, such as an envelope's `apiVersion` and `kind`.
public struct FlatJSONString: CustomStringConvertible {
    let document: FlatJSON
    let node: Int

    /// The value, escapes resolved.
    public var string: String { document.unescapedString(node) }

    public var description: String { string }

    /// Whether the value reads `text` (escapes resolved).
    public static func == (value: FlatJSONString, text: String) -> Bool {
        var text = text
        return text.withUTF8 { value.document.keyMatches(value.node, $0) }
    }

    public static func != (value: FlatJSONString, text: String) -> Bool { !(value == text) }
}
