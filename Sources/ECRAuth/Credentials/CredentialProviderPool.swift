import FoundationEssentials

/// Hands out credential providers for custom resources and keeps them, so an assumed-role session (and
/// any other cached temporary credentials) is reused across reconciles instead of being re-created, and
/// hence re-assumed, every time. Providers are keyed by their `identity`, which holds no secret.
public actor CredentialProviderPool {
    private let sts: STSClient
    private let ambient: any AWSCredentialProvider
    private let now: @Sendable () -> Date
    private let sessionName: String
    private var providers: [String: any AWSCredentialProvider] = [:]
    /// Bound on remembered providers; the oldest half is dropped when it is reached.
    private let capacity: Int
    private var order: [String] = []

    /// - Parameters:
    ///   - ambient: the operator's own identity (usually a `DefaultCredentialChain`).
    ///   - sessionName: `RoleSessionName` for `roleARN` assumptions.
    public init(
        sts: STSClient, ambient: any AWSCredentialProvider, sessionName: String = "ecr-pullsecret-operator",
        capacity: Int = 4096, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.sts = sts
        self.ambient = ambient
        self.sessionName = sessionName
        self.capacity = max(2, capacity)
        self.now = now
    }

    /// The provider for a resource's `awsAccess`: its static keys (from a Secret or inline) or, with nil
    /// keys, the ambient identity; with `roleARN`, `sts:AssumeRole` on top (in `region`'s STS endpoint).
    public func provider(
        keys: AWSCredentials?, roleARN: String? = nil, externalID: String? = nil, region: String
    ) -> any AWSCredentialProvider {
        let base: any AWSCredentialProvider = keys.map { StaticCredentialProvider($0) } ?? ambient
        guard let roleARN, !roleARN.isEmpty else { return base }
        let role = AssumeRoleCredentialProvider(
            sts: sts, source: base, region: region, roleARN: roleARN, externalID: externalID,
            sessionName: sessionName)
        let key = role.identity + "|region:" + region
        if let existing = providers[key] { return existing }
        let cached = RefreshingCredentialProvider(wrapping: role, now: now)
        if providers.count >= capacity {
            let dropped = order.prefix(capacity / 2)
            for old in dropped { providers[old] = nil }
            order.removeFirst(dropped.count)
        }
        providers[key] = cached
        order.append(key)
        return cached
    }

    /// Forget every provider built on `identity` (its keys changed or were deleted).
    public func forget(sourceIdentity identity: String) {
        let stale = providers.keys.filter { $0.contains("|via:" + identity) }
        for key in stale { providers[key] = nil }
        order.removeAll { stale.contains($0) }
    }

    public var count: Int { providers.count }
}
