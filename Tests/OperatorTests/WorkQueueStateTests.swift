import Testing

@testable import Operator

@Suite struct WorkQueueStateTests {
    @Test func deduplicatesQueuedKeys() {
        var state = WorkQueueState<String>()
        let added = state.add("a", now: .zero)
        #expect(added)
        let again = state.add("a", now: .zero)
        #expect(!again)
        state.add("b", now: .zero)
        #expect(state.depth == 2)
        let first = state.next(now: .zero)
        let second = state.next(now: .zero)
        let third = state.next(now: .zero)
        #expect(first?.key == "a")
        #expect(second?.key == "b")
        #expect(third == nil)
    }

    @Test func keyAddedWhileProcessingRunsAgainOnlyAfterDone() {
        var state = WorkQueueState<String>()
        state.add("a", now: .zero)
        let first = state.next(now: .zero)
        #expect(first?.key == "a")
        state.add("a", now: .seconds(1))
        let whileProcessing = state.next(now: .seconds(1))
        #expect(whileProcessing == nil)
        state.done("a")
        let second = state.next(now: .seconds(3))
        #expect(second?.key == "a")
        #expect(second?.waited == .seconds(2))
        state.done("a")
        let none = state.next(now: .seconds(3))
        #expect(none == nil)
    }

    @Test func addAfterKeepsTheEarliestSchedule() {
        var state = WorkQueueState<String>()
        state.addAfter("a", delay: .seconds(10), now: .zero)
        state.addAfter("a", delay: .seconds(3), now: .zero)
        state.addAfter("a", delay: .seconds(20), now: .zero)
        #expect(state.nextWakeUp == .seconds(3))
        state.promoteDue(now: .seconds(2))
        #expect(state.depth == 0)
        state.promoteDue(now: .seconds(3))
        #expect(state.depth == 1)
        #expect(state.scheduledCount == 0)
    }

    @Test func immediateAddClearsSchedule() {
        var state = WorkQueueState<String>()
        state.addAfter("a", delay: .seconds(10), now: .zero)
        state.add("a", now: .zero)
        #expect(state.scheduledCount == 0)
        #expect(state.depth == 1)
    }

    @Test func backoffGrowsPerKeyCapsAndForgets() {
        var state = WorkQueueState<String>(backoff: .init(base: .milliseconds(5), cap: .seconds(1)))
        var delays: [Duration] = []
        for _ in 0..<3 { delays.append(state.addRateLimited("a", now: .zero)) }
        #expect(delays == [.milliseconds(5), .milliseconds(10), .milliseconds(20)])
        let other = state.addRateLimited("b", now: .zero)
        #expect(other == .milliseconds(5))
        for _ in 0..<20 { state.addRateLimited("a", now: .zero) }
        let capped = state.addRateLimited("a", now: .zero)
        #expect(capped == .seconds(1))
        state.forget("a")
        #expect(state.failureCount("a") == 0)
        let reset = state.addRateLimited("a", now: .zero)
        #expect(reset == .milliseconds(5))
    }

    @Test func defaultBackoffMatchesDocumentedCurve() {
        let backoff = WorkQueueState<String>.Backoff()
        #expect(backoff.delay(failures: 1) == .milliseconds(5))
        #expect(backoff.delay(failures: 11) == .milliseconds(5120))
        #expect(backoff.delay(failures: 40) == .seconds(300))
        #expect(backoff.delay(failures: 10_000) == .seconds(300))
    }

    @Test func shutdownDropsQueuedAndDrainsProcessing() {
        var state = WorkQueueState<String>()
        state.add("a", now: .zero)
        state.add("b", now: .zero)
        state.addAfter("c", delay: .seconds(1), now: .zero)
        _ = state.next(now: .zero)
        state.add("a", now: .zero)
        state.shutDown()
        #expect(state.depth == 0)
        #expect(state.scheduledCount == 0)
        #expect(!state.isDrained)
        let accepted = state.add("d", now: .zero)
        #expect(!accepted)
        state.done("a")
        #expect(state.isDrained)
        let none = state.next(now: .zero)
        #expect(none == nil)
    }
}
