/// The JSON writer behind `JSONValue.serialized()`. It writes what swift-foundation's `JSONEncoder` writes with
/// `[.sortedKeys, .withoutEscapingSlashes]` (`JSONWriter`): object keys in the order of their UTF-8 bytes (as Go's
/// `encoding/json` sorts map keys), `"`, `\` and control characters escaped (`\b \f \n \r \t`, else `\u00xx`), `/`
/// and non-ASCII text as is; integral numbers below 2^53 as integers, others as `Double.description` without a
/// trailing `.0`. Going through `JSONEncoder` cost a container, a boxed value and a dictionary per member: the API
/// test server spent a fifth of its time there, answering and streaming watch events.
extension JSONValue {
    func write(to bytes: inout [UInt8]) {
        switch self {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .bool(let value): bytes.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let value): Self.write(number: value, to: &bytes)
        case .string(let value): JSONText.write(string: value, to: &bytes)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                element.write(to: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                JSONText.write(string: member.key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                member.value.write(to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    private static func write(number value: Double, to bytes: inout [UInt8]) {
        // Integers (resource counts, generations) stay integers on the wire, as in `encode(to:)`.
        if value.rounded() == value, abs(value) < 9.007_199_254_740_992e15 {
            bytes.append(contentsOf: String(Int64(value)).utf8)
            return
        }
        // JSON has no NaN or infinity; JSONEncoder refuses them, `parse` never makes them.
        guard value.isFinite else {
            bytes.append(contentsOf: "null".utf8)
            return
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }
}
