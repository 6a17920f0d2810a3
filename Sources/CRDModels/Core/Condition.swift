/// `metav1.Condition`: the standard status condition.
public struct Condition: Codable, Hashable, Sendable {
    public var type: String
    /// `"True"`, `"False"` or `"Unknown"`.
    public var status: String
    public var observedGeneration: Int64?
    /// RFC 3339; changes only when `status` changes.
    public var lastTransitionTime: String
    /// PascalCase machine-readable reason.
    public var reason: String
    public var message: String

    public init(
        type: String, status: String, observedGeneration: Int64? = nil, lastTransitionTime: String,
        reason: String, message: String
    ) {
        self.type = type
        self.status = status
        self.observedGeneration = observedGeneration
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }
}
