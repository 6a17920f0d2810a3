import CRDModels
import FoundationEssentials
import Logging
import Synchronization

/// A list-then-watch reflector (client-go `Reflector` + `Informer`, kube-rs `watcher`): keeps a
/// store of one collection current and reports every change.
///
/// The loop: list every page (a consistent read) and replace the store, reporting the difference;
/// then watch from the list's resourceVersion with bookmarks and a random server timeout in
/// [`minWatchTimeout`, `maxWatchTimeout`] (client-go: 5–10 min). A clean close re-watches from the
/// last version seen (bookmarks advance it). 410 Gone, as HTTP status or ERROR event, drops the
/// version and relists. Other errors back off exponentially (800 ms doubling to 30 s, longer when
/// the server sends Retry-After) and re-watch from the last version.
///
/// Guarantees: the store is only written by `run()`; `changes` reports each store change once, in
/// order, and waits (backpressure) while its buffer of `changeBuffer` entries is full. `hasSynced`
/// turns true after the first complete list and stays true.
/// Assumptions: a single `run()` per informer; a single consumer of `changes`.
public final class Informer<R: KubeResource>: Sendable {
    public typealias Lister = @Sendable (ListOptions) async throws -> ObjectList<R>
    public typealias Watcher = @Sendable (WatchOptions) -> AsyncThrowingStream<WatchEvent<R>, any Error>

    public struct Configuration: Sendable {
        public var labelSelector: String?
        public var fieldSelector: String?
        public var pageSize: Int
        public var minWatchTimeout: Duration
        public var maxWatchTimeout: Duration
        public var backoff: Backoff
        /// Changes buffered for the consumer before the informer waits.
        public var changeBuffer: Int
        /// Whether to publish `changes`. Turn it off for an informer used only as a cache: with it on
        /// and nobody reading, the informer stops after `changeBuffer` changes (backpressure).
        public var emitChanges: Bool
        /// Whether the first list's objects are published as `added` changes. Off for a watch whose
        /// consumer learnt of the objects another way (it wakes only on later changes); relists after an
        /// interruption still report what changed meanwhile.
        public var emitsInitialList: Bool
        /// Applied to every object before it is cached (client-go `SetTransform`): keep only the fields
        /// decisions need, so the cache holds no more than that.
        public var transform: (@Sendable (R) -> R)?
        /// The store's secondary index (`ObjectStore.items(indexedUnder:)`).
        public var index: ObjectStore<R>.IndexFunction?

        public init(
            labelSelector: String? = nil, fieldSelector: String? = nil, pageSize: Int = 500,
            minWatchTimeout: Duration = .seconds(300), maxWatchTimeout: Duration = .seconds(600),
            backoff: Backoff = Backoff(), changeBuffer: Int = 1024, emitChanges: Bool = true,
            emitsInitialList: Bool = true, transform: (@Sendable (R) -> R)? = nil,
            index: ObjectStore<R>.IndexFunction? = nil
        ) {
            self.emitChanges = emitChanges
            self.emitsInitialList = emitsInitialList
            self.transform = transform
            self.index = index
            self.labelSelector = labelSelector
            self.fieldSelector = fieldSelector
            self.pageSize = pageSize
            self.minWatchTimeout = minWatchTimeout
            self.maxWatchTimeout = maxWatchTimeout
            self.backoff = backoff
            self.changeBuffer = changeBuffer
        }
    }

    /// Counters for logs and tests.
    public struct Statistics: Sendable, Hashable {
        public var lists = 0
        public var watches = 0
        public var relistsAfterGone = 0
        public var errors = 0
        public var bookmarks = 0
        public var lastResourceVersion: String?
    }

    public let store: ObjectStore<R>
    /// Every store change, in order. Single consumer.
    public let changes: BoundedChannel<ResourceChange<R>>
    public let configuration: Configuration
    /// Descriptive name for logs, e.g. `secrets`.
    public let name: String

    private let lister: Lister
    private let watcher: Watcher
    private let logger: Logger
    private let synced = Mutex<(done: Bool, waiters: [(id: UUID, continuation: CheckedContinuation<Void, Never>)])>(
        (false, []))
    private let stats = Mutex(Statistics())
    private let started = Atomic<Bool>(false)

