import Foundation
import Operator
import Synchronization

/// A token source for runtime tests that need no AWS: fixed tokens, counted calls, switchable failure.
public final class FakeTokenSource: TokenSource {
    private let state = Mutex<(calls: Int, failing: String?, lastCredentials: String?)>((0, nil, nil))

    public init() {}

    public var calls: Int { state.withLock { $0.calls } }
    public func fail(with message: String?) { state.withLock { $0.failing = message } }
    /// The access key id of the last call (\"ambient\" for the operator's identity).
    public var lastCredentials: String? { state.withLock { $0.lastCredentials } }

    public func tokens(for requests: TokenRequests, credentials: ResolvedCredentials, notBefore: Date?) async throws
        -> [IssuedToken]
    {
        let failing = state.withLock { state -> String? in
            state.calls += 1
            if case .keys(let id, _, _) = credentials.source { state.lastCredentials = id } else { state.lastCredentials = "ambient" }
            return state.failing
        }
        if let failing { throw TokenSourceError(reason: .tokenRequestFailed, message: failing) }
        let now = Date()
        return requests.regional.map { regional in
            IssuedToken(
                credential: RegistryCredential(
                    host: "123456789012.dkr.ecr.\(regional.region).amazonaws.com", username: "AWS",
                    password: "fake-token-\(regional.region)"),
                expiresAt: now.addingTimeInterval(12 * 3600), obtainedAt: now)
        }
    }
}
