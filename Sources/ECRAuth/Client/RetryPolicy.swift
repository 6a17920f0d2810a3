import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// How failed AWS calls are retried: throttling, 5xx and transport failures with jittered exponential
/// backoff ("full jitter") up to `maxAttempts`, everything inside one overall deadline; expired or invalid
/// credentials once, after the credential cache was dropped; everything else not at all.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in total, the first included.
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// Deadline for one HTTP exchange.
    public var attemptTimeout: Duration
    /// Deadline for the whole call, retries and backoff included.
    public var deadline: Duration

    public init(
        maxAttempts: Int = 4, baseDelay: Duration = .milliseconds(200), maxDelay: Duration = .seconds(5),
        attemptTimeout: Duration = .seconds(10), deadline: Duration = .seconds(30)
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.attemptTimeout = attemptTimeout
        self.deadline = deadline
    }

    public static let `default` = RetryPolicy()

    /// Delay before retry number `retry` (1-based): uniformly random in 0...min(maxDelay, base * 2^(retry-1)).
    public func backoff(retry: Int, random: Double = Double.random(in: 0...1)) -> Duration {
        let ceiling = min(maxDelay.seconds, baseDelay.seconds * pow(2, Double(max(0, retry - 1))))
        return .milliseconds(Int64((ceiling * random * 1000).rounded()))
    }
}
