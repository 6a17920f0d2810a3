import CRDModels
import FoundationEssentials
import Logging
import Synchronization

/// Writes core/v1 Events about objects, aggregating repeats and rate-limiting per object
/// (client-go `tools/record`, simplified).
///
/// - `record` never waits: it puts the event on a queue of `queueCapacity` entries and returns;
///   when the queue is full the event is dropped and counted. `run()` drains the queue.
/// - Aggregation: a repeat of the same (object, type, reason, message) within `aggregationWindow`
///   (10 min) PATCHes the existing Event's `count` and `lastTimestamp` instead of creating one. The
///   cache of recent events is bounded (`cacheSize`, oldest evicted). If the Event is gone (404),
///   a new one is created.
/// - Rate limit: a token bucket per involved object, `burst` 25 and one token per `refillInterval`
///   (300 s) — client-go's spam filter numbers. A retry loop always ends in an event, never in a
///   flood of them.
/// - Writes that fail transiently are retried up to 3 times (0.5 s, 1 s); others are logged and
///   dropped. Events are best effort by design.
///
/// Not done: client-go's "(combined from similar events)" message merging of events that differ
/// only in message.
public final class EventRecorder: Sendable {
    public enum EventType: String, Sendable {
        case normal = "Normal"
        case warning = "Warning"
    }

    public struct Configuration: Sendable {
        /// `source.component` and `reportingComponent`, e.g. `ecr-pullsecret-operator`.
        public var component: String
        /// `source.host` and `reportingInstance`, e.g. the pod name.
        public var instance: String?
        public var aggregationWindow: Duration
        public var burst: Int
        public var refillInterval: Duration
        public var queueCapacity: Int
        public var cacheSize: Int
        /// Longer messages are cut (with `…`) so one event never carries a huge text.
        public var maxMessageBytes: Int

        public init(
            component: String, instance: String? = nil, aggregationWindow: Duration = .seconds(600), burst: Int = 25,
            refillInterval: Duration = .seconds(300), queueCapacity: Int = 1000, cacheSize: Int = 4096,
            maxMessageBytes: Int = 1024
        ) {
            self.component = component
            self.instance = instance
            self.aggregationWindow = aggregationWindow
            self.burst = burst
            self.refillInterval = refillInterval
            self.queueCapacity = queueCapacity
            self.cacheSize = cacheSize
            self.maxMessageBytes = maxMessageBytes
        }
    }

    /// Counters for metrics and tests.
    public struct Statistics: Sendable, Hashable {
        public var created = 0
        public var aggregated = 0
        public var rateLimited = 0
        public var queueFull = 0
        public var failed = 0

        /// Events fully handled one way or another.
        public var handled: Int { created + aggregated + rateLimited + failed }
    }

    struct Pending: Sendable {
        var involved: ObjectReference
        var type: EventType
        var reason: String
        var message: String
        var time: Date
    }

    public let configuration: Configuration
    private let client: KubeClient
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let queue: AsyncStream<Pending>
    private let queueInput: AsyncStream<Pending>.Continuation
    private let stats = Mutex(Statistics())

