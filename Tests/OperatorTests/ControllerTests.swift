import AsyncTestSupport
import Foundation
import Logging
import Testing

@testable import Operator

struct HintedError: Error, RetryHinting {
    var retryAfter: Duration?
}

@Suite struct ControllerTests {
    @Test func successForgetsBackoffAndHonoursRequeueAfter() async {
        let queue = WorkQueue<String>(name: "test", backoff: .init(base: .milliseconds(5), cap: .seconds(1)))
        let runs = Locked<[String: Int]>([:])
        let controller = Controller(name: "test", queue: queue, concurrency: 2, logger: Logger(label: "t")) { key in
            let count = runs.withLock { runs in
                runs[key, default: 0] += 1
                return runs[key]!
            }
            if key == "flaky", count < 3 { throw HintedError(retryAfter: nil) }
            return count == 1 ? .requeueAfter(.milliseconds(30)) : .done
        }
        let running = Task { await controller.run() }
        await queue.add("steady")
        await queue.add("flaky")
        await expectEventually {
            runs.withLock { $0["steady"] == 2 && $0["flaky"] == 3 }
        }
        #expect(await queue.failureCount("flaky") == 0)
        await queue.shutDownAndDrain()
        await running.value
    }

    @Test func errorsWaitAtLeastTheHintedTime() async throws {
        let queue = WorkQueue<String>(name: "test", backoff: .init(base: .milliseconds(1), cap: .seconds(1)))
        let times = Locked<[ContinuousClock.Instant]>([])
        let controller = Controller(name: "test", queue: queue, concurrency: 1, logger: Logger(label: "t")) { _ in
            let count = times.withLock { times in
                times.append(.now)
                return times.count
            }
            if count == 1 { throw HintedError(retryAfter: .milliseconds(200)) }
            return .done
        }
        let running = Task { await controller.run() }
        await queue.add("throttled")
        try await requireEventually { times.withLock { $0.count == 2 } }
        let gap = times.withLock { $0[1] - $0[0] }
        #expect(gap >= .milliseconds(200))
        await queue.shutDownAndDrain()
        await running.value
    }
}