    public convenience init(
        name: String, configuration: Configuration = Configuration(), logger: Logger = Logger(label: "informer"),
        lister: @escaping Lister, watcher: @escaping Watcher
    ) {
        self.init(
            name: name, configuration: configuration, logger: logger,
            store: ObjectStore(index: configuration.index), lister: lister, watcher: watcher)
    }

    /// An informer that fills `store` (made for it, with `configuration.index`: its watcher may read it).
    init(
        name: String, configuration: Configuration, logger: Logger, store: ObjectStore<R>,
        lister: @escaping Lister, watcher: @escaping Watcher
    ) {
        self.name = name
        self.configuration = configuration
        self.store = store
        self.changes = BoundedChannel(capacity: configuration.changeBuffer)
        self.lister = lister
        self.watcher = watcher
        var logger = logger
        logger[metadataKey: "informer"] = "\(name)"
        self.logger = logger
    }

    /// An informer over a typed collection (`namespace` nil: all namespaces).
    public convenience init(
        client: KubeClient, namespace: String? = nil, configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "informer")
    ) {
        self.init(
            name: R.resource.plural, configuration: configuration, logger: logger,
            lister: { options in try await client.list(R.self, namespace: namespace, options: options) },
            watcher: { options in client.watch(R.self, namespace: namespace, options: options) })
    }

    public var hasSynced: Bool { synced.withLock { $0.done } }

    public var statistics: Statistics { stats.withLock { $0 } }

    /// Waits until the first list has been stored, at most `timeout`. Returns `hasSynced`.
    public func waitUntilSynced(timeout: Duration) async -> Bool {
        if hasSynced { return true }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForSync() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        return hasSynced
    }

    /// Suspends until synced, the informer stops, or the task is cancelled.
    private func waitForSync() async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = synced.withLock { state -> Bool in
                    if state.done || stopped.load(ordering: .relaxed) || Task.isCancelled { return true }
                    state.waiters.append((id, continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = synced.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume()
        }
    }

    /// Runs until the calling task is cancelled, then finishes `changes`.
    public func run() async {
        precondition(!started.exchange(true, ordering: .relaxed), "Informer.run() may be called once")
        defer {
            changes.finish()
            stopped.store(true, ordering: .relaxed)
            releaseWaitersIfStopped()
        }
        var failures = 0
        while !Task.isCancelled {
            do {
                let version: String
                if let current = currentVersion.withLock({ $0 }) {
                    version = current
                } else {
                    version = try await relist()
                    currentVersion.withLock { $0 = version }
                }
                let progressed = try await watchOnce(from: version)
                failures = progressed ? 0 : failures + 1
                if failures > 0 { try await Task.sleep(for: configuration.backoff.delay(attempt: failures)) }
            } catch where error is CancellationError || Task.isCancelled {
                return  // stopping; the transport reports a cancelled request as its own error
            } catch let error as KubeAPIError where error.isGone {
                stats.withLock { $0.relistsAfterGone += 1 }
                logger.info("resource version expired; relisting", metadata: ["k8s.error": "\(error.message)"])
                currentVersion.withLock { $0 = nil }
                failures += 1
                // The first 410 relists at once; repeated ones back off.
                if failures > 1 { try? await Task.sleep(for: configuration.backoff.delay(attempt: failures - 1)) }
            } catch {
                failures += 1
                stats.withLock { $0.errors += 1 }
                var delay = configuration.backoff.delay(attempt: failures)
                if let retryAfter = (error as? KubeAPIError)?.retryAfter, retryAfter > delay { delay = retryAfter }
                logger.warning(
                    "list/watch failed; retrying", metadata: ["k8s.error": "\(error)", "retry.delay": "\(delay)"])
                try? await Task.sleep(for: delay)
            }
        }
    }

    private let stopped = Atomic<Bool>(false)
    /// The version to watch from; nil means "relist first".
    private let currentVersion = Mutex<String?>(nil)

    private func releaseWaitersIfStopped() {
        let waiters = synced.withLock { state in
            let waiters = state.waiters
            state.waiters = []
            return waiters
        }
        for waiter in waiters { waiter.continuation.resume() }
    }

    /// Lists every page, replaces the store and reports the difference. Returns the list's version.
    private func relist() async throws -> String {
        var options = ListOptions(
            labelSelector: configuration.labelSelector, fieldSelector: configuration.fieldSelector,
            limit: configuration.pageSize)
        var items: [R] = []
        var version: String?
        while true {
            try Task.checkCancellation()
            let page = try await lister(options)
            if let transform = configuration.transform {
                items.append(contentsOf: page.items.map(transform))
            } else {
                items.append(contentsOf: page.items)
            }
            if version == nil { version = page.metadata.resourceVersion }
            guard let token = page.metadata.continue, !token.isEmpty else { break }
            options.continueToken = token
        }
        let initial = !hasSynced
        let changes = store.replace(with: items)
        let resourceVersion = version ?? ""
        stats.withLock {
            $0.lists += 1
            $0.lastResourceVersion = resourceVersion
        }
        markSynced()
        if configuration.emitChanges, !initial || configuration.emitsInitialList {
            for change in changes { await self.changes.send(change) }
        }
        logger.debug("listed", metadata: ["k8s.count": "\(items.count)", "k8s.resourceVersion": "\(resourceVersion)"])
        return resourceVersion
    }

    private func markSynced() {
        let waiters = synced.withLock { state in
            state.done = true
            let waiters = state.waiters
            state.waiters = []
            return waiters
        }
        for waiter in waiters { waiter.continuation.resume() }
    }

    /// One watch from `version`. Returns whether it made progress (delivered something or ran long
    /// enough), which resets the backoff; throws on errors. A watch that outlives its own server
    /// timeout by 30 s is abandoned, so a silent connection cannot hang the informer.
    private func watchOnce(from version: String) async throws -> Bool {
        let minimum = Int(configuration.minWatchTimeout.components.seconds)
        let maximum = max(minimum, Int(configuration.maxWatchTimeout.components.seconds))
        let timeoutSeconds = Int.random(in: minimum...maximum)
        let options = WatchOptions(
            labelSelector: configuration.labelSelector, fieldSelector: configuration.fieldSelector,
            resourceVersion: version, allowWatchBookmarks: true, timeoutSeconds: timeoutSeconds)
        stats.withLock { $0.watches += 1 }
        let start = ContinuousClock.now
        let deadline = start + .seconds(timeoutSeconds + 30)
        let stream = watcher(options)
        let delivered = try await withThrowingTaskGroup(of: Bool.self) { group in
            // The consumer is the only writer of the store while it runs; the sleeper bounds it.
            group.addTask { try await self.consume(stream) }
            group.addTask {
                try await Task.sleep(until: deadline)
                throw KubeAPIError(code: .timeout, message: "watch outlived its timeout of \(timeoutSeconds) s")
            }
            defer { group.cancelAll() }
            return try await group.next() ?? false
        }
        return delivered || ContinuousClock.now - start > .seconds(10)
    }

    /// Applies watch events to the store until the stream ends. Returns whether any arrived.
    private func consume(_ stream: AsyncThrowingStream<WatchEvent<R>, any Error>) async throws -> Bool {
        var delivered = false
        for try await event in stream {
            delivered = true
            if let version = event.resourceVersion, !version.isEmpty {
                currentVersion.withLock { $0 = version }
                stats.withLock { $0.lastResourceVersion = version }
            }
            if case .bookmark = event {
                stats.withLock { $0.bookmarks += 1 }
                continue
            }
            let event = configuration.transform.map { event.map($0) } ?? event
            if let change = store.apply(event), configuration.emitChanges { await changes.send(change) }
        }
        try Task.checkCancellation()
        return delivered
    }
}

extension Informer where R == PartialObjectMetadata {
    /// A metadata-only informer: caches only the metadata of `resource` objects selected by
    /// `labelSelector` (the operator's managed Secrets), never their data. Its watch events share the labels,
    /// annotations and owner references the store already holds for their object when they are equal
    /// (`KubeClient.KnownMetadata`): the event of an update that kept them builds none.
    public static func metadata(
        client: KubeClient, resource: ResourceDescriptor, namespace: String? = nil,
        configuration: Configuration = Configuration(), logger: Logger = Logger(label: "informer")
    ) -> Informer<PartialObjectMetadata> {
        let store = ObjectStore<PartialObjectMetadata>(index: configuration.index)
        let known: KubeClient.KnownMetadata = { namespace, name in
            store.get(namespace: namespace, name: name ?? "")?.metadata
        }
        return Informer(
            name: "\(resource.plural)(metadata)", configuration: configuration, logger: logger, store: store,
            lister: { options in try await client.listMetadata(resource, namespace: namespace, options: options) },
            watcher: { options in
                client.watchMetadata(resource, namespace: namespace, options: options, known: known)
            })
    }
}
