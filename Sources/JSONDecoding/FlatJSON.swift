import CRDModels
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// A JSON document scanned once into a flat table of values (pre-order: an object is followed by its keys and
/// values, an array by its elements), which `FlatJSONDecoder` decodes `Decodable` types from.
///
/// Why not Foundation's `JSONDecoder`: on the webhook's path it cost about 60 µs per 1.2 KB review, a third of
/// the webhook's CPU, nearly all of it in the generic layer (a dictionary of every object's keys built per
/// container, coding-path nodes, boxed values). Here a lookup compares a key's bytes with the member names of
/// its (small) object in place, strings are made only for the values asked for, and members nobody asks for
/// (`managedFields`, labels, `userInfo`) are scanned and skipped. In KubeClient (release build): a metadata-only
/// write answer 22 → 7 µs, 188 → 14 µs with the `managedFields` a real API server adds (`JSONValue`'s
/// try-each-type `init(from:)` throws on every miss); a list of 1,000 such items 290 → 16 ms.
///
/// The grammar is RFC 8259's with `JSONDecoder`'s one leniency (a trailing comma in an object or array): no
/// comments, no leading zeros, no control characters in strings, valid escapes and valid UTF-8. Nesting deeper
/// than `maxDepth` is refused (the scan recurses).
final class FlatJSON {
    enum Kind: UInt8 {
        case null, `false`, `true`, number, string, array, object
    }

    /// 32-bit offsets and counts (a document is at most `maxBytes` long, and has fewer nodes than bytes): 18 bytes
    /// a node (stride 20) rather than 34 (stride 40), half the table's memory and bandwidth.
    struct Node {
        var kind: Kind
        /// Strings: whether the text holds a backslash escape. Numbers: whether it has a fraction or exponent.
        var flag: Bool
        private var start32: UInt32
        private var end32: UInt32
        private var count32: UInt32
        private var after32: UInt32

        init(kind: Kind, flag: Bool, start: Int, end: Int, count: Int, after: Int) {
            self.kind = kind
            self.flag = flag
            start32 = UInt32(truncatingIfNeeded: start)
            end32 = UInt32(truncatingIfNeeded: end)
            count32 = UInt32(truncatingIfNeeded: count)
            after32 = UInt32(truncatingIfNeeded: after)
        }

        /// The text: between the quotes of a string, the digits of a number; the brackets of a container.
        var start: Int { Int(start32) }
        var end: Int { Int(end32) }
        /// Members of an object (key-value pairs) or elements of an array.
        var count: Int { Int(count32) }
        /// The index of the first node after this value's subtree.
        var after: Int { Int(after32) }

        /// Completes a container's node once its closing bracket is scanned.
        mutating func close(end: Int, count: Int, after: Int) {
            end32 = UInt32(truncatingIfNeeded: end)
            count32 = UInt32(truncatingIfNeeded: count)
            after32 = UInt32(truncatingIfNeeded: after)
        }
    }

    static let maxDepth = 512
    /// The longest document read: offsets are 32-bit (`Node`). API answers and reviews are capped far below this.
    static let maxBytes = Int(UInt32.max)
    /// Objects with more members than this get a key index on their first lookup, so decoding a large map
    /// (labels, annotations) stays linear.
    static let indexThreshold = 16

    let bytes: [UInt8]
    /// Constants after the scan (`let`: a class's `var` would be checked for exclusive access on every read).
    let nodes: [Node]
    private var memberIndexes: [Int: [String: Int]] = [:]

    init(_ data: Data) throws(DecodingError) {
        guard data.count <= Self.maxBytes else {
            throw .dataCorrupted(
                DecodingError.Context(
                    codingPath: [],
                    debugDescription: "The document is \(data.count) bytes long, more than the \(Self.maxBytes) "
                        + "bytes FlatJSON reads (its offsets are 32-bit)"))
        }
        // One block copy: `[UInt8](data)` went through `Data`'s iterator (about 1.5 % of a review's handling).
        bytes = data.withUnsafeBytes { [UInt8]($0) }
        var scanner = Scanner(bytes: bytes)
        try scanner.scanDocument()
        nodes = scanner.nodes
    }

    subscript(node: Int) -> Node { nodes[node] }

    // MARK: Lookups

