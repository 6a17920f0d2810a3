import KubeClient
import Logging
import Metrics

/// Runs a reconcile function over a work queue with bounded concurrency (controller-runtime
/// `controller.go`): success forgets the key's backoff and honours `requeueAfter`; an error backs
/// the key off exponentially (or as long as a server asked, when longer).
///
/// Guarantees: a key is never reconciled twice at once; on shutdown no new reconcile starts and
/// `run` returns once the reconciles in flight have finished.
public struct Controller<Key: Hashable & Sendable & CustomStringConvertible>: Sendable {
    public let name: String
    public let queue: WorkQueue<Key>
    public let concurrency: Int
    public let reconcile: @Sendable (Key) async throws -> ReconcileResult
    public let logger: Logger

    public init(
        name: String, queue: WorkQueue<Key>, concurrency: Int, logger: Logger,
        reconcile: @escaping @Sendable (Key) async throws -> ReconcileResult
    ) {
        self.name = name
        self.queue = queue
        self.concurrency = max(1, concurrency)
        self.reconcile = reconcile
        var logger = logger
        logger[metadataKey: "controller"] = "\(name)"
        self.logger = logger
    }

    /// Runs `concurrency` workers until the queue shuts down.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask { await self.worker() }
            }
        }
    }

    private func worker() async {
        let durations = Metrics.Timer(
            label: "ecr_pullsecret_reconcile_duration_seconds", dimensions: [("controller", name)],
            preferredDisplayUnit: .seconds)
        while let key = await queue.next() {
            let start = ContinuousClock.now
            var log = logger
            log[metadataKey: "reconcile.key"] = "\(key)"
            do {
                let result = try await reconcile(key)
                await queue.forget(key)
                if case .requeueAfter(let delay) = result { await queue.addAfter(key, delay: delay) }
                Counter(label: "ecr_pullsecret_reconcile_total", dimensions: [("controller", name), ("result", "success")])
                    .increment()
            } catch {
                let delay = await queue.addRateLimited(key, atLeast: (error as? any RetryHinting)?.retryAfter)
                Counter(label: "ecr_pullsecret_reconcile_total", dimensions: [("controller", name), ("result", "error")])
                    .increment()
                log.warning("reconcile failed; backing off", metadata: ["error": "\(error)", "retry.in": "\(delay)"])
            }
            let elapsed = ContinuousClock.now - start
            durations.recordNanoseconds(elapsed.nanoseconds)
            await queue.done(key, workDuration: elapsed)
        }
    }
}
