/// The work queue's bookkeeping as a value type: which keys wait, which run, which are scheduled,
/// and how often each has failed. Times are `Duration`s on the owner's monotonic clock, passed in,
/// so every rule here is tested without sleeping.
///
/// Semantics follow client-go `util/workqueue` as controller-runtime uses it:
/// - a key is queued at most once (`dirty`), however often it is added;
/// - a key is never handed out while it is processing; added meanwhile, it is handed out again after
///   `done`;
/// - `addAfter` schedules a key; of several schedules for one key the earliest wins;
/// - failures back off per key exponentially up to a cap; `forget` resets the count on success.
public struct WorkQueueState<Key: Hashable & Sendable>: Sendable {
    /// Keys ready to hand out, in FIFO order.
    private(set) var queue: [Key] = []
    private var queueHead = 0
    /// Keys queued or to be queued once their processing ends, with the time they were added.
    private(set) var dirty: [Key: Duration] = [:]
    private(set) var processing: Set<Key> = []
    /// Scheduled keys and when they become ready.
    private(set) var waiting: [Key: Duration] = [:]
    private(set) var failures: [Key: Int] = [:]
    private(set) var isShuttingDown = false
    public let backoff: Backoff

    public init(backoff: Backoff = Backoff()) {
        self.backoff = backoff
    }

    /// Per-key exponential backoff: `base × 2^(failures-1)`, capped.
    ///
    /// controller-runtime uses 5 ms → 1000 s. The cap here defaults to 300 s: a token lives 12 h,
    /// so after an AWS or API outage a resource should retry within minutes, not a quarter hour.
    public struct Backoff: Sendable, Hashable {
        public var base: Duration
        public var cap: Duration

        public init(base: Duration = .milliseconds(5), cap: Duration = .seconds(300)) {
            self.base = base
            self.cap = cap
        }

        /// Delay after the `failures`-th consecutive failure (1-based).
        public func delay(failures: Int) -> Duration {
            guard failures > 0 else { return .zero }
            let exponent = min(failures - 1, 62)
            let baseSeconds = Double(base.components.seconds) + Double(base.components.attoseconds) * 1e-18
            let capSeconds = Double(cap.components.seconds) + Double(cap.components.attoseconds) * 1e-18
            let seconds = min(baseSeconds * pow2(exponent), capSeconds)
            return .nanoseconds(Int64((seconds * 1e9).rounded()))
        }

        private func pow2(_ exponent: Int) -> Double {
            var result = 1.0
            for _ in 0..<exponent { result *= 2; if result > 1e18 { break } }
            return result
        }
    }

    /// Number of keys ready to be handed out.
    public var depth: Int { queue.count - queueHead }
    public var processingCount: Int { processing.count }
    public var scheduledCount: Int { waiting.count }
    public func failureCount(_ key: Key) -> Int { failures[key] ?? 0 }
    public func isScheduled(_ key: Key) -> Bool { waiting[key] != nil }

    /// Queues `key` now. Returns false when it was already queued or the queue shuts down.
    @discardableResult
    public mutating func add(_ key: Key, now: Duration) -> Bool {
        guard !isShuttingDown else { return false }
        // A key that becomes ready now no longer needs its schedule.
        waiting[key] = nil
        guard dirty[key] == nil else { return false }
        dirty[key] = now
        if !processing.contains(key) { queue.append(key) }
        return true
    }

    /// Schedules `key` for `now + delay`; an earlier existing schedule is kept.
    public mutating func addAfter(_ key: Key, delay: Duration, now: Duration) {
        guard !isShuttingDown else { return }
        guard delay > .zero else {
            add(key, now: now)
            return
        }
        let readyAt = now + delay
        if let existing = waiting[key], existing <= readyAt { return }
        waiting[key] = readyAt
    }

    /// Schedules `key` after its next backoff step (or `minimum`, when longer) and returns that delay.
    @discardableResult
    public mutating func addRateLimited(_ key: Key, now: Duration, atLeast minimum: Duration? = nil) -> Duration {
        let count = (failures[key] ?? 0) + 1
        failures[key] = count
        let delay = max(backoff.delay(failures: count), minimum ?? .zero)
        addAfter(key, delay: delay, now: now)
        return delay
    }

    /// Ends the backoff of `key` (after a success).
    public mutating func forget(_ key: Key) {
        failures[key] = nil
    }

    /// Moves every scheduled key whose time has come into the queue.
    public mutating func promoteDue(now: Duration) {
        let due = waiting.filter { $0.value <= now }.sorted { $0.value < $1.value }
        for (key, _) in due {
            waiting[key] = nil
            add(key, now: now)
        }
    }

    /// The earliest scheduled time, for the owner's timer.
    public var nextWakeUp: Duration? { waiting.values.min() }

    /// Hands out the next ready key and marks it processing, with how long it waited.
    public mutating func next(now: Duration) -> (key: Key, waited: Duration)? {
        guard queueHead < queue.count else { return nil }
        let key = queue[queueHead]
        queueHead += 1
        if queueHead > 1024, queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        let addedAt = dirty.removeValue(forKey: key) ?? now
        processing.insert(key)
        return (key, now - addedAt)
    }

    /// Marks `key` finished; if it was added while processing it is queued again.
    public mutating func done(_ key: Key) {
        processing.remove(key)
        if isShuttingDown {
            dirty[key] = nil
        } else if dirty[key] != nil {
            queue.append(key)
        }
    }

    /// Stops accepting keys and drops scheduled ones. Keys already queued are dropped too: a
    /// reconcile that is cut off simply runs again in the next leader's process.
    public mutating func shutDown() {
        isShuttingDown = true
        waiting.removeAll()
        for key in queue[queueHead...] { dirty[key] = nil }
        queue.removeAll()
        queueHead = 0
    }

    /// True once shut down and nothing is processing any more.
    public var isDrained: Bool { isShuttingDown && processing.isEmpty }
}