    /// The value node of `object`'s member `name` (the first one, if repeated, as `JSONDecoder` does).
    func member(of object: Int, named name: String) -> Int? {
        let count = nodes[object].count
        if count > Self.indexThreshold {
            return memberIndex(of: object)[name]
        }
        var name = name
        return name.withUTF8 { wanted -> Int? in
            var key = object + 1
            for _ in 0..<count {
                if keyMatches(key, wanted) { return key + 1 }
                key = nodes[key + 1].after
            }
            return nil
        }
    }

    /// The member names of `object`, in document order.
    func memberNames(of object: Int) -> [String] {
        var names: [String] = []
        names.reserveCapacity(nodes[object].count)
        var key = object + 1
        for _ in 0..<nodes[object].count {
            names.append(unescapedString(key))
            key = nodes[key + 1].after
        }
        return names
    }

    /// Whether the string node `key` (a member name or a string value) reads `wanted` (escapes resolved).
    func keyMatches(_ key: Int, _ wanted: UnsafeBufferPointer<UInt8>) -> Bool {
        let node = nodes[key]
        if node.flag { return Array(unescapedString(key).utf8).elementsEqual(wanted) }
        guard node.end - node.start == wanted.count else { return false }
        return bytes.withUnsafeBufferPointer { all in
            let text = UnsafeRawPointer(all.baseAddress! + node.start)
            let wantedText = UnsafeRawPointer(wanted.baseAddress!)
            // Member names are short: up to 16 bytes compared in two overlapping words each rather than by a call
            // to `memcmp` (most lookups compare names of equal length: `kind`/`name`, `namespace`/`operation`).
            switch wanted.count {
            case 0:
                return true
            case 1...7:
                for index in 0..<wanted.count where text.load(fromByteOffset: index, as: UInt8.self)
                    != wantedText.load(fromByteOffset: index, as: UInt8.self)
                {
                    return false
                }
                return true
            case 8...16:
                let last = wanted.count - 8
                return text.loadUnaligned(as: UInt64.self) == wantedText.loadUnaligned(as: UInt64.self)
                    && text.loadUnaligned(fromByteOffset: last, as: UInt64.self)
                        == wantedText.loadUnaligned(fromByteOffset: last, as: UInt64.self)
            default:
                return memcmp(text, wantedText, wanted.count) == 0
            }
        }
    }

    private func memberIndex(of object: Int) -> [String: Int] {
        if let index = memberIndexes[object] { return index }
        var index: [String: Int] = [:]
        var key = object + 1
        for _ in 0..<nodes[object].count {
            let name = unescapedString(key)
            if index[name] == nil { index[name] = key + 1 }
            key = nodes[key + 1].after
        }
        memberIndexes[object] = index
        return index
    }

    // MARK: Values

    /// The text of a string node, escapes resolved (validated by the scan).
    func unescapedString(_ node: Int) -> String {
        let node = nodes[node]
        return bytes.withUnsafeBufferPointer { all in
            let text = UnsafeBufferPointer(rebasing: all[node.start..<node.end])
            guard node.flag else { return String(decoding: text, as: UTF8.self) }
            return Self.unescape(text)
        }
    }

    /// The text of a number node.
    func numberText(_ node: Int) -> Substring {
        let node = nodes[node]
        return bytes.withUnsafeBufferPointer { all in
            Substring(String(decoding: UnsafeBufferPointer(rebasing: all[node.start..<node.end]), as: UTF8.self))
        }
    }

    /// A number node without fraction or exponent as `T`, or nil if it does not fit.
    func integer<T: FixedWidthInteger>(_ node: Int, as _: T.Type) -> T? {
        let node = nodes[node]
        return bytes.withUnsafeBufferPointer { all -> T? in
            var index = node.start
            let negative = all[index] == UInt8(ascii: "-")
            if negative { index += 1 }
            var value: T = 0
            while index < node.end {
                let digit = T(all[index] &- UInt8(ascii: "0"))
                let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (next, overflow2) = negative
                    ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
                if overflow1 || overflow2 { return nil }
                value = next
                index += 1
            }
            return value
        }
    }