    public init(
        client: KubeClient, configuration: Configuration, logger: Logger = Logger(label: "events"),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        self.now = now
        (queue, queueInput) = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(configuration.queueCapacity))
    }

    public var statistics: Statistics { stats.withLock { $0 } }

    /// Records an event about `object`. Returns at once.
    public func record<R: KubeResource>(_ object: R, type: EventType, reason: String, message: String) {
        record(involving: ObjectReference(to: object), type: type, reason: reason, message: message)
    }

    /// Records an event about the referenced object. Returns at once.
    public func record(involving object: ObjectReference, type: EventType, reason: String, message: String) {
        let pending = Pending(involved: object, type: type, reason: reason, message: message, time: now())
        if case .dropped = queueInput.yield(pending) {
            stats.withLock { $0.queueFull += 1 }
        }
    }

    /// Stops accepting events; `run()` returns once the queue is drained.
    public func shutdown() { queueInput.finish() }

    /// Writes queued events until `shutdown()` or cancellation.
    public func run() async {
        var state = AggregationState()
        for await pending in queue {
            if Task.isCancelled { break }
            await handle(pending, state: &state)
        }
    }

    // MARK: - Decisions (pure)

    struct CacheEntry {
        var name: String
        var namespace: String
        var count: Int32
        var firstTimestamp: String
        var lastSeen: Date
    }

    struct Bucket {
        var tokens: Double
        var updated: Date
    }

    struct AggregationState {
        var cache: [String: CacheEntry] = [:]
        var buckets: [String: Bucket] = [:]
        var lastNanos: UInt64 = 0
    }

    static func objectKey(_ involved: ObjectReference) -> String {
        [involved.apiVersion, involved.kind, involved.namespace, involved.name, involved.uid]
            .map { $0 ?? "" }.joined(separator: "\u{1}")
    }

    static func aggregationKey(_ pending: Pending) -> String {
        [objectKey(pending.involved), pending.type.rawValue, pending.reason, pending.message]
            .joined(separator: "\u{2}")
    }

    /// Takes a token from the object's bucket, refilling it for the time passed.
    static func allow(
        _ key: String, at time: Date, buckets: inout [String: Bucket], burst: Int, refill: Duration
    ) -> Bool {
        let refillSeconds = max(Double(refill.components.seconds), 0.001)
        var bucket = buckets[key] ?? Bucket(tokens: Double(burst), updated: time)
        let elapsed = max(0, time.timeIntervalSince(bucket.updated))
        bucket.tokens = min(Double(burst), bucket.tokens + elapsed / refillSeconds)
        bucket.updated = time
        let allowed = bucket.tokens >= 1
        if allowed { bucket.tokens -= 1 }
        buckets[key] = bucket
        return allowed
    }

    /// `<involvedName>.<hex nanoseconds>`, strictly increasing within one recorder.
    static func eventName(involvedName: String, time: Date, lastNanos: inout UInt64) -> String {
        var nanos = UInt64(max(0, time.timeIntervalSince1970) * 1_000_000_000)
        if nanos <= lastNanos { nanos = lastNanos + 1 }
        lastNanos = nanos
        return "\(involvedName).\(String(nanos, radix: 16))"
    }

    // MARK: - I/O

    private func handle(_ pending: Pending, state: inout AggregationState) async {
        let objectKey = Self.objectKey(pending.involved)
        guard
            Self.allow(
                objectKey, at: pending.time, buckets: &state.buckets, burst: configuration.burst,
                refill: configuration.refillInterval)
        else {
            stats.withLock { $0.rateLimited += 1 }
            logger.debug("event rate-limited", metadata: ["event.reason": "\(pending.reason)"])
            return
        }
        let key = Self.aggregationKey(pending)
        let window = Double(configuration.aggregationWindow.components.seconds)
        if var entry = state.cache[key], pending.time.timeIntervalSince(entry.lastSeen) <= window {
            entry.count += 1
            entry.lastSeen = pending.time
            let patch = JSONValue.object([
                "count": .number(Double(entry.count)), "lastTimestamp": .string(Timestamp.format(pending.time)),
            ])
            do {
                let (name, namespace) = (entry.name, entry.namespace)
                _ = try await withRetries {
                    try await self.client.patch(Event.self, name: name, namespace: namespace, mergePatch: patch)
                }
                state.cache[key] = entry
                stats.withLock { $0.aggregated += 1 }
                return
            } catch let error as KubeAPIError where error.isNotFound {
                state.cache[key] = nil
            } catch {
                stats.withLock { $0.failed += 1 }
                logger.warning("cannot update event", metadata: ["k8s.error": "\(error)"])
                return
            }
        }
        await create(pending, key: key, state: &state)
    }

    private func create(_ pending: Pending, key: String, state: inout AggregationState) async {
        let namespace = pending.involved.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        let name = Self.eventName(
            involvedName: pending.involved.name ?? "object", time: pending.time, lastNanos: &state.lastNanos)
        let timestamp = Timestamp.format(pending.time)
        var event = Event(metadata: ObjectMeta(name: name, namespace: namespace), involvedObject: pending.involved)
        event.type = pending.type.rawValue
        event.reason = pending.reason
        event.message = truncate(pending.message)
        event.source = EventSource(component: configuration.component, host: configuration.instance)
        event.reportingComponent = configuration.component
        event.reportingInstance = configuration.instance
        event.firstTimestamp = timestamp
        event.lastTimestamp = timestamp
        event.count = 1
        do {
            let body = event
            let created = try await withRetries { try await self.client.create(body) }
            state.cache[key] = CacheEntry(
                name: created.metadata.name ?? name, namespace: namespace, count: created.count ?? 1,
                firstTimestamp: timestamp, lastSeen: pending.time)
            if state.cache.count > configuration.cacheSize, let oldest = state.cache.min(by: { $0.value.lastSeen < $1.value.lastSeen }) {
                state.cache[oldest.key] = nil
            }
            stats.withLock { $0.created += 1 }
        } catch {
            stats.withLock { $0.failed += 1 }
            logger.warning(
                "cannot create event",
                metadata: ["k8s.error": "\(error)", "event.reason": "\(pending.reason)", "k8s.namespace": "\(namespace)"])
        }
    }

    private func truncate(_ message: String) -> String {
        guard message.utf8.count > configuration.maxMessageBytes else { return message }
        var cut = Substring(message)
        while cut.utf8.count > configuration.maxMessageBytes - 3 { cut = cut.dropLast() }
        return cut + "…"
    }

    private func withRetries<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await body()
            } catch let error as KubeAPIError where error.isTransient && attempt < 3 {
                try await Task.sleep(for: error.retryAfter ?? .milliseconds(500 * attempt))
            }
        }
    }
}
