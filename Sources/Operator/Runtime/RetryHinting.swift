import KubeClient

/// An error that knows how long to wait before retrying (throttling, Retry-After).
public protocol RetryHinting {
    var retryAfter: Duration? { get }
}

extension TokenSourceError: RetryHinting {}

extension KubeAPIError: RetryHinting {}

extension OperatorError: RetryHinting {
    /// The wait the underlying cause asked for (API server 429, AWS throttling).
    public var retryAfter: Duration? { (cause as? any RetryHinting)?.retryAfter }
}
