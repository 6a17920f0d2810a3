/// The observed state of either kind. Cluster-only fields (`namespaces`, `failedNamespaces`) stay nil for the
/// namespaced kind. Times are RFC 3339 strings as Kubernetes writes them (see `Timestamp`).
public struct ImagePullSecretStatus: Codable, Hashable, Sendable {
    /// The `metadata.generation` this status describes.
    public var observedGeneration: Int64?
    /// Types from `ConditionType`, reasons from `ConditionReason`.
    public var conditions: [Condition]?
    /// Registry hosts written into the Secret, e.g. `123456789012.dkr.ecr.us-west-2.amazonaws.com`.
    public var registries: [String]?
    public var lastRefreshTime: String?
    /// Earliest expiry of the tokens in the Secret.
    public var expiresAt: String?
    public var nextRefreshTime: String?
    /// Cluster kind only.
    public var namespaces: NamespaceCounts?
    /// Cluster kind only: namespaces that could not be synced, and why.
    public var failedNamespaces: [FailedNamespace]?

    public init(
        observedGeneration: Int64? = nil, conditions: [Condition]? = nil, registries: [String]? = nil,
        lastRefreshTime: String? = nil, expiresAt: String? = nil, nextRefreshTime: String? = nil,
        namespaces: NamespaceCounts? = nil, failedNamespaces: [FailedNamespace]? = nil
    ) {
        self.observedGeneration = observedGeneration
        self.conditions = conditions
        self.registries = registries
        self.lastRefreshTime = lastRefreshTime
        self.expiresAt = expiresAt
        self.nextRefreshTime = nextRefreshTime
        self.namespaces = namespaces
        self.failedNamespaces = failedNamespaces
    }

    /// The condition of the given type, if present.
    public func condition(_ type: ConditionType) -> Condition? {
        conditions?.first { $0.type == type.rawValue }
    }
}

/// How many target namespaces there are and how many hold a current Secret.
///
/// `summary` (`"11/12"`) exists only for the `Namespaces` printer column, because a printer column's
/// JSONPath cannot join two numbers; it is kept in step with `synced` and `desired` automatically.
public struct NamespaceCounts: Codable, Hashable, Sendable {
    public var desired: Int { didSet { summary = Self.summary(synced: synced, desired: desired) } }
    public var synced: Int { didSet { summary = Self.summary(synced: synced, desired: desired) } }
    /// `synced/desired`.
    public private(set) var summary: String?

    public init(desired: Int, synced: Int) {
        self.desired = desired
        self.synced = synced
        self.summary = Self.summary(synced: synced, desired: desired)
    }

    static func summary(synced: Int, desired: Int) -> String { "\(synced)/\(desired)" }
}

/// A namespace the cluster kind could not sync.
public struct FailedNamespace: Codable, Hashable, Sendable {
    public var namespace: String
    /// A `ConditionReason` raw value, e.g. `SecretConflict`, `NamespaceMissing`.
    public var reason: String
    public var message: String

    public init(namespace: String, reason: ConditionReason, message: String) {
        self.namespace = namespace
        self.reason = reason.rawValue
        self.message = message
    }
}
