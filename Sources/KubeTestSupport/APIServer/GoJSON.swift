import CRDModels

/// The error texts of Go's `encoding/json` (and its fork `sigs.k8s.io/json`), which kube-apiserver
/// passes through verbatim in Status messages: a port of the syntax checker (`scanner.go`) and of
/// the top-level `UnmarshalTypeError`.
enum GoJSON {
    /// `json.Unmarshal(data, &v)` with `v` of Go type `goType` (`map[string]interface {}`,
    /// `[]handlers.jsonPatchOp`): the error text, or nil when the input decodes. Only the top-level
    /// value's kind is checked against the type (a map or struct takes an object, a slice an array).
    static func unmarshalError(_ data: [UInt8], into goType: String) -> String? {
        if let syntax = syntaxError(data) { return syntax }
        let kind: String
        switch data.first(where: { !isSpace($0) }) {
        case UInt8(ascii: "n"): return nil  // null decodes into anything
        case UInt8(ascii: "{"): kind = "object"
        case UInt8(ascii: "["): kind = "array"
        case UInt8(ascii: "\""): kind = "string"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): kind = "bool"
        default: kind = "number"
        }
        let expected = goType.hasPrefix("[]") ? "array" : "object"
        return kind == expected ? nil : "json: cannot unmarshal \(kind) into Go value of type \(goType)"
    }

    /// The JSON serializer's first step (`SimpleMetaFactory.Interpret`): reading apiVersion and kind.
    static func versionKindError(_ data: [UInt8]) -> String? {
        let typeMeta = "struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; "
            + "Kind string \"json:\\\"kind,omitempty\\\"\" }"
        return unmarshalError(data, into: typeMeta).map { "couldn't get version/kind; json parse error: \($0)" }
    }

    /// The fields a valid JSON document sets twice, as dotted paths (`metadata.name`): the decoder keeps
    /// the last value and the server warns about each.
    static func duplicateFields(_ data: [UInt8]) -> [String] {
        var scanner = Scanner(bytes: data)
        do throws(Failure) {
            try scanner.value()
        } catch {
            return []
        }
        return scanner.duplicates
    }

    /// What `json.Valid`'s scanner reports for malformed input, nil for valid JSON.
    static func syntaxError(_ data: [UInt8]) -> String? {
        var scanner = Scanner(bytes: data)
        do throws(Failure) {
            try scanner.value()
            scanner.skipSpace()
            if let next = scanner.peek { throw Failure.invalid(next, "after top-level value") }
            return nil
        } catch {
            switch error {
            case .endOfInput: return "unexpected end of JSON input"
            case .invalid(let byte, let context): return "invalid character \(quoteChar(byte)) \(context)"
            }
        }
    }

    /// Go's `quoteChar`: the byte as a rune in single quotes, escaped as `strconv.Quote` does.
    static func quoteChar(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: "'"): return "'\\''"
        case UInt8(ascii: "\""): return "'\"'"
        case 0x07: return "'\\a'"
        case 0x08: return "'\\b'"
        case 0x0C: return "'\\f'"
        case 0x0A: return "'\\n'"
        case 0x0D: return "'\\r'"
        case 0x09: return "'\\t'"
        case 0x0B: return "'\\v'"
        case UInt8(ascii: "\\"): return "'\\\\'"
        case 0..<0x20, 0x7F: return "'\\x\(hex(byte, digits: 2))'"
        case 0x80...0xA0, 0xAD: return "'\\u\(hex(byte, digits: 4))'"  // not printable (unicode.IsPrint)
        default: return "'\(Character(Unicode.Scalar(byte)))'"
        }
    }

    private static func hex(_ byte: UInt8, digits: Int) -> String {
        let text = String(byte, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private enum Failure: Error {
        case endOfInput
        case invalid(UInt8, String)
    }

    /// Recursive descent with the scanner's state names as error contexts.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0
        /// The keys leading to the value being scanned, and the duplicate keys seen so far.
        var path: [String] = []
        var duplicates: [String] = []

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpace() {
            while let byte = peek, GoJSON.isSpace(byte) { index += 1 }
        }

        mutating func next() throws(Failure) -> UInt8 {
            guard let byte = peek else { throw .endOfInput }
            index += 1
            return byte
        }

        mutating func value() throws(Failure) {
            skipSpace()
            let byte = try next()
            switch byte {
            case UInt8(ascii: "{"): try object()
            case UInt8(ascii: "["): try array()
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number(first: byte)
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: throw .invalid(byte, "looking for beginning of value")
            }
        }

        mutating func object() throws(Failure) {
            skipSpace()
            if peek == UInt8(ascii: "}") { index += 1; return }
            var seen: Set<String> = []
            while true {
                let quote = try next()
                guard quote == UInt8(ascii: "\"") else { throw .invalid(quote, "looking for beginning of object key string") }
                let start = index
                try string()
                let key = String(decoding: bytes[start..<(index - 1)], as: UTF8.self)
                if !seen.insert(key).inserted { duplicates.append((path + [key]).joined(separator: ".")) }
                skipSpace()
                let colon = try next()
                guard colon == UInt8(ascii: ":") else { throw .invalid(colon, "after object key") }
                path.append(key)
                try value()
                path.removeLast()
                skipSpace()
                let separator = try next()
                if separator == UInt8(ascii: "}") { return }
                guard separator == UInt8(ascii: ",") else { throw .invalid(separator, "after object key:value pair") }
                skipSpace()
            }
        }

        mutating func array() throws(Failure) {
            skipSpace()
            if peek == UInt8(ascii: "]") { index += 1; return }
            let parent = path.popLast() ?? ""
            defer { path.append(parent) }
            var element = 0
            while true {
                path.append("\(parent)[\(element)]")
                try value()
                path.removeLast()
                element += 1
                skipSpace()
                let separator = try next()
                if separator == UInt8(ascii: "]") { return }
                guard separator == UInt8(ascii: ",") else { throw .invalid(separator, "after array element") }
            }
        }

        mutating func string() throws(Failure) {
            while true {
                let byte = try next()
                switch byte {
                case UInt8(ascii: "\""): return
                case UInt8(ascii: "\\"):
                    let escape = try next()
                    if escape == UInt8(ascii: "u") {
                        for _ in 0..<4 {
                            let digit = try next()
                            guard Character(Unicode.Scalar(digit)).isHexDigit else {
                                throw .invalid(digit, "in \\u hexadecimal character escape")
                            }
                        }
                    } else if !"bfnrt\\/\"".utf8.contains(escape) {
                        throw .invalid(escape, "in string escape code")
                    }
                case 0..<0x20: throw .invalid(byte, "in string literal")
                default: continue
                }
            }
        }

        /// A number ends at the first byte that cannot continue it; the caller judges that byte.
        mutating func number(first: UInt8) throws(Failure) {
            func isDigit(_ byte: UInt8?) -> Bool { byte.map { (0x30...0x39).contains($0) } ?? false }
            var leading = first
            if first == UInt8(ascii: "-") {
                guard let byte = peek else { throw .endOfInput }
                guard isDigit(byte) else { throw .invalid(byte, "in numeric literal") }
                leading = byte
                index += 1
            }
            if leading != UInt8(ascii: "0") { while isDigit(peek) { index += 1 } }
            if peek == UInt8(ascii: ".") {
                index += 1
                let byte = try next()
                guard isDigit(byte) else { throw .invalid(byte, "after decimal point in numeric literal") }
                while isDigit(peek) { index += 1 }
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                index += 1
                var byte = try next()
                if byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") { byte = try next() }
                guard isDigit(byte) else { throw .invalid(byte, "in exponent of numeric literal") }
                while isDigit(peek) { index += 1 }
            }
        }

        mutating func literal(_ word: String) throws(Failure) {
            for expected in word.utf8.dropFirst() {
                let byte = try next()
                guard byte == expected else {
                    throw .invalid(byte, "in literal \(word) (expecting \(GoJSON.quoteChar(expected)))")
                }
            }
        }
    }
}

/// Go's `%q` and `%#v` renderings, as field errors print invalid values.
enum GoSyntax {
    /// `strconv.Quote` for the characters object fields hold.
    static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\x" + (hex.count < 2 ? "0" + hex : hex)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// `%#v` of a `[]v1.OwnerReference`; set `*bool` fields print as pointers (made-up addresses, as
    /// every run of the real server prints different ones).
    static func ownerReferences(_ references: [JSONValue]) -> String {
        var address = 0xc000a1c000
        func pointer(_ value: JSONValue?) -> String {
            guard case .bool = value else { return "(*bool)(nil)" }
            address += 8
            return "(*bool)(0x\(String(address, radix: 16)))"
        }
        let items = references.map { reference in
            let strings = ["apiVersion", "kind", "name", "uid"].map { quote(reference[$0]?.stringValue ?? "") }
            return "v1.OwnerReference{APIVersion:\(strings[0]), Kind:\(strings[1]), Name:\(strings[2]), "
                + "UID:\(strings[3]), Controller:\(pointer(reference["controller"])), "
                + "BlockOwnerDeletion:\(pointer(reference["blockOwnerDeletion"]))}"
        }
        return "[]v1.OwnerReference{" + items.joined(separator: ", ") + "}"
    }
}
