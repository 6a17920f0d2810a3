import ECRAuth
import Foundation
import Testing

/// The one refresh policy: when the cache fetches again, when a resource requeues, and when a
/// resource asks for a newer token.
@Suite struct RefreshPolicyTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let schedule = RefreshPolicy()

    @Test func intervalWinsWhenEarlierThanExpiryMargin() {
        let plan = schedule.plan(
            now: now, lastRefresh: now, refreshInterval: 6 * 3600, expiresAt: now.addingTimeInterval(12 * 3600),
            jitterUnit: 0)
        #expect(plan.nextRefresh == now.addingTimeInterval(6 * 3600))
        #expect(!plan.limitedByExpiry)
        #expect(!plan.expiryInPast)
    }

    @Test func marginIsTenPercentOfLifetime() {
        let plan = schedule.plan(
            now: now, lastRefresh: now, refreshInterval: 11 * 3600, expiresAt: now.addingTimeInterval(12 * 3600),
            jitterUnit: 0)
        // 12 h - 72 min = 10 h 48 m, earlier than the 11 h interval.
        #expect(plan.nextRefresh == now.addingTimeInterval(12 * 3600 - 72 * 60))
        #expect(plan.limitedByExpiry)
    }

    @Test func jitterOnlyMovesEarlierAndIsBounded() {
        let plan = schedule.plan(
            now: now, lastRefresh: now, refreshInterval: 6 * 3600, expiresAt: now.addingTimeInterval(12 * 3600),
            jitterUnit: 0.999)
        #expect(plan.nextRefresh < now.addingTimeInterval(6 * 3600))
        #expect(plan.nextRefresh >= now.addingTimeInterval(6 * 3600 - 300))
    }

    @Test func expiryInThePastHitsTheFloorAndWarns() {
        // moto's tokens expire on 2015-01-01.
        let plan = schedule.plan(
            now: now, lastRefresh: now, refreshInterval: 6 * 3600,
            expiresAt: Date(timeIntervalSince1970: 1_420_070_400), jitterUnit: 0.5)
        #expect(plan.expiryInPast)
        #expect(plan.delay == 60)
        #expect(plan.nextRefresh == now.addingTimeInterval(60))
    }

    @Test func overdueRefreshWaitsForTheFloor() {
        let plan = schedule.plan(
            now: now, lastRefresh: now.addingTimeInterval(-7 * 3600), refreshInterval: 6 * 3600,
            expiresAt: now.addingTimeInterval(5 * 3600), jitterUnit: 0)
        #expect(plan.delay == 60)
        #expect(!plan.expiryInPast)
    }
}

@Suite struct RefreshDueTests {
    let last = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func newerTokenRequiredOnlyOnceTheIntervalIsDue() {
        let policy = RefreshPolicy()
        let due = policy.notBefore(lastRefresh: last, refreshInterval: 6 * 3600, now: last.addingTimeInterval(6 * 3600 - 200))
        #expect(due == last.addingTimeInterval(1))
        let early = policy.notBefore(lastRefresh: last, refreshInterval: 6 * 3600, now: last.addingTimeInterval(3600))
        #expect(early == nil)
        #expect(policy.notBefore(lastRefresh: nil, refreshInterval: 3600, now: last) == nil)
    }
}