    /// Any value as `JSONValue`, built directly rather than by `JSONValue`'s try-each-type `init(from:)`; nil when a
    /// number in it does not fit in a `Double` (where that `init(from:)` throws, from its last attempt).
    func jsonValue(_ node: Int) -> JSONValue? {
        switch nodes[node].kind {
        case .null: return .null
        case .false: return .bool(false)
        case .true: return .bool(true)
        case .number:
            guard let value = Double(numberText(node)), value.isFinite else { return nil }
            return .number(value)
        case .string: return .string(unescapedString(node))
        case .array:
            var elements: [JSONValue] = []
            elements.reserveCapacity(nodes[node].count)
            var element = node + 1
            for _ in 0..<nodes[node].count {
                guard let value = jsonValue(element) else { return nil }
                elements.append(value)
                element = nodes[element].after
            }
            return .array(elements)
        case .object:
            var members: [String: JSONValue] = [:]
            var key = node + 1
            for _ in 0..<nodes[node].count {
                let name = unescapedString(key)
                if members[name] == nil {  // the first of repeated names, as `member(of:named:)` finds
                    guard let value = jsonValue(key + 1) else { return nil }
                    members[name] = value
                }
                key = nodes[key + 1].after
            }
            return .object(members)
        }
    }

    private static func unescape(_ text: UnsafeBufferPointer<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var index = 0
        var pendingHigh: UInt32?
        func appendScalar(_ value: UInt32) {
            let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
            out.append(contentsOf: String(Character(scalar)).utf8)
        }
        while index < text.count {
            let byte = text[index]
            guard byte == UInt8(ascii: "\\") else {
                if let high = pendingHigh { appendScalar(high); pendingHigh = nil }
                out.append(byte)
                index += 1
                continue
            }
            let escape = text[index + 1]
            index += 2
            if escape == UInt8(ascii: "u") {
                let unit = text[index..<index + 4].reduce(UInt32(0)) { $0 << 4 | UInt32(hexValue($1)) }
                index += 4
                if let high = pendingHigh {
                    pendingHigh = nil
                    if (0xDC00...0xDFFF).contains(unit) {
                        appendScalar(0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00))
                        continue
                    }
                    appendScalar(high)
                }
                if (0xD800...0xDBFF).contains(unit) {
                    pendingHigh = unit
                } else {
                    appendScalar(unit)  // a lone low surrogate becomes U+FFFD
                }
                continue
            }
            if let high = pendingHigh { appendScalar(high); pendingHigh = nil }
            switch escape {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            default: out.append(escape)  // `"`, `\` and `/`
            }
        }
        if let high = pendingHigh { appendScalar(high) }
        return String(decoding: out, as: UTF8.self)
    }

    fileprivate static func hexValue(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: 0xFF
        }
    }

    // MARK: Scanning

    private struct Scanner {
        let text: [UInt8]
        var nodes: [Node] = []
        var index = 0
        var sawNonASCII = false

        init(bytes: [UInt8]) {
            self.text = bytes
            // Measured: 10.4 bytes a node in the corpus's answers (median; 7.3 at least), 12.5 in admission
            // reviews. An eighth rarely grows the table (a copy) and over-reserves by a quarter to a half.
            nodes.reserveCapacity(bytes.count / 8)
        }

        mutating func scanDocument() throws(DecodingError) {
            let text = self.text
            try text.withUnsafeBufferPointer { (bytes) throws(DecodingError) in
                try value(bytes, depth: 0)
                skipWhitespace(bytes)
                if index != bytes.count { throw invalid("unexpected character after the top-level value") }
            }
            if sawNonASCII, String(validating: text, as: UTF8.self) == nil {
                throw invalid("the text is not valid UTF-8", at: nil)
            }
        }

        private func invalid(_ problem: String, at offset: Int? = -1) -> DecodingError {
            let position = offset.map { $0 < 0 ? index : $0 }
            return .dataCorrupted(
                DecodingError.Context(
                    codingPath: [],
                    debugDescription: "The given data was not valid JSON: " + problem
                        + (position.map { " at byte \($0)" } ?? "")))
        }

        private mutating func skipWhitespace(_ bytes: UnsafeBufferPointer<UInt8>) {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        private mutating func append(_ kind: Kind, flag: Bool = false, start: Int, end: Int) {
            nodes.append(
                Node(kind: kind, flag: flag, start: start, end: end, count: 0, after: nodes.count + 1))
        }

        private mutating func value(_ bytes: UnsafeBufferPointer<UInt8>, depth: Int) throws(DecodingError) {
            skipWhitespace(bytes)
            guard index < bytes.count else { throw invalid("unexpected end of text") }
            switch bytes[index] {
            case UInt8(ascii: "{"), UInt8(ascii: "["): try container(bytes, depth: depth)
            case UInt8(ascii: "\""): try string(bytes)
            case UInt8(ascii: "t"): try literal(bytes, "true", .true)
            case UInt8(ascii: "f"): try literal(bytes, "false", .false)
            case UInt8(ascii: "n"): try literal(bytes, "null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number(bytes)
            default: throw invalid("unexpected character")
            }
        }

        private mutating func container(_ bytes: UnsafeBufferPointer<UInt8>, depth: Int) throws(DecodingError) {
            guard depth < FlatJSON.maxDepth else { throw invalid("nested deeper than \(FlatJSON.maxDepth) levels") }
            let isObject = bytes[index] == UInt8(ascii: "{")
            let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
            let node = nodes.count
            append(isObject ? .object : .array, start: index, end: index)
            index += 1
            skipWhitespace(bytes)
            var count = 0
            if index < bytes.count, bytes[index] == close {
                index += 1
            } else {
                while true {
                    skipWhitespace(bytes)
                    if count > 0, index < bytes.count, bytes[index] == close {
                        index += 1  // a trailing comma
                        break
                    }
                    if isObject {
                        skipWhitespace(bytes)
                        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                            throw invalid("expected a member name in quotes")
                        }
                        try string(bytes)
                        skipWhitespace(bytes)
                        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                            throw invalid("expected ':' after a member name")
                        }
                        index += 1
                    }
                    try value(bytes, depth: depth + 1)
                    count += 1
                    skipWhitespace(bytes)
                    guard index < bytes.count else { throw invalid("unexpected end of text") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    guard bytes[index] == close else {
                        throw invalid(isObject ? "expected ',' or '}'" : "expected ',' or ']'")
                    }
                    index += 1
                    break
                }
            }
            nodes[node].close(end: index, count: count, after: nodes.count)
        }

        private mutating func string(_ bytes: UnsafeBufferPointer<UInt8>) throws(DecodingError) {
            let start = index + 1
            index = start
            var escaped = false
            while true {
                // Plain ASCII text eight bytes at a time, then byte by byte; everything else below.
                index = JSONBytes.plainASCIIPrefix(bytes, from: index)
                while index < bytes.count, case let byte = bytes[index], byte >= 0x20, byte < 0x80,
                    byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\")
                {
                    index += 1
                }
                guard index < bytes.count else { throw invalid("unterminated string", at: start - 1) }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") { break }
                if byte < 0x20 { throw invalid("control character in a string") }
                if byte >= 0x80 { sawNonASCII = true }
                if byte == UInt8(ascii: "\\") {
                    escaped = true
                    guard index + 1 < bytes.count else { throw invalid("unterminated string", at: start - 1) }
                    switch bytes[index + 1] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                        UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        index += 2
                    case UInt8(ascii: "u"):
                        guard index + 5 < bytes.count,
                            bytes[index + 2..<index + 6].allSatisfy({ FlatJSON.hexValue($0) != 0xFF })
                        else { throw invalid("invalid \\u escape") }
                        index += 6
                    default:
                        throw invalid("invalid escape")
                    }
                    continue
                }
                index += 1
            }
            append(.string, flag: escaped, start: start, end: index)
            index += 1
        }

        private mutating func literal(
            _ bytes: UnsafeBufferPointer<UInt8>, _ text: StaticString, _ kind: Kind
        ) throws(DecodingError) {
            let count = text.utf8CodeUnitCount
            guard bytes.hasText(text, at: index) else { throw invalid("unexpected character") }
            append(kind, start: index, end: index + count)
            index += count
        }

        private mutating func number(_ bytes: UnsafeBufferPointer<UInt8>) throws(DecodingError) {
            let start = index
            func digits(_ scanner: inout Scanner) -> Int {
                let first = scanner.index
                while scanner.index < bytes.count,
                    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[scanner.index])
                {
                    scanner.index += 1
                }
                return scanner.index - first
            }
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            let leadingZero = index < bytes.count && bytes[index] == UInt8(ascii: "0")
            let integerDigits = digits(&self)
            guard integerDigits > 0 else { throw invalid("a number without digits") }
            guard !leadingZero || integerDigits == 1 else { throw invalid("a number with a leading zero") }
            var fractional = false
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                fractional = true
                guard digits(&self) > 0 else { throw invalid("a number without digits after '.'") }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                fractional = true
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                    index += 1
                }
                guard digits(&self) > 0 else { throw invalid("a number without exponent digits") }
            }
            append(.number, flag: fractional, start: start, end: index)
        }
    }
}
