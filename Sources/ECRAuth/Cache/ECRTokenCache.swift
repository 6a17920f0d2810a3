import FoundationEssentials
import Logging

/// ECR tokens fetched for one (credential identity, region, endpoint, registry ids, public/private).
public struct ECRToken: Sendable, CustomStringConvertible {
    /// One per registry (private: per registry id or the caller's default registry; public: `public.ecr.aws`).
    public var authorizations: [ECRAuthorization]
    public var fetchedAt: Date
    /// The earliest `expiresAt` AWS reported.
    public var expiresAt: Date
    /// When the cache fetches a new token: `expiresAt - margin`, never earlier than `fetchedAt + floor`.
    public var refreshAt: Date
    /// True when AWS returned an `expiresAt` at or within the floor of `fetchedAt` (clock skew, or moto's
    /// fixed 2015 date): the token is then treated as valid for the floor only, and callers should report it.
    public var expiryClamped: Bool

    public var description: String {
        "ECRToken(registries: \(authorizations.map(\.registryHost)), fetchedAt: \(fetchedAt), "
            + "expiresAt: \(expiresAt), refreshAt: \(refreshAt), expiryClamped: \(expiryClamped))"
    }
}

/// The shared, single-flight ECR token cache: one AWS call per key per refresh, however many custom
/// resources and namespaces ask. Concurrent callers of a missing or stale key await the same request. A
/// failed request is not cached (the caller's backoff decides when to try again).
///
/// Keys include the credential provider's `identity` (a key fingerprint or a role ARN), so changed
/// credentials get a new entry; `invalidate(identity:)` drops the old ones explicitly.
public actor ECRTokenCache {
    public struct Key: Hashable, Sendable, CustomStringConvertible {
        public var identity: String
        public var region: String
        public var endpoint: String
        public var isPublic: Bool
        public var registryIDs: [String]

        public var description: String {
            "\(isPublic ? "public" : "private") \(region) \(endpoint) ids=\(registryIDs) as "
                + CredentialFingerprint.loggable(identity)
        }
    }

    private let ecr: ECRClient
    private let policy: RefreshPolicy
    private let now: @Sendable () -> Date
    private let logger: Logger
    private var entries: [Key: ECRToken] = [:]
    private var inFlight: [Key: Task<ECRToken, any Error>] = [:]
    /// Bumped by invalidation so a request already in flight does not store a stale result.
    private var generation = 0

    public init(
        ecr: ECRClient, policy: RefreshPolicy = RefreshPolicy(), logger: Logger = Logger(label: "ecr-pullsecret.token-cache"),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.ecr = ecr
        self.policy = policy
        self.logger = logger
        self.now = now
    }

    /// The key a request maps to (exposed for status and tests).
    public nonisolated func key(
        credentials: any AWSCredentialProvider, region: String, registryIDs: [String] = [], isPublic: Bool = false
    ) -> Key {
        if isPublic {
            return Key(
                identity: credentials.identity, region: EndpointResolver.ecrPublicRegion,
                endpoint: ecr.endpoints.ecrPublic().url, isPublic: true, registryIDs: [])
        }
        return Key(
            identity: credentials.identity, region: region, endpoint: ecr.endpoints.ecr(region: region).url,
            isPublic: false, registryIDs: Array(Set(registryIDs)).sorted())
    }

    /// A token valid until at least its refresh point; fetched (once, shared) when missing or due.
    /// - Parameter notBefore: a cached token fetched before this time is not reused: a resource whose
    ///   own refresh interval is due asks for a newer token than the one it holds. Only this key's
    ///   entry is replaced; the identity's other tokens stay.
    public func token(
        credentials: any AWSCredentialProvider, region: String, registryIDs: [String] = [], isPublic: Bool = false,
        notBefore: Date? = nil
    ) async throws -> ECRToken {
        let key = key(credentials: credentials, region: region, registryIDs: registryIDs, isPublic: isPublic)
        let current = now()
        if let entry = entries[key], current < entry.refreshAt, entry.fetchedAt >= notBefore ?? entry.fetchedAt {
            return entry
        }
        if let task = inFlight[key] { return try await task.value }

        let ecr = self.ecr
        let policy = self.policy
        let clock = self.now
        let task = Task<ECRToken, any Error> {
            let authorizations: [ECRAuthorization]
            if isPublic {
                authorizations = [try await ecr.getPublicAuthorizationToken(credentials: credentials)]
            } else {
                authorizations = try await ecr.getAuthorizationToken(
                    region: region, registryIDs: key.registryIDs, credentials: credentials)
            }
            let fetchedAt = clock()
            let expiresAt = authorizations.map(\.expiresAt).min() ?? fetchedAt
            let (refreshAt, clamped) = policy.refreshPoint(fetchedAt: fetchedAt, expiresAt: expiresAt)
            return ECRToken(
                authorizations: authorizations, fetchedAt: fetchedAt, expiresAt: expiresAt, refreshAt: refreshAt,
                expiryClamped: clamped)
        }
        inFlight[key] = task
        let startedGeneration = generation
        defer { inFlight[key] = nil }
        let token = try await task.value
        if token.expiryClamped {
            logger.warning(
                "AWS returned an ECR token that expires at or before the minimum lifetime; reusing it for the floor",
                metadata: [
                    "ecr.key": "\(key)", "ecr.expires_at": "\(token.expiresAt)",
                    "ecr.refresh_at": "\(token.refreshAt)",
                ])
        }
        if generation == startedGeneration {
            entries[key] = token
            purge(before: token.fetchedAt)
        }
        return token
    }

    /// Drops every entry of one credential identity (its keys changed or were revoked).
    public func invalidate(identity: String) {
        generation += 1
        entries = entries.filter { $0.key.identity != identity }
    }

    /// Cached entries (for gauges such as "seconds until the earliest expiry").
    public var snapshot: [Key: ECRToken] { entries }

    /// Forget entries whose refresh point passed more than an hour ago: nobody asked for them since.
    private func purge(before date: Date) {
        let horizon = date.addingTimeInterval(-3600)
        entries = entries.filter { $0.value.refreshAt > horizon }
    }
}
