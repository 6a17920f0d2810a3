/// `metav1.LabelSelector`: `matchLabels` and `matchExpressions` are ANDed.
public struct LabelSelector: Codable, Hashable, Sendable {
    public var matchLabels: [String: String]?
    public var matchExpressions: [LabelSelectorRequirement]?

    public init(matchLabels: [String: String]? = nil, matchExpressions: [LabelSelectorRequirement]? = nil) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }

    /// Whether `labels` satisfy the selector, as `metav1.LabelSelectorAsSelector` evaluates it.
    /// An empty selector matches everything. The selector is assumed valid (see validation).
    public func matches(_ labels: [String: String]) -> Bool { matches { labels[$0] } }

    /// The same, with the labels read one by one (`label` returns a key's value, nil when absent).
    public func matches(label: (String) -> String?) -> Bool {
        for (key, value) in matchLabels ?? [:] where label(key) != value { return false }
        for requirement in matchExpressions ?? [] where !requirement.matches(label: label) { return false }
        return true
    }
}

/// One `matchExpressions` entry.
public struct LabelSelectorRequirement: Codable, Hashable, Sendable {
    public var key: String
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    public var `operator`: String
    public var values: [String]?

    public init(key: String, operator: String, values: [String]? = nil) {
        self.key = key
        self.operator = `operator`
        self.values = values
    }

    public func matches(_ labels: [String: String]) -> Bool { matches { labels[$0] } }

    public func matches(label: (String) -> String?) -> Bool {
        switch self.operator {
        case "In": return label(key).map { (values ?? []).contains($0) } ?? false
        case "NotIn": return label(key).map { !(values ?? []).contains($0) } ?? true
        case "Exists": return label(key) != nil
        case "DoesNotExist": return label(key) == nil
        default: return false
        }
    }
}
