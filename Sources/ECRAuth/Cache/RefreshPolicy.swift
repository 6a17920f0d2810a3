import FoundationEssentials

/// When a token is replaced: the one policy that the shared token cache (when to fetch again) and the
/// reconcilers (when to requeue a resource, when to ask for a newer token) both follow.
///
/// - Margin: a token is replaced `max(marginFraction × lifetime, minimumMargin)` before it expires
///   (at most half its lifetime), so a 12 h token goes at the latest 1 h 12 m before its expiry.
/// - Interval: a resource is refreshed at `min(lastRefresh + refreshInterval, expiresAt - margin)`,
///   a little earlier by jitter (never later, so the margin holds), which spreads the refreshes of
///   many resources created together.
/// - Floor: nothing is fetched again or requeued sooner than `floor` after the last fetch, even when
///   the expiry is already past (clock skew, or moto, whose tokens "expire" in 2015): no hot loop.
public struct RefreshPolicy: Sendable, Hashable {
    public var marginFraction: Double
    public var minimumMargin: TimeInterval
    public var floor: TimeInterval
    /// Largest jitter, as a fraction of the time until the refresh.
    public var jitterFraction: Double
    public var maximumJitter: TimeInterval

    public init(
        marginFraction: Double = 0.1, minimumMargin: TimeInterval = 300, floor: TimeInterval = 60,
        jitterFraction: Double = 0.05, maximumJitter: TimeInterval = 300
    ) {
        self.marginFraction = marginFraction
        self.minimumMargin = minimumMargin
        self.floor = floor
        self.jitterFraction = jitterFraction
        self.maximumJitter = maximumJitter
    }

    /// The latest safe time to replace a token fetched at `fetchedAt`, never before `fetchedAt + floor`.
    /// `clamped` says the token's lifetime was within the floor: it is reused for the floor only, and
    /// callers should report it.
    public func refreshPoint(fetchedAt: Date, expiresAt: Date) -> (refreshAt: Date, clamped: Bool) {
        let earliest = fetchedAt.addingTimeInterval(floor)
        let lifetime = expiresAt.timeIntervalSince(fetchedAt)
        guard lifetime > floor else { return (earliest, true) }
        return (max(expiresAt.addingTimeInterval(-margin(lifetime: lifetime)), earliest), false)
    }

    private func margin(lifetime: TimeInterval) -> TimeInterval {
        min(max(lifetime * marginFraction, minimumMargin), lifetime / 2)
    }

    /// When one resource refreshes next.
    public struct Plan: Sendable, Hashable {
        public var nextRefresh: Date
        /// `nextRefresh - now`, never below the floor.
        public var delay: TimeInterval
        /// The token's expiry is not after `now`: status should warn (clock skew or an emulator).
        public var expiryInPast: Bool
        /// The expiry margin, not the refresh interval, decided the time.
        public var limitedByExpiry: Bool
    }

    /// Plans a resource's next refresh.
    /// - Parameters:
    ///   - lastRefresh: when the token it holds was obtained.
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
            let latest = expiresAt.addingTimeInterval(-margin(lifetime: expiresAt.timeIntervalSince(lastRefresh)))
            if latest < next {
                next = latest
                limitedByExpiry = true
            }
        }
        let untilNext = next.timeIntervalSince(now)
        if untilNext > 0 {
            next = next.addingTimeInterval(-min(untilNext * jitterFraction, maximumJitter) * min(max(jitterUnit, 0), 1))
        }
        next = max(next, now.addingTimeInterval(floor))
        return Plan(
            nextRefresh: next, delay: next.timeIntervalSince(now), expiryInPast: expiryInPast,
            limitedByExpiry: limitedByExpiry)
    }

    /// The token a resource must not reuse: once its own `refreshInterval` (less the largest jitter)
    /// has passed since it obtained its token at `lastRefresh`, it asks for one newer than that
    /// (status keeps whole seconds, hence the one second); before that, nil, and any cached token will do.
    public func notBefore(lastRefresh: Date?, refreshInterval: TimeInterval, now: Date) -> Date? {
        guard let lastRefresh else { return nil }
        let allowance = min(refreshInterval * jitterFraction, maximumJitter)
        guard lastRefresh.addingTimeInterval(refreshInterval - allowance) <= now else { return nil }
        return lastRefresh.addingTimeInterval(1)
    }
}
