import Foundation

/// The error texts of Go's `encoding/json` (its scanner's syntax errors and `Unmarshal`'s type errors),
/// which kube-apiserver passes on verbatim in some field errors and 400 bodies.
enum GoJSON {
    /// `json.Unmarshal(bytes, &map[string]interface{}{})`: nil when it succeeds (an object or `null`).
    static func unmarshalObjectError(_ bytes: Data) -> String? {
        if let syntax = syntaxError(bytes) { return syntax }
        let first = bytes.first { !isSpace($0) }
        let kind: String
        switch first {
        case UInt8(ascii: "{"), UInt8(ascii: "n"): return nil
        case UInt8(ascii: "["): kind = "array"
        case UInt8(ascii: "\""): kind = "string"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): kind = "bool"
        default: kind = "number"
        }
        return "json: cannot unmarshal \(kind) into Go value of type map[string]interface {}"
    }

    /// The scanner's verdict on `bytes` as one JSON value (`json.Valid` with its error), nil when valid.
    static func syntaxError(_ bytes: Data) -> String? {
        var scanner = Scanner(bytes: Array(bytes))
        do throws(Failure) {
            try scanner.value()
            scanner.skipSpace()
            if let byte = scanner.peek() { throw Failure.invalid(byte, "after top-level value") }
            return nil
        } catch {
            switch error {
            case .end: return "unexpected end of JSON input"
            case .invalid(let byte, let context): return "invalid character \(quoteChar(byte)) \(context)"
            }
        }
    }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    /// Go's `quoteChar`.
    static func quoteChar(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: "'"): return "'\\''"
        case UInt8(ascii: "\""): return "'\"'"
        case 0x20..<0x7F: return "'\(Character(UnicodeScalar(byte)))'"
        case 0x0A: return "'\\n'"
        case 0x09: return "'\\t'"
        case 0x0D: return "'\\r'"
        default: return "'\\x" + String(byte, radix: 16).leftPadded(to: 2) + "'"
        }
    }

    /// The fields a valid JSON document sets twice, as dotted paths (`metadata.name`); the decoder keeps the
    /// last value and the server warns about each.
    static func duplicateFields(_ bytes: Data) -> [String] {
        var scanner = Scanner(bytes: Array(bytes))
        do {
            try scanner.value()
        } catch {
            return []
        }
        return scanner.duplicates
    }

    enum Failure: Error { case end, invalid(UInt8, String) }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0
        var path: [String] = []
        var duplicates: [String] = []

        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func next() throws(Failure) -> UInt8 {
            guard index < bytes.count else { throw .end }
            defer { index += 1 }
            return bytes[index]
        }

        mutating func skipSpace() { while let byte = peek(), GoJSON.isSpace(byte) { index += 1 } }

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

        mutating func literal(_ word: String) throws(Failure) {
            for expected in word.utf8.dropFirst() {
                let byte = try next()
                if byte != expected {
                    throw .invalid(byte, "in literal \(word) (expecting \(GoJSON.quoteChar(expected)))")
                }
            }
        }

        mutating func object() throws(Failure) {
            skipSpace()
            var byte = try next()
            if byte == UInt8(ascii: "}") { return }
            var seen: Set<String> = []
            while true {
                guard byte == UInt8(ascii: "\"") else { throw .invalid(byte, "looking for beginning of object key string") }
                let start = index
                try string()
                let key = String(decoding: bytes[start..<(index - 1)], as: UTF8.self)
                if !seen.insert(key).inserted { duplicates.append((path + [key]).joined(separator: ".")) }
                skipSpace()
                byte = try next()
                guard byte == UInt8(ascii: ":") else { throw .invalid(byte, "after object key") }
                path.append(key)
                try value()
                path.removeLast()
                skipSpace()
                byte = try next()
                if byte == UInt8(ascii: "}") { return }
                guard byte == UInt8(ascii: ",") else { throw .invalid(byte, "after object key:value pair") }
                skipSpace()
                byte = try next()
            }
        }

        mutating func array() throws(Failure) {
            skipSpace()
            if peek() == UInt8(ascii: "]") {
                index += 1
                return
            }
            let parent = path.popLast() ?? ""
            defer { path.append(parent) }
            var element = 0
            while true {
                path.append("\(parent)[\(element)]")
                try value()
                path.removeLast()
                element += 1
                skipSpace()
                let byte = try next()
                if byte == UInt8(ascii: "]") { return }
                guard byte == UInt8(ascii: ",") else { throw .invalid(byte, "after array element") }
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
                            let hex = try next()
                            guard (hex >= 0x30 && hex <= 0x39) || (hex | 0x20 >= 0x61 && hex | 0x20 <= 0x66) else {
                                throw .invalid(hex, "in \\u hexadecimal character escape")
                            }
                        }
                    } else if !"\"\\/bfnrt".utf8.contains(escape) {
                        throw .invalid(escape, "in string escape code")
                    }
                case 0..<0x20: throw .invalid(byte, "in string literal")
                default: continue
                }
            }
        }

        mutating func digits() { while let byte = peek(), byte >= 0x30 && byte <= 0x39 { index += 1 } }

        mutating func number(first: UInt8) throws(Failure) {
            var lead = first
            if first == UInt8(ascii: "-") {
                lead = try next()
                guard lead >= 0x30 && lead <= 0x39 else { throw .invalid(lead, "in numeric literal") }
            }
            if lead != UInt8(ascii: "0") { digits() }
            if peek() == UInt8(ascii: ".") {
                index += 1
                let byte = try next()
                guard byte >= 0x30 && byte <= 0x39 else { throw .invalid(byte, "after decimal point in numeric literal") }
                digits()
            }
            if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
                index += 1
                var byte = try next()
                if byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") { byte = try next() }
                guard byte >= 0x30 && byte <= 0x39 else { throw .invalid(byte, "in exponent of numeric literal") }
                digits()
            }
        }
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        String(repeating: "0", count: max(0, length - count)) + self
    }
}
