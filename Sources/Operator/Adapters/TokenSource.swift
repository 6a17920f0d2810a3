import FoundationEssentials

/// One registry credential with its lifetime.
public struct IssuedToken: Sendable, Hashable {
    public var credential: RegistryCredential
    public var expiresAt: Date
    /// When this token was obtained from AWS (a cached token keeps its original time).
    public var obtainedAt: Date

    public init(credential: RegistryCredential, expiresAt: Date, obtainedAt: Date) {
        self.credential = credential
        self.expiresAt = expiresAt
        self.obtainedAt = obtainedAt
    }
}

/// Why tokens could not be obtained; `reason` maps onto a condition reason, `message` is safe to
/// show (no secret values).
public struct TokenSourceError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        case assumeRoleFailed, tokenRequestFailed
    }

    public var reason: Reason
    public var message: String
    /// How long AWS asked us to wait (throttling), if it said.
    public var retryAfter: Duration?

    public init(reason: Reason, message: String, retryAfter: Duration? = nil) {
        self.reason = reason
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { "\(reason.rawValue): \(message)" }
}

/// Where reconcilers get ECR tokens. In production, the shared single-flight `ECRTokenCache`, so
/// every resource and namespace with the same (identity, region, endpoint) shares one AWS call.
public protocol TokenSource: Sendable {
    /// Tokens for every registry of `requests`; throws `TokenSourceError`.
    /// - Parameter notBefore: a cached token obtained before this time is not reused (a scheduled
    ///   refresh asks for a token newer than the last one it wrote).
    func tokens(for requests: TokenRequests, credentials: ResolvedCredentials, notBefore: Date?) async throws
        -> [IssuedToken]
}
