import CRDModels
import FoundationEssentials

/// Decodes `Decodable` types from JSON through `FlatJSON`: the same models and the same `DecodingError`s (coding
/// paths, `typeMismatch`/`valueNotFound`/`keyNotFound`) as `JSONDecoder` with default strategies (`Data` from
/// base64, `Date` by its own `Codable`), at a fraction of its cost per value. Holds no state between calls.
public struct FlatJSONDecoder: Sendable {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let document = try FlatJSON(data)
        return try FlatJSONValueDecoder(document, node: 0, parent: nil, key: nil).decode(T.self)
    }

    /// The document's root object, to read member by member (`FlatJSONObject`).
    public func object(from data: Data) throws -> FlatJSONObject {
        try FlatJSONObject(FlatJSONValueDecoder(try FlatJSON(data), node: 0, parent: nil, key: nil))
    }
}

/// A decoder that can supply string members an object lacks, without re-reading the document: list items arrive
/// without `apiVersion` and `kind`, which their models require.
public protocol MemberDefaultingDecoder: Decoder {
    /// Decodes `T` from this decoder's value as if its object had the members of `defaults` it does not have.
    func decode<T: Decodable>(_ type: T.Type, defaultingMissing defaults: [String: String]) throws -> T
}

/// The key of a map member in a coding path.
struct NameKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// The key of an array element in a coding path.
struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

/// Decodes one value of the document; also its own single-value container. The coding path is kept as a link
/// to the parent and built only when an error or a caller asks for it.
final class FlatJSONValueDecoder: MemberDefaultingDecoder, SingleValueDecodingContainer {
    let document: FlatJSON
    let node: Int
    let parent: FlatJSONValueDecoder?
    let key: (any CodingKey)?
    /// String members this value's object reads as present when it lacks them (see `MemberDefaultingDecoder`).
    let memberDefaults: [String: String]

    init(
        _ document: FlatJSON, node: Int, parent: FlatJSONValueDecoder?, key: (any CodingKey)?,
        memberDefaults: [String: String] = [:]
    ) {
        self.document = document
        self.node = node
        self.parent = parent
        self.key = key
        self.memberDefaults = memberDefaults
    }

    func decode<T: Decodable>(_ type: T.Type, defaultingMissing defaults: [String: String]) throws -> T {
        try T(from: FlatJSONValueDecoder(document, node: node, parent: parent, key: key, memberDefaults: defaults))
    }

