import CRDModels

/// A kubeconfig line the YAML reader does not accept: which line (1-based) and why.
public struct KubeconfigYAMLError: Error, Hashable, CustomStringConvertible {
    public var line: Int
    public var message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}

/// Reads the YAML that kubeconfig files are written in, into a `JSONValue` for `JSONDecoder` (kubeconfigs are
/// JSON documents in YAML clothing: client-go converts them with sigs.k8s.io/yaml first).
///
/// The subset that kubectl, kind, eksctl/`aws eks update-kubeconfig` and gcloud write, and people edit by hand:
/// block mappings and sequences (a sequence may sit at its key's indentation, as kubectl writes it), plain,
/// single- and double-quoted scalars, `|` and `>` block scalars with chomping indicators, comments, flow
/// sequences and mappings on one line (`[]`, `{}`, `[a, "b"]`), one document with an optional `---`.
/// Anchors, aliases, tags, complex keys, directives and multi-line flow collections are errors that name the
/// line. Plain `true`/`false` are booleans and `null`/`~`/empty are null (YAML 1.2 core schema); every other
/// scalar, numbers included, is a string: kubeconfig has no numeric fields, and a numeric-looking password stays
/// a string, as client-go reads it.
enum KubeconfigYAML {
    static func parse(_ text: String) throws(KubeconfigYAMLError) -> JSONValue {
        var reader = Reader(text: text)
        return try reader.document()
    }
}

private struct Line {
    /// 1-based, for errors; also the index of the raw line after this one.
    var number: Int
    var indent: Int
    /// Without the indentation; never empty nor a comment.
    var text: Substring
}

private struct Reader {
    let raw: [Substring]
    /// The structural lines (not blank, not comments), in order.
    var lines: [Line] = []
    var position = 0
    /// Nested blocks being read: the reader recurses, so the depth is bounded (a kubeconfig nests 5 deep).
    var depth = 0
    static let maxDepth = 64

    init(text: String) {
        // By scalars: "\r\n" is one Character.
        raw = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map {
            let line = Substring($0)
            return line.hasSuffix("\r") ? line.dropLast() : line
        }
    }

    func error(_ line: Int, _ message: String) -> KubeconfigYAMLError {
        KubeconfigYAMLError(line: line, message: message)
    }

    var current: Line? { position < lines.count ? lines[position] : nil }

    static func isBlank(_ text: Substring) -> Bool { text.allSatisfy { $0 == " " || $0 == "\t" } }

    mutating func document() throws(KubeconfigYAMLError) -> JSONValue {
        for (index, text) in raw.enumerated() {
            let indent = text.prefix { $0 == " " }.count
            let rest = text.dropFirst(indent)
            guard !Self.isBlank(rest), rest.first != "#" else { continue }
            if rest.first == "\t" { throw error(index + 1, "tab in indentation (YAML indents with spaces)") }
            let line = Line(number: index + 1, indent: indent, text: rest)
            if indent == 0, rest.hasPrefix("%") { throw error(line.number, "YAML directives are not supported") }
            let marker = indent == 0 && (rest == "---" || rest.hasPrefix("--- ") || rest == "...")
            if marker, !lines.isEmpty {
                // `...` may end the document; anything after it, or a second `---`, starts another one.
                if rest == "...", raw[(index + 1)...].allSatisfy({ Self.isBlank($0) || $0.hasPrefix("#") }) { break }
                throw error(line.number, "more than one YAML document; a kubeconfig is one")
            }
            lines.append(line)
        }
        guard var first = current else { return .null }
        if first.indent == 0, first.text == "---" || first.text.hasPrefix("--- ") {
            let rest = first.text.dropFirst(3).drop { $0 == " " }
            guard rest.isEmpty || rest.first == "#" else {
                throw error(first.number, "content after '---' is not supported; start it on the next line")
            }
            position += 1
            guard let line = current else { return .null }
            first = line
        }
        let value = try block(first, parentIndent: -1)
        if let extra = current {
            throw error(extra.number, "unexpected indentation or content after the document")
        }
        return value
    }

