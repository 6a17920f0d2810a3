/// A port of apimachinery `labels.Parse` (`pkg/labels/selector.go`): its lexer, its recursive parser
/// and `NewRequirement`'s checks, so malformed selectors get the real error texts.
struct LabelSelectorParser {
    enum Token: Equatable {
        case error, endOfString, closedPar, comma, doesNotExist, doubleEquals, equals, greaterThan, identifier
        case `in`, lessThan, notEquals, notIn, openPar
    }

    private static let keywords: [String: Token] = [
        ")": .closedPar, ",": .comma, "!": .doesNotExist, "==": .doubleEquals, "=": .equals, ">": .greaterThan,
        "in": .in, "<": .lessThan, "!=": .notEquals, "notin": .notIn, "(": .openPar,
    ]

    private var items: [(token: Token, literal: String)] = []
    private var position = 0

    static func parse(_ text: String) throws(APIError) -> LabelQuery {
        var parser = LabelSelectorParser()
        parser.scan(Array(text.utf8))
        do throws(Failure) {
            return try parser.parse()
        } catch {
            throw APIError.badRequest(error.message)
        }
    }

    struct Failure: Error { var message: String }

    // MARK: Lexer

    private static func isWhitespace(_ byte: UInt8) -> Bool { [0x20, 0x09, 0x0D, 0x0A].contains(byte) }
    private static func isSpecial(_ byte: UInt8) -> Bool { "=!(),><".utf8.contains(byte) }

    private mutating func scan(_ bytes: [UInt8]) {
        var index = 0
        while true {
            while index < bytes.count, Self.isWhitespace(bytes[index]) { index += 1 }
            guard index < bytes.count else {
                items.append((token: .endOfString, literal: ""))
                return
            }
            if Self.isSpecial(bytes[index]) {
                // The longest run of special symbols that is still a token.
                var buffer: [UInt8] = []
                var last: (token: Token, literal: String)?
                while index < bytes.count, Self.isSpecial(bytes[index]) {
                    buffer.append(bytes[index])
                    let text = String(decoding: buffer, as: UTF8.self)
                    if let token = Self.keywords[text] {
                        last = (token: token, literal: text)
                    } else if last != nil {
                        break
                    }
                    index += 1
                }
                let found = String(decoding: buffer, as: UTF8.self)
                items.append(last ?? (token: Token.error, literal: "error expected: keyword found '\(found)'"))
            } else {
                let start = index
                while index < bytes.count, !Self.isWhitespace(bytes[index]), !Self.isSpecial(bytes[index]) { index += 1 }
                let word = String(decoding: bytes[start..<index], as: UTF8.self)
                items.append((token: Self.keywords[word] ?? .identifier, literal: word))
            }
        }
    }

    // MARK: Parser

    /// In a value position the keywords `in` and `notin` are plain identifiers.
    private func lookahead(values: Bool = true) -> (token: Token, literal: String) {
        let item = items[min(position, items.count - 1)]
        if values && (item.token == .in || item.token == .notIn) { return (token: .identifier, literal: item.literal) }
        return item
    }

    private mutating func consume(values: Bool = true) -> (token: Token, literal: String) {
        let item = lookahead(values: values)
        position += 1
        return item
    }

    private mutating func parse() throws(Failure) -> LabelQuery {
        var query = LabelQuery()
        while true {
            let (token, literal) = lookahead()
            switch token {
            case .identifier, .doesNotExist:
                do throws(Failure) {
                    query.requirements.append(try parseRequirement())
                } catch {
                    throw Failure(message: "unable to parse requirement: \(error.message)")
                }
                let (next, nextLiteral) = consume()
                switch next {
                case .endOfString: return query
                case .comma:
                    let (after, afterLiteral) = lookahead()
                    if after != .identifier && after != .doesNotExist {
                        throw Failure(message: "found '\(afterLiteral)', expected: identifier after ','")
                    }
                default: throw Failure(message: "found '\(nextLiteral)', expected: ',' or 'end of string'")
                }
            case .endOfString:
                return query
            default:
                throw Failure(message: "found '\(literal)', expected: !, identifier, or 'end of string'")
            }
        }
    }