    var codingPath: [any CodingKey] {
        var path: [any CodingKey] = []
        var decoder: FlatJSONValueDecoder? = self
        while let current = decoder, let key = current.key {
            path.append(key)
            decoder = current.parent
        }
        return path.reversed()
    }

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        try expect(node, .object, [String: Any].self, path: codingPath)
        return KeyedDecodingContainer(KeyedContainer<Key>(decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try expect(node, .array, [Any].self, path: codingPath)
        return UnkeyedContainer(decoder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    /// A nested value, decoded by a decoder for it (or directly, see `direct`).
    func decode<T: Decodable>(_ type: T.Type, at node: Int, key: any CodingKey) throws -> T {
        if Self.isDirect(T.self) { return try direct(T.self, at: node, key: key) }
        return try FlatJSONValueDecoder(document, node: node, parent: self, key: key).decode(T.self)
    }

    /// Whether `direct` builds `T`. (A separate test, not an optional result: `T?` would cost a generic-metadata
    /// lookup per value.)
    private static func isDirect<T>(_ type: T.Type) -> Bool {
        T.self == String.self || T.self == [String: String].self || T.self == [String].self || T.self == JSONValue.self
            || T.self == Data.self || T.self == ObjectMeta.self || T.self == ObjectMeta.WithoutManagedFields.self
            || T.self == AWSECRImagePullSecretSpec.self || T.self == ClusterAWSECRImagePullSecretSpec.self
    }

    /// `String`, `[String]`, `[String: String]` (labels, annotations), `JSONValue`, `ObjectMeta` (see
    /// `objectMeta`) and the two kinds' specs (see `namespacedSpec`) built straight from the table, with the values
    /// and errors their `init(from:)` gives, but without a decoder and a container per value;
    /// `Data` from base64, as `JSONDecoder` decodes it by default (its own `init(from:)` reads an array of bytes).
    /// `node` is this decoder's own (`key` nil) or its member's or element's at `key`.
    private func direct<T: Decodable>(_ type: T.Type, at node: Int, key: (any CodingKey)?) throws -> T {
        func path() -> [any CodingKey] { key.map { codingPath + [$0] } ?? codingPath }
        if T.self == String.self {
            return unsafeBitCast(try string(node, path: path()), to: T.self)
        }
        if T.self == Data.self {
            return unsafeBitCast(try base64(node, path: path()), to: T.self)
        }
        if T.self == [String: String].self {
            return unsafeBitCast(try stringMap(node, path: path()), to: T.self)
        }
        if T.self == [String].self {
            return unsafeBitCast(try stringList(node, path: path()), to: T.self)
        }
        if T.self == ObjectMeta.self || T.self == ObjectMeta.WithoutManagedFields.self {
            let metadata = key.map { FlatJSONValueDecoder(document, node: node, parent: self, key: $0) } ?? self
            let keepingManagedFields = T.self == ObjectMeta.self
            let value = try metadata.objectMeta(keepingManagedFields: keepingManagedFields)
            return keepingManagedFields
                ? unsafeBitCast(value, to: T.self)
                : unsafeBitCast(ObjectMeta.WithoutManagedFields(value), to: T.self)
        }
        if T.self == AWSECRImagePullSecretSpec.self {
            return unsafeBitCast(try namespacedSpec(node, path: path()), to: T.self)
        }
        if T.self == ClusterAWSECRImagePullSecretSpec.self {
            return unsafeBitCast(try clusterSpec(node, path: path()), to: T.self)
        }
        precondition(T.self == JSONValue.self, "direct(\(T.self)) without isDirect")
        if let value = document.jsonValue(node) { return unsafeBitCast(value, to: T.self) }
        // A number too big for a Double: `init(from:)` gives the error.
        return try T(from: key.map { FlatJSONValueDecoder(document, node: node, parent: self, key: $0) } ?? self)
    }

    // MARK: Single value

    func decodeNil() -> Bool { document[node].kind == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try bool(node, path: codingPath) }
    func decode(_ type: String.Type) throws -> String { try string(node, path: codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try double(node, path: codingPath) }
    func decode(_ type: Float.Type) throws -> Float { try float(node, path: codingPath) }
    func decode(_ type: Int.Type) throws -> Int { try integer(node, path: codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(node, path: codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(node, path: codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(node, path: codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(node, path: codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(node, path: codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(node, path: codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(node, path: codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(node, path: codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(node, path: codingPath) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if Self.isDirect(T.self) { return try direct(T.self, at: node, key: nil) }
        return try T(from: self)
    }

    // MARK: Primitives (shared by the three kinds of container)

    func expect(
        _ node: Int, _ kind: FlatJSON.Kind, _ type: Any.Type, path: @autoclosure () -> [any CodingKey]
    ) throws {
        let found = document[node].kind
        guard found != kind else { return }
        let description = "Expected to decode \(type) but found \(found) instead."
        if found == .null {
            throw DecodingError.valueNotFound(type, .init(codingPath: path(), debugDescription: description))
        }
        throw DecodingError.typeMismatch(type, .init(codingPath: path(), debugDescription: description))
    }

    func bool(_ node: Int, path: @autoclosure () -> [any CodingKey]) throws -> Bool {
        switch document[node].kind {
        case .true: return true
        case .false: return false
        default: try expect(node, .true, Bool.self, path: path()); return false
        }
    }

    func string(_ node: Int, path: @autoclosure () -> [any CodingKey]) throws -> String {
        try expect(node, .string, String.self, path: path())
        return document.unescapedString(node)
    }

    /// `[String: String]` (labels, annotations) as its `init(from:)` reads it.
    func stringMap(_ node: Int, path: @autoclosure () -> [any CodingKey]) throws -> [String: String] {
        try expect(node, .object, [String: Any].self, path: path())
        var map: [String: String] = [:]
        var member = node + 1
        for _ in 0..<document[node].count {
            let name = document.unescapedString(member)
            if map[name] == nil {  // the first of repeated names, as `member(of:named:)` finds
                map[name] = try string(member + 1, path: path() + [NameKey(stringValue: name)])
            }
            member = document[member + 1].after
        }
        return map
    }

    /// `[String]` as its `init(from:)` reads it.
    func stringList(_ node: Int, path: @autoclosure () -> [any CodingKey]) throws -> [String] {
        try list(node, path: path()) { element, elementPath in try string(element, path: elementPath()) }
    }

    /// An array whose elements `read` builds (given an element's node and its coding path, made only if asked for).
    func list<Element>(
        _ node: Int, path: @autoclosure () -> [any CodingKey],
        _ read: (Int, () -> [any CodingKey]) throws -> Element
    ) throws -> [Element] {
        try expect(node, .array, [Any].self, path: path())
        var list: [Element] = []
        list.reserveCapacity(document[node].count)
        var element = node + 1
        try withoutActuallyEscaping(path) { path in
            for index in 0..<document[node].count {
                list.append(try read(element, { path() + [IndexKey(intValue: index)] }))
                element = document[element].after
            }
        }
        return list
    }

    /// `JSONDecoder`'s `.base64` strategy: null is a missing `Data`, anything else but a string a mismatched `String`.
    func base64(_ node: Int, path: @autoclosure () -> [any CodingKey]) throws -> Data {
        if document[node].kind == .null {
            throw DecodingError.valueNotFound(
                Data.self,
                .init(
                    codingPath: path(), debugDescription: "Cannot get value of type Data -- found null value instead"))
        }
        guard let data = Data(base64Encoded: try string(node, path: path())) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: path(), debugDescription: "Encountered Data is not valid Base64."))
        }
        return data
    }

    func double(_ node: Int, path: @autoclosure () -> [any CodingKey]) throws -> Double {
        try expect(node, .number, Double.self, path: path())
        guard let value = Double(document.numberText(node)), value.isFinite else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: path(), debugDescription: "Number does not fit in Double."))
        }
        return value
    }

    func float(_ node: Int, path: @autoclosure () -> [any CodingKey]) throws -> Float {
        let value = Float(try double(node, path: path()))
        guard value.isFinite else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: path(), debugDescription: "Number does not fit in Float."))
        }
        return value
    }

    func integer<T: FixedWidthInteger>(_ node: Int, path: @autoclosure () -> [any CodingKey]) throws -> T {
        try expect(node, .number, T.self, path: path())
        // `1.0` and `1e3` are integers too, as JSONDecoder reads them.
        let value = document[node].flag
            ? Double(document.numberText(node)).flatMap { T(exactly: $0) } : document.integer(node, as: T.self)
        guard let value else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: path(), debugDescription: "Number does not fit in \(T.self)."))
        }
        return value
    }
}

struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: FlatJSONValueDecoder

