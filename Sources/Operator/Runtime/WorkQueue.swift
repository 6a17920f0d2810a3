import Metrics

/// A rate-limited, delaying work queue of reconcile keys (client-go `workqueue` semantics, see
/// `WorkQueueState`). Workers call `next()` and then `done(_:)`; the controller, never the
/// reconciler, decides between `forget` + `addAfter` and `addRateLimited`.
///
/// One timer task sleeps until the earliest scheduled key; it is replaced when an earlier schedule
/// arrives, so nothing polls.
public actor WorkQueue<Key: Hashable & Sendable> {
    private var state: WorkQueueState<Key>
    private let clock: any OperatorClock
    private var waiters: [CheckedContinuation<Key?, Never>] = []
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []
    private var timer: Task<Void, Never>?
    private var timerDeadline: Duration?

    private let depthGauge: Gauge
    private let addsCounter: Counter
    private let retriesCounter: Counter
    private let queueLatency: Metrics.Timer
    private let workDuration: Metrics.Timer

    public init(name: String, backoff: WorkQueueState<Key>.Backoff = .init(), clock: any OperatorClock = SystemClock()) {
        self.state = WorkQueueState(backoff: backoff)
        self.clock = clock
        let dimensions = [("name", name)]
        depthGauge = Gauge(label: "workqueue_depth", dimensions: dimensions)
        addsCounter = Counter(label: "workqueue_adds_total", dimensions: dimensions)
        retriesCounter = Counter(label: "workqueue_retries_total", dimensions: dimensions)
        queueLatency = Metrics.Timer(
            label: "workqueue_queue_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
        workDuration = Metrics.Timer(
            label: "workqueue_work_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
    }

    // MARK: Adding

    public func add(_ key: Key) {
        if state.add(key, now: clock.monotonicNow()) { addsCounter.increment() }
        dispatch()
    }

    /// Adds `key` after `delay`; of several schedules for one key the earliest wins.
    public func addAfter(_ key: Key, delay: Duration) {
        state.addAfter(key, delay: delay, now: clock.monotonicNow())
        dispatch()
    }

    /// Adds `key` after its next backoff step; returns that delay.
    @discardableResult
    public func addRateLimited(_ key: Key, atLeast minimum: Duration? = nil) -> Duration {
        retriesCounter.increment()
        let delay = state.addRateLimited(key, now: clock.monotonicNow(), atLeast: minimum)
        dispatch()
        return delay
    }

    public func forget(_ key: Key) { state.forget(key) }

    // MARK: Working

    /// The next key to process, waiting for one; nil once the queue shuts down.
    public func next() async -> Key? {
        if let key = take() { return key }
        if state.isShuttingDown { return nil }
        return await withCheckedContinuation { continuation in
            waiters.append(continuation)
        }
    }

    /// Marks `key` finished, recording how long it took.
    public func done(_ key: Key, workDuration duration: Duration? = nil) {
        if let duration { workDuration.recordNanoseconds(duration.nanoseconds) }
        state.done(key)
        if state.isDrained {
            for waiter in drainWaiters { waiter.resume() }
            drainWaiters.removeAll()
        }
        dispatch()
    }

    // MARK: Shutdown

    /// Stops handing out keys without waiting (leadership lost: the caller cancels work in flight).
    public func shutDown() {
        state.shutDown()
        timer?.cancel()
        timer = nil
        for waiter in waiters { waiter.resume(returning: nil) }
        waiters.removeAll()
        updateDepth()
    }

    /// Stops handing out keys (workers' `next()` returns nil) and waits for keys in flight.
    public func shutDownAndDrain() async {
        shutDown()
        if state.isDrained { return }
        await withCheckedContinuation { drainWaiters.append($0) }
    }

    // MARK: Introspection (tests, metrics)

    public var depth: Int { state.depth }
    public var processingCount: Int { state.processingCount }
    public var scheduledCount: Int { state.scheduledCount }
    public func failureCount(_ key: Key) -> Int { state.failureCount(key) }
    public var isShuttingDown: Bool { state.isShuttingDown }

    // MARK: Internals

    private func take() -> Key? {
        state.promoteDue(now: clock.monotonicNow())
        guard let (key, waited) = state.next(now: clock.monotonicNow()) else { return nil }
        queueLatency.recordNanoseconds(waited.nanoseconds)
        updateDepth()
        return key
    }

    /// Hands ready keys to waiting workers and re-arms the timer for the earliest schedule.
    private func dispatch() {
        state.promoteDue(now: clock.monotonicNow())
        while !waiters.isEmpty, let key = take() {
            waiters.removeFirst().resume(returning: key)
        }
        updateDepth()
        armTimer()
    }

    private func armTimer() {
        guard let wakeUp = state.nextWakeUp else {
            timer?.cancel()
            timer = nil
            timerDeadline = nil
            return
        }
        if let deadline = timerDeadline, deadline <= wakeUp, timer != nil { return }
        timer?.cancel()
        timerDeadline = wakeUp
        let delay = wakeUp - clock.monotonicNow()
        let clock = self.clock
        timer = Task { [weak self] in
            if delay > .zero {
                do { try await clock.sleep(for: delay) } catch { return }
            }
            await self?.timerFired()
        }
    }

    private func timerFired() {
        timer = nil
        timerDeadline = nil
        dispatch()
    }

    private func updateDepth() { depthGauge.record(state.depth) }
}