    /// The node that starts at `line` (the current line): a sequence, a mapping or a scalar.
    mutating func block(_ line: Line, parentIndent: Int) throws(KubeconfigYAMLError) -> JSONValue {
        guard depth < Self.maxDepth else { throw error(line.number, "nested deeper than \(Self.maxDepth) levels") }
        depth += 1
        defer { depth -= 1 }
        if isSequenceItem(line.text) { return try sequence(at: line.indent) }
        if try splitKey(line) != nil { return try mapping(at: line.indent) }
        position += 1
        return try scalar(line.text, line: line, parentIndent: parentIndent)
    }

    func isSequenceItem(_ text: Substring) -> Bool { text == "-" || text.hasPrefix("- ") }

    mutating func sequence(at indent: Int) throws(KubeconfigYAMLError) -> JSONValue {
        var items: [JSONValue] = []
        while let line = current, line.indent == indent, isSequenceItem(line.text) {
            let content = line.text.dropFirst().drop { $0 == " " }
            if content.isEmpty {
                position += 1
                if let child = current, child.indent > indent {
                    items.append(try block(child, parentIndent: indent))
                } else {
                    items.append(.null)
                }
            } else if content.first == "#" {
                throw error(line.number, "a comment right after '-' is not supported; put it on its own line")
            } else {
                // `- key: value` opens a mapping at the column of `key`: the rest of the line stands in for this
                // line, at that column, and the mapping continues on the following lines there.
                let item = Line(number: line.number, indent: indent + line.text.count - content.count, text: content)
                lines[position] = item
                items.append(try block(item, parentIndent: indent))
            }
        }
        return .array(items)
    }

    /// `key` and the rest after `key:` of a mapping line; nil when the line is not one.
    func splitKey(_ line: Line) throws(KubeconfigYAMLError) -> (key: String, rest: Substring)? {
        let text = line.text
        guard let first = text.first else { return nil }
        if "&*!%@`?".contains(first) {
            let what = "at the start of a node (anchors, aliases, tags, complex keys) is not supported"
            throw error(line.number, "'\(first)' \(what)")
        }
        if first == "\"" || first == "'" {
            var flow = FlowReader(text: text, line: line.number)
            let key = try flow.quoted()
            let after = text[flow.index...].drop { $0 == " " }
            guard after.first == ":" else { return nil }
            let rest = after.dropFirst()
            guard rest.isEmpty || rest.first == " " else { return nil }
            return (key, rest.drop { $0 == " " })
        }
        if "[{|>".contains(first) { return nil }
        var index = text.startIndex
        while let colon = text[index...].firstIndex(of: ":") {
            let after = text.index(after: colon)
            if after == text.endIndex || text[after] == " " {
                let key = text[..<colon]
                if key.contains(" #") { return nil }
                return (String(key.reversed().drop { $0 == " " }.reversed()), text[after...].drop { $0 == " " })
            }
            index = after
        }
        return nil
    }

    mutating func mapping(at indent: Int) throws(KubeconfigYAMLError) -> JSONValue {
        var object: [String: JSONValue] = [:]
        while let line = current, line.indent == indent, !isSequenceItem(line.text) {
            guard let (key, rest) = try splitKey(line) else {
                throw error(line.number, "expected 'key: value' in a mapping")
            }
            if object[key] != nil { throw error(line.number, "duplicate key '\(key)'") }
            position += 1
            if rest.isEmpty || rest.first == "#" {
                // The value is the block below: deeper, or a sequence at this key's own indentation.
                if let child = current,
                    child.indent > indent || (child.indent == indent && isSequenceItem(child.text))
                {
                    object[key] = try block(child, parentIndent: indent)
                } else {
                    object[key] = .null
                }
            } else if rest.first == "|" || rest.first == ">" {
                object[key] = .string(try blockScalar(header: rest, parentIndent: indent, line: line.number))
            } else {
                object[key] = try scalar(rest, line: line, parentIndent: indent)
            }
        }
        if let line = current, line.indent > indent {
            throw error(line.number, "unexpected indentation in a mapping")
        }
        return .object(object)
    }

