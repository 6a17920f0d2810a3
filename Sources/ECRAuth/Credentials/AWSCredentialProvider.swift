import CRDModels
import FoundationEssentials

/// A source of AWS credentials.
///
/// `identity` is a stable, non-secret name for *who* the credentials belong to (a key fingerprint, a role ARN,
/// "imds"). Token caches key on it, so two providers for the same principal share tokens and a changed key
/// gets a fresh entry. It never contains a secret.
public protocol AWSCredentialProvider: Sendable {
    var identity: String { get }
    /// Current credentials; providers with temporary credentials cache and refresh ahead of expiry.
    func credentials() async throws -> AWSCredentials
    /// Drop cached credentials (after the service said they are expired or invalid).
    func invalidate() async
}

extension AWSCredentialProvider {
    public func invalidate() async {}
}

/// Fixed keys: a Kubernetes Secret's values or inline keys, passed in as plain values.
public struct StaticCredentialProvider: AWSCredentialProvider {
    public let stored: AWSCredentials

    public init(_ credentials: AWSCredentials) {
        self.stored = credentials
    }

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.stored = AWSCredentials(
            accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: sessionToken)
    }

    /// Keys from a Kubernetes Secret's `data` (already base64-decoded bytes) under the given key names.
    /// Errors name the Secret key that is missing or empty, never a value.
    public init(
        secretData: [String: Data], accessKeyIDKey: String = "AWS_ACCESS_KEY_ID",
        secretAccessKeyKey: String = "AWS_SECRET_ACCESS_KEY", sessionTokenKey: String? = "AWS_SESSION_TOKEN"
    ) throws {
        func value(_ key: String) throws -> String {
            guard let data = secretData[key] else {
                throw AWSError(
                    code: "CredentialsKeyMissing", message: "the credentials Secret has no key '\(key)'",
                    kind: .credentialsUnavailable)
            }
            guard let text = String(data: data, encoding: .utf8)?.trimmingWhitespace(),
                !text.isEmpty
            else {
                throw AWSError(
                    code: "CredentialsKeyEmpty",
                    message: "the credentials Secret key '\(key)' is empty or not UTF-8", kind: .credentialsUnavailable
                )
            }
            return text
        }
        let token = try sessionTokenKey.flatMap { key in secretData[key] == nil ? nil : try value(key) }
        self.stored = AWSCredentials(
            accessKeyID: try value(accessKeyIDKey), secretAccessKey: try value(secretAccessKeyKey),
            sessionToken: token)
    }

    public var identity: String { "static:" + stored.fingerprint }
    public func credentials() async throws -> AWSCredentials { stored }
}

/// Caches the credentials of another provider and refreshes them ahead of expiry, like botocore's
/// `RefreshableCredentials`: inside the advisory window (15 min before expiry) one caller refreshes and a
/// failed refresh keeps the old credentials; inside the mandatory window (10 min) the refresh must succeed.
/// Concurrent callers share one refresh.
public actor RefreshingCredentialProvider: AWSCredentialProvider {
    public nonisolated let identity: String
    private let source: any AWSCredentialProvider
    private let now: @Sendable () -> Date
    private let advisoryRefresh: TimeInterval
    private let mandatoryRefresh: TimeInterval
    private var cached: AWSCredentials?
    private var fetchedAt = Date.distantPast
    private var refreshing: Task<AWSCredentials, any Error>?

    public init(
        wrapping source: any AWSCredentialProvider, advisoryRefresh: Duration = .seconds(15 * 60),
        mandatoryRefresh: Duration = .seconds(10 * 60), now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.source = source
        self.identity = source.identity
        self.now = now
        self.advisoryRefresh = advisoryRefresh.seconds
        self.mandatoryRefresh = mandatoryRefresh.seconds
    }

    public func credentials() async throws -> AWSCredentials {
        let current = now()
        if let cached {
            guard let expiration = cached.expiration else { return cached }
            let remaining = expiration.timeIntervalSince(current)
            // Short sessions (AssumeRole allows 15 min) would sit inside the windows from the start and be
            // refreshed on every call; scale the windows down to a share of the session's lifetime instead.
            let lifetime = expiration.timeIntervalSince(fetchedAt)
            let advisory = min(advisoryRefresh, lifetime / 2)
            let mandatory = min(mandatoryRefresh, lifetime / 3)
            if remaining > advisory { return cached }
            if remaining > mandatory {
                // Advisory window: try to refresh, but keep serving the old keys if that fails.
                do { return try await refresh() } catch { return cached }
            }
        }
        return try await refresh()
    }

    public func invalidate() async {
        cached = nil
        await source.invalidate()
    }

    private func refresh() async throws -> AWSCredentials {
        if let refreshing { return try await refreshing.value }
        let source = self.source
        let task = Task { try await source.credentials() }
        refreshing = task
        defer { refreshing = nil }
        let fresh = try await task.value
        cached = fresh
        fetchedAt = now()
        return fresh
    }
}

extension AWSCredentialProvider {
    /// This provider behind an expiry-aware cache.
    public func cached(now: @escaping @Sendable () -> Date = { Date() }) -> RefreshingCredentialProvider {
        RefreshingCredentialProvider(wrapping: self, now: now)
    }
}
