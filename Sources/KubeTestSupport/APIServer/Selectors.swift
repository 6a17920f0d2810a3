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
        requirements.allSatisfy { requirement in
            let value = labels[requirement.key]
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
        isEmpty || matches(LabelQuery.labels(of: object))
    }

    static func labels(of object: JSONValue) -> [String: String] {
        var labels: [String: String] = [:]
        for (key, value) in object["metadata"]?["labels"]?.objectValue ?? [:] {
            if let text = value.stringValue { labels[key] = text }
        }
        return labels
    }

    static func parse(_ text: String) throws(APIError) -> LabelQuery {
        var query = LabelQuery()
        for part in splitTopLevel(text) {
            let clause = part.trimmingSpaces
            if clause.isEmpty { continue }
            query.requirements.append(try parseRequirement(clause))
        }
        return query
    }

    private static func parseRequirement(_ clause: String) throws(APIError) -> Requirement {
        if clause.hasPrefix("!") {
            let key = String(clause.dropFirst()).trimmingSpaces
            try validateKey(key, clause)
            return Requirement(key: key, op: .doesNotExist)
        }
        let keyEnd = clause.firstIndex { !isKeyCharacter($0) } ?? clause.endIndex
        let key = String(clause[..<keyEnd])
        try validateKey(key, clause)
        let rest = String(clause[keyEnd...]).trimmingSpaces
        if rest.isEmpty { return Requirement(key: key, op: .exists) }
        for (token, make) in [
            ("!=", { (v: String) in Operator.notEquals(v) }), ("==", { Operator.equals($0) }),
            ("=", { Operator.equals($0) }),
        ] where rest.hasPrefix(token) {
            let value = String(rest.dropFirst(token.count)).trimmingSpaces
            try validateValue(value, clause)
            return Requirement(key: key, op: make(value))
        }
        for (token, isGreater) in [(">", true), ("<", false)] where rest.hasPrefix(token) {
            guard let bound = Int(String(rest.dropFirst()).trimmingSpaces) else {
                throw parseError(clause, "for 'Gt', 'Lt' operators, the value must be an integer")
            }
            return Requirement(key: key, op: isGreater ? .greaterThan(bound) : .lessThan(bound))
        }
        for (word, negated) in [("notin", true), ("in", false)] where rest.hasPrefix(word) {
            let set = String(rest.dropFirst(word.count)).trimmingSpaces
            guard set.hasPrefix("("), set.hasSuffix(")") else {
                throw parseError(clause, "found '\(set)', expected: '('")
            }
            let values = set.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false)
                .map { String($0).trimmingSpaces }
            for value in values { try validateValue(value, clause) }
            return Requirement(key: key, op: negated ? .notIn(Set(values)) : .isIn(Set(values)))
        }
        throw parseError(clause, "found '\(rest)', expected: in, notin, =, ==, !=, gt, lt")
    }

    private static func isKeyCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "-_./".contains(character))
    }

    private static func validateKey(_ key: String, _ clause: String) throws(APIError) {
        if key.isEmpty || key.count > 316 || !key.allSatisfy(isKeyCharacter) {
            throw parseError(clause, "invalid label key \"\(key)\"")
        }
    }

    private static func validateValue(_ value: String, _ clause: String) throws(APIError) {
        let allowed = value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        if value.count > 63 || !allowed {
            throw parseError(clause, "invalid label value: \"\(value)\": must be no more than 63 characters")
        }
    }

    private static func parseError(_ clause: String, _ detail: String) -> APIError {
        APIError.badRequest("unable to parse requirement: \(clause): \(detail)")
    }

    /// Splits on commas outside parentheses (`a in (x,y),b` is two requirements).
    private static func splitTopLevel(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            switch character {
            case "(": depth += 1; current.append(character)
            case ")": depth -= 1; current.append(character)
            case "," where depth == 0: parts.append(current); current = ""
            default: current.append(character)
            }
        }
        parts.append(current)
        return parts
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

    static func parse(_ text: String, for type: APIResourceType) throws(APIError) -> FieldQuery {
        var query = FieldQuery()
        let allowed = ["metadata.name", "metadata.namespace"] + type.extraSelectableFields
        for part in text.split(separator: ",") {
            let clause = String(part).trimmingSpaces
            if clause.isEmpty { continue }
            let requirement: Requirement
            if let range = clause.range(of: "!=") {
                requirement = Requirement(
                    field: String(clause[..<range.lowerBound]).trimmingSpaces,
                    value: String(clause[range.upperBound...]).trimmingSpaces, negated: true)
            } else if let range = clause.range(of: "==") ?? clause.range(of: "=") {
                requirement = Requirement(
                    field: String(clause[..<range.lowerBound]).trimmingSpaces,
                    value: String(clause[range.upperBound...]).trimmingSpaces, negated: false)
            } else {
                throw APIError.badRequest("invalid selector: '\(text)'; can't understand '\(clause)'")
            }
            guard allowed.contains(requirement.field) else {
                throw APIError.badRequest("field label not supported: \(requirement.field)")
            }
            query.requirements.append(requirement)
        }
        return query
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
        var text = Substring(self)
        while text.first?.isWhitespace == true { text = text.dropFirst() }
        while text.last?.isWhitespace == true { text = text.dropLast() }
        return String(text)
    }
}
