import AsyncTestSupport
import Testing

@testable import Operator

@Suite struct WorkQueueTests {
    @Test func workersGetKeysAndWaitForNew() async {
        let queue = WorkQueue<String>(name: "test")
        let worker = Task { await queue.next() }
        try? await Task.sleep(for: .milliseconds(20))
        await queue.add("a")
        #expect(await worker.value == "a")
        await queue.done("a")
    }

    @Test func addAfterDeliversAfterTheDelay() async {
        let queue = WorkQueue<String>(name: "test")
        let start = ContinuousClock.now
        // Of two schedules the earlier wins: delivered after 50 ms, long before the 5 s one (the margin is for
        // a loaded machine).
        await queue.addAfter("a", delay: .seconds(5))
        await queue.addAfter("a", delay: .milliseconds(50))
        #expect(await queue.depth == 0)
        let key = await queue.next()
        let elapsed = ContinuousClock.now - start
        #expect(key == "a")
        #expect(elapsed >= .milliseconds(50))
        #expect(elapsed < .seconds(4))
    }

    @Test func boundedConcurrencyNeverRunsAKeyTwice() async {
        let queue = WorkQueue<Int>(name: "test")
        let running = Locked<[Int: Int]>([:])
        let maxParallelPerKey = Locked(0)
        let processed = Locked(0)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    while let key = await queue.next() {
                        let count = running.withLock { running in
                            running[key, default: 0] += 1
                            return running[key]!
                        }
                        maxParallelPerKey.withLock { $0 = max($0, count) }
                        try? await Task.sleep(for: .milliseconds(2))
                        running.withLock { $0[key, default: 0] -= 1 }
                        processed.withLock { $0 += 1 }
                        await queue.done(key)
                    }
                }
            }
            for round in 0..<20 {
                for key in 0..<5 { await queue.add(key) }
                if round % 5 == 0 { try? await Task.sleep(for: .milliseconds(3)) }
            }
            await expectEventually {
                let depth = await queue.depth
                let processing = await queue.processingCount
                return depth == 0 && processing == 0
            }
            await queue.shutDownAndDrain()
        }
        #expect(maxParallelPerKey.withLock { $0 } == 1)
        #expect(processed.withLock { $0 } >= 5)
    }

    @Test func shutdownWaitsForInFlightWork() async {
        let queue = WorkQueue<String>(name: "test")
        await queue.add("a")
        let key = await queue.next()
        #expect(key == "a")
        let finished = Locked(false)
        let shutdown = Task {
            await queue.shutDownAndDrain()
            return finished.withLock { $0 }
        }
        try? await Task.sleep(for: .milliseconds(30))
        finished.withLock { $0 = true }
        await queue.done("a")
        #expect(await shutdown.value == true)
        #expect(await queue.next() == nil)
    }

    @Test func rateLimitedRequeueBacksOff() async {
        let queue = WorkQueue<String>(name: "test", backoff: .init(base: .milliseconds(20), cap: .seconds(1)))
        #expect(await queue.addRateLimited("a") == .milliseconds(20))
        #expect(await queue.addRateLimited("a") == .milliseconds(40))
        #expect(await queue.failureCount("a") == 2)
        #expect(await queue.next() == "a")
        await queue.forget("a")
        #expect(await queue.failureCount("a") == 0)
    }
}
