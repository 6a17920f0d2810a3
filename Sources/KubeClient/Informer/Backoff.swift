import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// Exponential backoff with a cap and jitter, as a pure value: `delay(attempt:)` for attempt 1, 2, …
///
/// The informer's defaults are client-go's reflector numbers: 800 ms doubling to a 30 s cap.
public struct Backoff: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration
    public var factor: Double
    /// Fraction of the delay added at random (0.1 = up to +10 %), so many clients do not retry in step.
    public var jitter: Double

    public init(
        initial: Duration = .milliseconds(800), maximum: Duration = .seconds(30), factor: Double = 2,
        jitter: Double = 0.1
    ) {
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.jitter = jitter
    }

    /// The delay before retry number `attempt` (1-based); `random` in [0, 1) picks the jitter.
    public func delay(attempt: Int, random: Double = Double.random(in: 0..<1)) -> Duration {
        guard attempt > 0 else { return .zero }
        let base = initial.seconds * pow(factor, Double(min(attempt - 1, 62)))
        let capped = min(base, maximum.seconds)
        let jittered = min(capped * (1 + jitter * random), maximum.seconds)
        return .milliseconds(Int64((jittered * 1000).rounded()))
    }


}
