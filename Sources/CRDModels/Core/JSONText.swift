/// JSON text written directly: raw fragments and escaped strings, escaped as `JSONEncoder` escapes them with
/// `.withoutEscapingSlashes` (quote, backslash and control characters; everything else as UTF-8). For the few
/// fixed shapes on a hot path, where the encoder's generic machinery costs more than the bytes.
public struct JSONText: Sendable {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    public var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// Appends `fragment` as it is (JSON punctuation, keys known not to need escaping, numbers).
    public mutating func append(_ fragment: String) {
        bytes.append(contentsOf: fragment.utf8)
    }

    /// Appends the fixed `fragment` as it is, copied as one buffer (a `String`'s goes through its UTF-8 view).
    public mutating func append(fixed fragment: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: fragment.utf8Start, count: fragment.utf8CodeUnitCount))
    }

    /// Appends `string` as a JSON string literal.
    public mutating func append(string: String) {
        Self.write(string: string, to: &bytes)
    }

    /// Writes `string` as a JSON string literal to `bytes`: the one home of the escaping rule, for this type
    /// and for `JSONValue.serialized()`.
    static func write(string: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        defer { bytes.append(UInt8(ascii: "\"")) }
        // A string with nothing to escape (every AdmissionReview answer's uid, most messages) is copied as one
        // buffer, checked by a plain loop over its bytes: not through the UTF-8 view's iterator, nor a closure.
        var string = string
        let copied = string.withUTF8 { text in
            for byte in text where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                return false
            }
            bytes.append(contentsOf: text)
            return true
        }
        if copied { return }
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case 0x08: bytes.append(contentsOf: #"\b"#.utf8)
            case 0x0C: bytes.append(contentsOf: #"\f"#.utf8)
            case 0x0A: bytes.append(contentsOf: #"\n"#.utf8)
            case 0x0D: bytes.append(contentsOf: #"\r"#.utf8)
            case 0x09: bytes.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
    }

    /// Appends `"key":` (the key escaped).
    public mutating func append(key: String) {
        append(string: key)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Appends a JSON object of strings; keys in the dictionary's order.
    public mutating func append(object: [String: String]) {
        bytes.append(UInt8(ascii: "{"))
        var first = true
        for (key, value) in object {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            append(key: key)
            append(string: value)
        }
        bytes.append(UInt8(ascii: "}"))
    }
}
