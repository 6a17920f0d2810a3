import Testing

@testable import HTTPServer

#if canImport(Glibc)
    import Glibc
#endif

/// The operator's own thread (`EventLoopTaskExecutor.onOwnThread()`): what runs under its preference runs there.
@Suite struct EventLoopTaskExecutorTests {
    actor Counter {
        var value = 0
        func add() -> pthread_t {
            value += 1
            return pthread_self()
        }
    }

    @Test func aTaskTreeThatPrefersItRunsOnItsOneThread() async throws {
        let executor = EventLoopTaskExecutor.onOwnThread()
        let threads = await withTaskExecutorPreference(executor) {
            var threads: Set<UInt> = [UInt(pthread_self())]
            // After a suspension on the global pool's timer, child tasks of a group, and a default actor's methods.
            try? await Task.sleep(for: .milliseconds(5))
            threads.insert(UInt(pthread_self()))
            let counter = Counter()
            await withTaskGroup(of: UInt.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        await Task.yield()
                        return UInt(await counter.add())
                    }
                }
                for await thread in group { threads.insert(thread) }
            }
            return threads
        }
        let loopThread = try await executor.eventLoop.submit { UInt(pthread_self()) }.get()
        #expect(threads == [loopThread])
    }
}
