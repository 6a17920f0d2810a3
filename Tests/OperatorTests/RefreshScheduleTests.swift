import CRDModels
import Foundation
import Testing

@testable import Operator

@Suite struct RefreshScheduleTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let schedule = RefreshSchedule()

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
        let schedule = RefreshSchedule()
        let due = ImagePullSecretSync<AWSECRImagePullSecret>.refreshDue(
            lastRefresh: last, interval: 6 * 3600, schedule: schedule, now: last.addingTimeInterval(6 * 3600 - 200))
        #expect(due == last.addingTimeInterval(1))
        let early = ImagePullSecretSync<AWSECRImagePullSecret>.refreshDue(
            lastRefresh: last, interval: 6 * 3600, schedule: schedule, now: last.addingTimeInterval(3600))
        #expect(early == nil)
        #expect(
            ImagePullSecretSync<AWSECRImagePullSecret>.refreshDue(
                lastRefresh: nil, interval: 3600, schedule: schedule, now: last) == nil)
    }
}