    /// A value that starts on `line` with `text`: a one-line flow collection, or a quoted or plain scalar that
    /// may continue on lines indented deeper than the parent (YAML emitters wrap long strings at 80 columns,
    /// e.g. gcloud's `installHint`): line breaks fold to spaces, blank lines to newlines.
    mutating func scalar(_ text: Substring, line: Line, parentIndent: Int) throws(KubeconfigYAMLError) -> JSONValue {
        var continuation: [Substring] = []
        var next = line.number  // raw index of the line after `line`
        while next < raw.count {
            let text = raw[next]
            let indent = text.prefix { $0 == " " }.count
            if !Self.isBlank(text) {
                guard indent > parentIndent, text.dropFirst(indent).first != "#" else { break }
            }
            continuation.append(text)
            next += 1
        }
        while let last = continuation.last, Self.isBlank(last) { continuation.removeLast() }
        guard !continuation.isEmpty else { return try inlineValue(text, line: line) }
        if let first = text.first, "\"'[{".contains(first) {
            // Quoted strings and flow collections: add lines until it closes (a comment may follow).
            for count in 1...continuation.count {
                let folded = Self.fold([text] + continuation.prefix(count), escapedBreaks: first == "\"")
                let value: JSONValue
                do throws(KubeconfigYAMLError) {
                    value = try inlineValue(Substring(folded), line: line)
                } catch where error.message.hasPrefix("unterminated") {
                    continue
                }
                skipLines(through: line.number + count)
                return value
            }
            let all = Self.fold([text] + continuation, escapedBreaks: first == "\"")
            return try inlineValue(Substring(all), line: line)
        }
        // A plain scalar: up to a comment on any of its lines.
        var lines = [text] + continuation
        for (index, text) in lines.enumerated() {
            if let comment = text.firstRange(of: " #") {
                lines = Array(lines[...index])
                lines[index] = text[..<comment.lowerBound]
                break
            }
        }
        for (offset, text) in lines.enumerated().dropFirst() where text.contains(": ") || text.hasSuffix(":") {
            throw error(line.number + offset, "unexpected indentation: a key under a scalar value")
        }
        skipLines(through: line.number + lines.count - 1)
        if lines.count == 1 { return try inlineValue(lines[0], line: line) }
        return .string(Self.fold(lines, escapedBreaks: false))
    }

    /// Moves past the structural lines up to raw line `number` (1-based).
    mutating func skipLines(through number: Int) {
        while position < lines.count, lines[position].number <= number { position += 1 }
    }

    /// Joins a multi-line flow scalar: each break with the spaces around it is one space, each blank line a
    /// newline; in double quotes, a backslash at the end of a line joins without a space.
    static func fold(_ lines: [Substring], escapedBreaks: Bool) -> String {
        var result = String(lines[0].reversed().drop { $0 == " " }.reversed())
        var blanks = 0
        for line in lines.dropFirst() {
            let text = line.drop { $0 == " " || $0 == "\t" }
            if text.isEmpty {
                blanks += 1
                continue
            }
            let trailingBackslashes = result.reversed().prefix { $0 == "\\" }.count
            if escapedBreaks, blanks == 0, trailingBackslashes % 2 == 1 {
                result.removeLast()
            } else {
                result += blanks == 0 ? " " : String(repeating: "\n", count: blanks)
            }
            blanks = 0
            result += text.reversed().drop { $0 == " " }.reversed()
        }
        return result
    }

    /// A value on the rest of a line: flow collection, quoted or plain scalar, then at most a comment.
    func inlineValue(_ text: Substring, line: Line) throws(KubeconfigYAMLError) -> JSONValue {
        var flow = FlowReader(text: text, line: line.number)
        let value = try flow.value(topLevel: true)
        flow.skipSpaces()
        guard flow.atEnd || flow.text[flow.index] == "#" else {
            throw error(line.number, "unexpected text after the value")
        }
        return value
    }