    private mutating func parseRequirement() throws(Failure) -> LabelQuery.Requirement {
        var (token, literal) = consume()
        var negated = false
        if token == .doesNotExist {
            negated = true
            (token, literal) = consume()
        }
        guard token == .identifier else { throw Failure(message: "found '\(literal)', expected: identifier") }
        let key = literal
        if let problem = Self.keyProblem(key) { throw Failure(message: "<nil>: \(problem)") }
        let next = lookahead().token
        if negated || next == .endOfString || next == .comma {
            // `!key` with anything else after it is caught by the caller as "expected ','".
            return LabelQuery.Requirement(key: key, op: negated ? .doesNotExist : .exists)
        }
        let (operatorToken, operatorLiteral) = consume(values: false)
        switch operatorToken {
        case .in, .notIn:
            let values = try parseValues()
            try Self.checkValues(values, key: key)
            return LabelQuery.Requirement(key: key, op: operatorToken == .in ? .isIn(Set(values)) : .notIn(Set(values)))
        case .equals, .doubleEquals, .notEquals, .greaterThan, .lessThan:
            let value = try parseExactValue()
            if operatorToken == .greaterThan || operatorToken == .lessThan {
                guard let bound = Int64(value).map(Int.init) else {
                    throw Failure(
                        message: "values[0]: Invalid value: \"\(value)\": for 'Gt', 'Lt' operators, the value must be an integer")
                }
                try Self.checkValues([value], key: key)
                return LabelQuery.Requirement(key: key, op: operatorToken == .greaterThan ? .greaterThan(bound) : .lessThan(bound))
            }
            try Self.checkValues([value], key: key)
            return LabelQuery.Requirement(key: key, op: operatorToken == .notEquals ? .notEquals(value) : .equals(value))
        default:
            throw Failure(message: "found '\(operatorLiteral)', expected: in, notin, =, ==, !=, gt, lt")
        }
    }

    /// `(a, b)`; `()` and empty members are the empty value. Returned sorted, as `sets.String.List()`.
    private mutating func parseValues() throws(Failure) -> [String] {
        let (open, openLiteral) = consume()
        guard open == .openPar else { throw Failure(message: "found '\(openLiteral)' expected: '('") }
        let (token, literal) = lookahead()
        switch token {
        case .identifier, .comma:
            let values = try parseIdentifiers()
            guard consume().token == .closedPar else { throw Failure(message: "found '\(literal)', expected: ')'") }
            return values.sorted()
        case .closedPar:
            _ = consume()
            return [""]
        default:
            throw Failure(message: "found '\(literal)', expected: ',', ')' or identifier")
        }
    }

    private mutating func parseIdentifiers() throws(Failure) -> Set<String> {
        var values: Set<String> = []
        while true {
            let (token, literal) = consume()
            switch token {
            case .identifier:
                values.insert(literal)
                let (next, nextLiteral) = lookahead()
                switch next {
                case .comma: continue
                case .closedPar: return values
                default: throw Failure(message: "found '\(nextLiteral)', expected: ',' or ')'")
                }
            case .comma:
                if values.isEmpty { values.insert("") }
                let next = lookahead().token
                if next == .closedPar {
                    values.insert("")
                    return values
                }
                if next == .comma {
                    _ = consume()
                    values.insert("")
                }
            default:
                throw Failure(message: "found '\(literal)', expected: ',', or identifier")
            }
        }
    }

    private mutating func parseExactValue() throws(Failure) -> String {
        let next = lookahead().token
        if next == .endOfString || next == .comma { return "" }
        let (token, literal) = consume()
        guard token == .identifier else { throw Failure(message: "found '\(literal)', expected: identifier") }
        return literal
    }

    // MARK: Validation (`validation.IsQualifiedName`, `IsValidLabelValue`)

    private static func checkValues(_ values: [String], key: String) throws(Failure) {
        for (index, value) in values.enumerated() {
            if let problem = valueProblem(value) {
                throw Failure(message: "values[\(index)][\(key)]: Invalid value: \"\(value)\": \(problem)")
            }
        }
    }

    private static let nameMessage =
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
        + "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        + "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"

    private static func isAlphanumeric(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber)
    }

    private static func isNamePart(_ text: Substring) -> Bool {
        guard let first = text.first, let last = text.last else { return false }
        return isAlphanumeric(first) && isAlphanumeric(last)
            && text.allSatisfy { isAlphanumeric($0) || "-_.".contains($0) }
    }

    static func keyProblem(_ key: String) -> String? {
        let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let name = parts.last ?? ""
        var problems: [String] = []
        if parts.count == 2 {
            let prefix = parts[0]
            if prefix.isEmpty {
                problems.append("prefix part must be non-empty")
            } else if !isDNSSubdomain(prefix) {
                problems.append(
                    "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                        + "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
                        + "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
            }
        }
        if name.isEmpty {
            problems.append("name part must be non-empty")
        } else if name.count > 63 {
            problems.append("name part must be no more than 63 characters")
        }
        if !name.isEmpty && !isNamePart(name) { problems.append(nameMessage) }
        guard !problems.isEmpty else { return nil }
        return "Invalid value: \"\(key)\": " + problems.joined(separator: "; ")
    }

    private static func isDNSSubdomain(_ text: Substring) -> Bool {
        text.count <= 253
            && text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
                guard let first = label.first, let last = label.last else { return false }
                let ok = { (c: Character) in c.isASCII && (c.isLowercase || c.isNumber) }
                return ok(first) && ok(last) && label.allSatisfy { ok($0) || $0 == "-" }
            }
    }

    static func valueProblem(_ value: String) -> String? {
        var problems: [String] = []
        if value.count > 63 { problems.append("must be no more than 63 characters") }
        if !value.isEmpty && !isNamePart(Substring(value)) {
            problems.append(
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
                    + "must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
                    + "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }
}
