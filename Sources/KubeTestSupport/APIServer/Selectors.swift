import CRDModels

/// A parsed `labelSelector` query parameter, with the grammar of apimachinery `labels.Parse`:
/// `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a` (exists), `!a` (does not exist), `a>1`, `a<1`.
struct LabelQuery: Sendable, Equatable {
    enum Operator: Sendable, Equatable {
        case equals(String), notEquals(String), isIn(Set<String>), notIn(Set<String>), exists, doesNotExist
        case greaterThan(Int), lessThan(Int)
    }

    struct Requirement: Sendable, Equatable {
        var key: String
        var op: Operator
    }

    var requirements: [Requirement] = []
    var isEmpty: Bool { requirements.isEmpty }

    static let everything = LabelQuery()

    /// `!=` and `notin` match objects that lack the key, as in Kubernetes.
    func matches(_ labels: [String: String]) -> Bool {
        matches { labels[$0] }
    }

    /// The rule of `matches(_:)` over any lookup of a label's value, so an object's labels are read where
    /// they are (`matches(object:)`: every watcher checks every write) rather than copied into a dictionary.
    private func matches(label: (String) -> String?) -> Bool {
        requirements.allSatisfy { requirement in
            let value = label(requirement.key)
            switch requirement.op {
            case .equals(let expected): return value == expected
            case .notEquals(let expected): return value != expected
            case .isIn(let set): return value.map(set.contains) ?? false
            case .notIn(let set): return value.map { !set.contains($0) } ?? true
            case .exists: return value != nil
            case .doesNotExist: return value == nil
            case .greaterThan(let bound): return value.flatMap { Int($0) }.map { $0 > bound } ?? false
            case .lessThan(let bound): return value.flatMap { Int($0) }.map { $0 < bound } ?? false
            }
        }
    }

    func matches(object: JSONValue) -> Bool {
        guard !isEmpty else { return true }
        let labels = object["metadata"]?["labels"]?.objectValue
        return matches { labels?[$0]?.stringValue }  // a non-string value is no label, as in `labels(of:)`
    }

    static func labels(of object: JSONValue) -> [String: String] {
        var labels: [String: String] = [:]
        for (key, value) in object["metadata"]?["labels"]?.objectValue ?? [:] {
            if let text = value.stringValue { labels[key] = text }
        }
        return labels
    }

    static func parse(_ text: String) throws(APIError) -> LabelQuery {
        try LabelSelectorParser.parse(text)
    }
}

/// A parsed `fieldSelector`: `field=value`, `field==value`, `field!=value`, comma-separated.
/// Only `metadata.name`, `metadata.namespace` and the resource's own selectable fields are accepted,
/// like the real server (anything else is a 400).
struct FieldQuery: Sendable, Equatable {
    struct Requirement: Sendable, Equatable {
        var field: String
        var value: String
        var negated: Bool
    }

    var requirements: [Requirement] = []
    var isEmpty: Bool { requirements.isEmpty }

    /// `fields.ParseSelector` (terms split at unescaped commas, no trimming, `\\`, `\,` and `\=`
    /// escapes).
    static func parse(_ text: String) throws(APIError) -> FieldQuery {
        var query = FieldQuery()
        for term in splitTerms(text).sorted() where !term.isEmpty {
            guard let (field, op, rawValue) = splitTerm(term) else {
                throw APIError.badRequest("invalid selector: '\(text)'; can't understand '\(term)'")
            }
            let value = try unescape(rawValue)
            query.requirements.append(Requirement(field: field, value: value, negated: op == "!="))
        }
        return query
    }

    /// The field label conversion, which the list handler runs after validating the options.
    func checkSupported(by type: APIResourceType) throws(APIError) {
        let allowed = ["metadata.name", "metadata.namespace"] + type.extraSelectableFields
        for requirement in requirements where !allowed.contains(requirement.field) {
            // Kinds with their own conversion function word it differently from the default one.
            throw APIError.badRequest(
                type.hasFieldLabelConversion
                    ? "field label not supported: \(requirement.field)"
                    : "\"\(requirement.field)\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")
        }
    }

    private static func splitTerms(_ text: String) -> [String] {
        guard !text.isEmpty else { return [] }
        var terms: [String] = []
        var current = ""
        var escaped = false
        for character in text {
            if escaped {
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "," {
                terms.append(current)
                current = ""
                continue
            }
            current.append(character)
        }
        terms.append(current)
        return terms
    }

    private static func splitTerm(_ term: String) -> (String, String, String)? {
        var index = term.startIndex
        while index < term.endIndex {
            for op in ["!=", "==", "="] where term[index...].hasPrefix(op) {
                return (String(term[..<index]), op, String(term[term.index(index, offsetBy: op.count)...]))
            }
            index = term.index(after: index)
        }
        return nil
    }

    private static func unescape(_ value: String) throws(APIError) -> String {
        var result = ""
        var escaped = false
        for character in value {
            if escaped {
                guard "\\,=".contains(character) else {
                    throw APIError.badRequest("invalid field selector: invalid escape sequence: \\\(character)")
                }
                result.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "," || character == "=" {
                let code = character.unicodeScalars.first.map { String($0.value) } ?? ""
                throw APIError.badRequest("invalid field selector: unescaped character in value: \(code)")
            } else {
                result.append(character)
            }
        }
        if escaped { throw APIError.badRequest("invalid field selector: invalid escape sequence: \\") }
        return result
    }

    func matches(object: JSONValue) -> Bool {
        requirements.allSatisfy { requirement in
            let path = requirement.field == "source" ? "source.component" : requirement.field
            var value: JSONValue? = object
            for component in path.split(separator: ".") { value = value?[String(component)] }
            let text = value?.stringValue ?? ""
            return (text == requirement.value) != requirement.negated
        }
    }
}

extension String {
    var trimmingSpaces: String {
        // Printable ASCII at both ends: neither end's Character is whitespace, nothing to trim (the common case:
        // every header value and selector term comes here).
        if let first = utf8.first, let last = utf8.last, (0x21..<0x7F).contains(first), (0x21..<0x7F).contains(last) {
            return self
        }
        var text = Substring(self)
        while text.first?.isWhitespace == true { text = text.dropFirst() }
        while text.last?.isWhitespace == true { text = text.dropLast() }
        return String(text)
    }
}