    /// `|` or `>` with optional chomping (`-`, `+`) and indentation indicators; the content is every following
    /// line indented deeper than the parent (and blank lines among them).
    mutating func blockScalar(header: Substring, parentIndent: Int, line: Int) throws(KubeconfigYAMLError) -> String {
        let folded = header.first == ">"
        var chomp: Character = " "
        var contentIndent: Int?
        var rest = header.dropFirst()
        while let character = rest.first, character != " " {
            if character == "-" || character == "+" {
                chomp = character
            } else if let digit = character.wholeNumberValue, digit > 0 {
                contentIndent = parentIndent + digit
            } else {
                throw error(line, "invalid block scalar header '\(header)'")
            }
            rest = rest.dropFirst()
        }
        guard rest.drop(while: { $0 == " " }).first.map({ $0 == "#" }) ?? true else {
            throw error(line, "unexpected text after the block scalar header")
        }
        var next = line  // raw index of the line after the header
        var content: [Substring] = []
        while next < raw.count {
            let text = raw[next]
            let indent = text.prefix { $0 == " " }.count
            let blank = text.allSatisfy { $0 == " " }
            if !blank {
                if contentIndent == nil { contentIndent = indent }
                guard indent >= contentIndent!, indent > parentIndent else { break }
            }
            content.append(blank ? "" : text.dropFirst(contentIndent!))
            next += 1
        }
        skipLines(through: next)
        var trailing = 0
        while let last = content.last, last.isEmpty {
            content.removeLast()
            trailing += 1
        }
        var result = ""
        for (index, text) in content.enumerated() {
            if index > 0 {
                let previous = content[index - 1]
                if !folded || text.isEmpty || text.first == " " || previous.first == " " {
                    result += "\n"
                } else if !previous.isEmpty {
                    result += " "  // folded: a line break between two text lines is a space
                }
            }
            result += text
        }
        switch chomp {
        case "-": return result
        case "+": return result + String(repeating: "\n", count: (content.isEmpty ? 0 : 1) + trailing)
        default: return content.isEmpty ? "" : result + "\n"
        }
    }
}

/// Scalars and one-line flow collections.
private struct FlowReader {
    let text: Substring
    let line: Int
    var index: Substring.Index
    var depth = 0

    init(text: Substring, line: Int) {
        self.text = text
        self.line = line
        index = text.startIndex
    }

    var atEnd: Bool { index == text.endIndex }

    func error(_ message: String) -> KubeconfigYAMLError { KubeconfigYAMLError(line: line, message: message) }

    mutating func skipSpaces() {
        while !atEnd, text[index] == " " { index = text.index(after: index) }
    }

    mutating func value(topLevel: Bool) throws(KubeconfigYAMLError) -> JSONValue {
        skipSpaces()
        guard !atEnd else { return .null }
        switch text[index] {
        case "[": return try flowSequence()
        case "{": return try flowMapping()
        case "\"", "'": return .string(try quoted())
        case "&", "*", "!", "%", "@", "`", "|", ">", "?":
            throw error("'\(text[index])' at the start of a value (anchors, aliases, tags) is not supported")
        default: return plain(topLevel: topLevel)
        }
    }

    /// A plain scalar up to a comment (and, inside a flow collection, up to `,`, `]`, `}` or `: `).
    mutating func plain(topLevel: Bool) -> JSONValue {
        let start = index
        var end = index
        while !atEnd {
            let character = text[index]
            if character == "#", index > start, text[text.index(before: index)] == " " { break }
            if !topLevel, ",]}".contains(character) { break }
            if !topLevel, character == ":" {
                let after = text.index(after: index)
                if after == text.endIndex || " ,]}".contains(text[after]) { break }
            }
            index = text.index(after: index)
            if character != " " { end = index }
        }
        index = end
        switch text[start..<end] {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case let scalar: return .string(String(scalar))
        }
    }