    var codingPath: [any CodingKey] { decoder.codingPath }

    var allKeys: [Key] {
        decoder.document.memberNames(of: decoder.node).compactMap { Key(stringValue: $0) }
    }

    func contains(_ key: Key) -> Bool { find(key) != nil || defaulted(key) != nil }

    private func find(_ key: Key) -> Int? {
        decoder.document.member(of: decoder.node, named: key.stringValue)
    }

    /// The member default for `key`, when the object lacks it (only ever asked once a lookup failed).
    private func defaulted(_ key: Key) -> String? {
        decoder.memberDefaults.isEmpty ? nil : decoder.memberDefaults[key.stringValue]
    }

    /// The member's node (`keyNotFound` when it is absent).
    func value(_ key: Key) throws -> Int {
        guard let node = find(key) else {
            throw DecodingError.keyNotFound(
                key,
                .init(codingPath: codingPath, debugDescription: "No value associated with key \(key.stringValue)."))
        }
        return node
    }

    /// The member's node, or nil when it is absent or null.
    private func present(_ key: Key) -> Int? {
        guard let node = find(key), decoder.document[node].kind != .null else { return nil }
        return node
    }

    func decodeNil(forKey key: Key) throws -> Bool { decoder.document[try value(key)].kind == .null }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        try decoder.bool(try value(key), path: codingPath + [key])
    }
    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        if find(key) == nil, let value = defaulted(key) { return value }
        return try decoder.string(try value(key), path: codingPath + [key])
    }

    /// The node of a required string member, with `decode(String.self, forKey:)`'s errors (member defaults aside:
    /// `FlatJSONObject`, its one caller, has none).
    func stringNode(_ key: Key) throws -> Int {
        let node = try value(key)
        try decoder.expect(node, .string, String.self, path: codingPath + [key])
        return node
    }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        try decoder.double(try value(key), path: codingPath + [key])
    }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
        try decoder.float(try value(key), path: codingPath + [key])
    }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try integer(key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try integer(key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try integer(key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try integer(key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try integer(key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try integer(key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try integer(key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try integer(key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try integer(key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try integer(key) }

    private func integer<T: FixedWidthInteger>(_ key: Key) throws -> T {
        try decoder.integer(try value(key), path: codingPath + [key])
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decoder.decode(T.self, at: try value(key), key: key)
    }

    // The optional fields of every model: one lookup each instead of the default `contains`, `decodeNil`, `decode`.
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        guard let node = present(key) else { return find(key) == nil ? defaulted(key) : nil }
        return try decoder.string(node, path: codingPath + [key])
    }
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? {
        guard let node = present(key) else { return nil }
        return try decoder.bool(node, path: codingPath + [key])
    }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? {
        guard let node = present(key) else { return nil }
        return try decoder.integer(node, path: codingPath + [key])
    }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? {
        guard let node = present(key) else { return nil }
        return try decoder.integer(node, path: codingPath + [key])
    }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let node = present(key) else { return nil }
        return try decoder.decode(T.self, at: node, key: key)
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try child(key).container(keyedBy: NestedKey.self)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try child(key).unkeyedContainer()
    }

    /// A decoder of the member at `key` (`keyNotFound` when it is absent).
    func member(_ key: Key) throws -> FlatJSONValueDecoder { try child(key) }

    /// A decoder of the member at `key`; nil when it is absent or null (one lookup, as `decodeIfPresent`).
    func memberIfPresent(_ key: Key) -> FlatJSONValueDecoder? {
        present(key).map { FlatJSONValueDecoder(decoder.document, node: $0, parent: decoder, key: key) }
    }

    func superDecoder() throws -> any Decoder { try child(IndexKey(intValue: 0), name: "super") }
    func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }

    private func child(_ key: any CodingKey, name: String? = nil) throws -> FlatJSONValueDecoder {
        guard let node = decoder.document.member(of: decoder.node, named: name ?? key.stringValue) else {
            throw DecodingError.keyNotFound(
                key,
                .init(codingPath: codingPath, debugDescription: "No value associated with key \(key.stringValue)."))
        }
        return FlatJSONValueDecoder(decoder.document, node: node, parent: decoder, key: key)
    }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let decoder: FlatJSONValueDecoder
    /// The node of the next element.
    private var next: Int
    private(set) var currentIndex = 0

    init(decoder: FlatJSONValueDecoder) {
        self.decoder = decoder
        self.next = decoder.node + 1
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { decoder.document[decoder.node].count }
    var isAtEnd: Bool { currentIndex >= decoder.document[decoder.node].count }

    /// The next element's node; advances past it.
    private mutating func element(_ type: Any.Type) throws -> Int {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                type,
                .init(codingPath: codingPath + [IndexKey(intValue: currentIndex)],
                      debugDescription: "Unkeyed container is at end."))
        }
        let node = next
        next = decoder.document[node].after
        currentIndex += 1
        return node
    }

    /// Decodes the next element with `read` (given this array's decoder, the element's node and its coding path,
    /// built only if asked for),
    /// advancing only if it succeeds.
    private mutating func read<T>(
        _ read: (FlatJSONValueDecoder, Int, () -> [any CodingKey]) throws -> T
    ) throws -> T {
        let saved = (next, currentIndex)
        let decoder = self.decoder
        let path = { decoder.codingPath + [IndexKey(intValue: saved.1)] }
        let node = try element(T.self)
        do {
            return try read(decoder, node, path)
        } catch {
            (next, currentIndex) = saved
            throw error
        }
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, decoder.document[next].kind == .null else { return false }
        _ = try element(Never.self)
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try read { try $0.bool($1, path: $2()) } }
    mutating func decode(_ type: String.Type) throws -> String { try read { try $0.string($1, path: $2()) } }
    mutating func decode(_ type: Double.Type) throws -> Double { try read { try $0.double($1, path: $2()) } }
    mutating func decode(_ type: Float.Type) throws -> Float { try read { try $0.float($1, path: $2()) } }
    mutating func decode(_ type: Int.Type) throws -> Int { try integer() }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try integer() }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try integer() }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try integer() }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try integer() }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try integer() }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try integer() }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try integer() }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try integer() }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try integer() }

    private mutating func integer<T: FixedWidthInteger>() throws -> T {
        try read { try $0.integer($1, path: $2()) }
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let key = IndexKey(intValue: currentIndex)
        return try read { decoder, node, _ in try decoder.decode(T.self, at: node, key: key) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        let key = IndexKey(intValue: currentIndex)
        return try read { decoder, node, _ in
            try FlatJSONValueDecoder(decoder.document, node: node, parent: decoder, key: key)
                .container(keyedBy: NestedKey.self)
        }
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let key = IndexKey(intValue: currentIndex)
        return try read { decoder, node, _ in
            try FlatJSONValueDecoder(decoder.document, node: node, parent: decoder, key: key).unkeyedContainer()
        }
    }

    mutating func superDecoder() throws -> any Decoder {
        let key = IndexKey(intValue: currentIndex)
        return try read { decoder, node, _ in
            FlatJSONValueDecoder(decoder.document, node: node, parent: decoder, key: key)
        }
    }
}
