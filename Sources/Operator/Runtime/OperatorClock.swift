import FoundationEssentials

/// Time as the operator's runtime sees it: a monotonic clock for delays and a wall clock for the
/// times written into status, annotations and Leases. Passed in, so tests can pin or speed time.
public protocol OperatorClock: Sendable {
    /// Monotonic time since an arbitrary origin.
    func monotonicNow() -> Duration
    /// Wall-clock time.
    func wallNow() -> Date
    /// Sleeps for `duration` (throws on cancellation).
    func sleep(for duration: Duration) async throws
}

/// The real clock: `ContinuousClock` and `Date()`.
public struct SystemClock: OperatorClock {
    private let origin = ContinuousClock.now

    public init() {}

    public func monotonicNow() -> Duration { ContinuousClock.now - origin }
    public func wallNow() -> Date { Date() }
    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration, clock: .continuous)
    }
}
