import Foundation

/// When to fetch a fresh token next: `min(lastRefresh + refreshInterval, expiresAt - margin)`,
/// a little earlier by jitter, never sooner than a floor.
///
/// - The margin is at least `marginFraction` (10%) of the token's lifetime and at least
///   `minimumMargin`, so a 12 h token is replaced at the latest 1 h 12 m before it expires.
/// - Jitter only moves the refresh earlier, so it never breaks the margin; it spreads the refreshes
///   of many resources created together.
/// - The floor stops a hot loop when `expiresAt` is already past (clock skew, or moto, whose tokens
///   "expire" in 2015): the refresh waits at least `floor`, and `expiryInPast` lets status warn.
public struct RefreshSchedule: Sendable, Hashable {
    public var marginFraction: Double
    public var minimumMargin: TimeInterval
    /// Largest jitter, as a fraction of the time until the refresh.
    public var jitterFraction: Double
    public var maximumJitter: TimeInterval
    public var floor: TimeInterval

    public init(
        marginFraction: Double = 0.1, minimumMargin: TimeInterval = 60, jitterFraction: Double = 0.05,
        maximumJitter: TimeInterval = 300, floor: TimeInterval = 60
    ) {
        self.marginFraction = marginFraction
        self.minimumMargin = minimumMargin
        self.jitterFraction = jitterFraction
        self.maximumJitter = maximumJitter
        self.floor = floor
    }

    /// The outcome for one resource.
    public struct Plan: Sendable, Hashable {
        /// When to refresh next.
        public var nextRefresh: Date
        /// `nextRefresh - now`, never below the floor.
        public var delay: TimeInterval
        /// The token's expiry is not after `now`: status should warn (clock skew or an emulator).
        public var expiryInPast: Bool
        /// The expiry margin, not the refresh interval, decided the time.
        public var limitedByExpiry: Bool
    }

    /// Plans the next refresh.
    /// - Parameters:
    ///   - lastRefresh: when the current token was obtained.
    ///   - expiresAt: the token's expiry (the earliest one when a resource holds several).
    ///   - jitterUnit: a number in `[0, 1)`, random in production, fixed in tests.
    public func plan(
        now: Date, lastRefresh: Date, refreshInterval: TimeInterval, expiresAt: Date?, jitterUnit: Double
    ) -> Plan {
        var next = lastRefresh.addingTimeInterval(refreshInterval)
        var limitedByExpiry = false
        var expiryInPast = false
        if let expiresAt {
            expiryInPast = expiresAt <= now
            let lifetime = expiresAt.timeIntervalSince(lastRefresh)
            let margin = max(lifetime * marginFraction, minimumMargin)
            let latest = expiresAt.addingTimeInterval(-margin)
            if latest < next {
                next = latest
                limitedByExpiry = true
            }
        }
        let untilNext = next.timeIntervalSince(now)
        if untilNext > 0 {
            let jitter = min(untilNext * jitterFraction, maximumJitter) * min(max(jitterUnit, 0), 1)
            next = next.addingTimeInterval(-jitter)
        }
        let earliest = now.addingTimeInterval(floor)
        if next < earliest { next = earliest }
        return Plan(
            nextRefresh: next, delay: next.timeIntervalSince(now), expiryInPast: expiryInPast,
            limitedByExpiry: limitedByExpiry)
    }
}