    mutating func quoted() throws(KubeconfigYAMLError) -> String {
        let quote = text[index]
        index = text.index(after: index)
        var result = ""
        while !atEnd {
            let character = text[index]
            index = text.index(after: index)
            if character == quote {
                if quote == "'", !atEnd, text[index] == "'" {
                    result.append("'")
                    index = text.index(after: index)
                    continue
                }
                return result
            }
            if quote == "\"", character == "\\" {
                result.unicodeScalars.append(try escape())
            } else {
                result.append(character)
            }
        }
        throw error("unterminated \(quote == "\"" ? "double" : "single")-quoted string")
    }

    /// After a backslash in a double-quoted scalar (YAML 1.2 escapes).
    mutating func escape() throws(KubeconfigYAMLError) -> Unicode.Scalar {
        guard !atEnd else { throw error("unterminated double-quoted string") }
        let character = text[index]
        index = text.index(after: index)
        switch character {
        case "0": return "\0"
        case "a": return "\u{07}"
        case "b": return "\u{08}"
        case "t", "\t": return "\t"
        case "n": return "\n"
        case "v": return "\u{0B}"
        case "f": return "\u{0C}"
        case "r": return "\r"
        case "e": return "\u{1B}"
        case " ": return " "
        case "\"": return "\""
        case "/": return "/"
        case "\\": return "\\"
        case "N": return "\u{85}"
        case "_": return "\u{A0}"
        case "L": return "\u{2028}"
        case "P": return "\u{2029}"
        case "x": return try hexScalar(digits: 2)
        case "u": return try hexScalar(digits: 4)
        case "U": return try hexScalar(digits: 8)
        default: throw error("invalid escape '\\\(character)' in a double-quoted string")
        }
    }

    mutating func hexScalar(digits: Int) throws(KubeconfigYAMLError) -> Unicode.Scalar {
        let end = text.index(index, offsetBy: digits, limitedBy: text.endIndex) ?? text.endIndex
        guard let value = UInt32(text[index..<end], radix: 16), text.distance(from: index, to: end) == digits,
            let scalar = Unicode.Scalar(value)
        else { throw error("invalid \(digits)-digit hex escape in a double-quoted string") }
        index = end
        return scalar
    }

    /// Enters a flow collection; the reader recurses, so the depth is bounded.
    mutating func enter() throws(KubeconfigYAMLError) {
        guard depth < Reader.maxDepth else { throw error("nested deeper than \(Reader.maxDepth) levels") }
        depth += 1
        index = text.index(after: index)
    }

    mutating func flowSequence() throws(KubeconfigYAMLError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        var items: [JSONValue] = []
        skipSpaces()
        if !atEnd, text[index] == "]" {
            index = text.index(after: index)
            return .array(items)
        }
        while true {
            items.append(try value(topLevel: false))
            skipSpaces()
            guard !atEnd else { throw error("unterminated flow sequence (']' missing)") }
            let character = text[index]
            index = text.index(after: index)
            if character == "]" { return .array(items) }
            guard character == "," else { throw error("expected ',' or ']' in a flow sequence") }
            skipSpaces()
            if !atEnd, text[index] == "]" {  // a trailing comma
                index = text.index(after: index)
                return .array(items)
            }
        }
    }

    mutating func flowMapping() throws(KubeconfigYAMLError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        var object: [String: JSONValue] = [:]
        skipSpaces()
        if !atEnd, text[index] == "}" {
            index = text.index(after: index)
            return .object(object)
        }
        while true {
            skipSpaces()
            let key: String
            switch try value(topLevel: false) {
            case .string(let text): key = text
            case .bool(let flag): key = String(flag)
            case .null: key = ""
            default: throw error("a flow mapping key must be a scalar")
            }
            skipSpaces()
            guard !atEnd, text[index] == ":" else { throw error("expected ':' after a key in a flow mapping") }
            index = text.index(after: index)
            object[key] = try value(topLevel: false)
            skipSpaces()
            guard !atEnd else { throw error("unterminated flow mapping ('}' missing)") }
            let character = text[index]
            index = text.index(after: index)
            if character == "}" { return .object(object) }
            guard character == "," else { throw error("expected ',' or '}' in a flow mapping") }
        }
    }
}
