import CRDModels
import FoundationEssentials
import KubeClient
import Logging
import ServiceLifecycle
import Synchronization

/// Configuration of the controller runtime.
public struct RuntimeConfiguration: Sendable {
    /// Reconciles running at once, per kind (`--concurrency`).
    public var concurrency: Int
    public var settings: OperatorSettings
    /// nil: no leader election (a single replica).
    public var leaderElection: LeaderElectionConfiguration?
    public var backoff: WorkQueueState<String>.Backoff

    public init(
        concurrency: Int = 4, settings: OperatorSettings = OperatorSettings(),
        leaderElection: LeaderElectionConfiguration? = nil, backoff: WorkQueueState<String>.Backoff = .init()
    ) {
        self.concurrency = concurrency
        self.settings = settings
        self.leaderElection = leaderElection
        self.backoff = backoff
    }
}

public struct LeaderElectionConfiguration: Sendable {
    public var namespace: String
    public var name: String
    public var identity: String
    public var timings: LeaderElectionTimings
    /// The client for Lease requests, with a request budget of its own so reconcile traffic cannot delay
    /// renewals; nil shares the runtime's client.
    public var client: KubeClient?

    public init(
        namespace: String, name: String, identity: String, timings: LeaderElectionTimings = .init(),
        client: KubeClient? = nil
    ) {
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.timings = timings
        self.client = client
    }
}

/// The operator's controller runtime as one `Service`, in one tree of tasks: the watches, the event
/// recorder and, while leading, one controller per kind, each wired as its reconciler declares
/// (`ReconcilerWiring`). Watches: both kinds (indexed by the credentials Secret they read), namespaces,
/// the managed Secrets (metadata only, by label, indexed by controller uid), and one field-selected
/// watch per referenced credentials Secret. No other Secret is listed, watched or cached.
///
/// Graceful shutdown: stop handing out keys, let reconciles in flight finish their writes, release
/// the Lease, stop the watches; before the controllers start (waiting for the Lease or for caches
/// that may never sync) a stop ends the wait at once. Losing the Lease cancels reconciling at once
/// and `run` throws `LeadershipLost` (the process exits and restarts, like controller-runtime).
public final class OperatorRuntime: Service, Sendable {
    public let dependencies: ReconcilerDependencies
    let events: EventRecorder?
    public let configuration: RuntimeConfiguration
    let namespaced: KindController<NamespacedReconciler>
    let cluster: KindController<ClusterReconciler>
    let namespaceInformer: Informer<CachedNamespace>
    let managedSecretInformer: Informer<PartialObjectMetadata>
    let credentialsSecrets: CredentialsSecretWatches
    /// The latest set of credentials Secrets referenced by some resource, for `credentialsSecrets`.
    private let referencedCredentials = AsyncStream<Set<String>>.makeStream(bufferingPolicy: .bufferingNewest(1))
    private let lastReferencedCredentials = Mutex<Set<String>?>(nil)
    let elector: LeaderElector?
    private let logger: Logger
    private let leading = Atomic<Bool>(false)

    public var namespacedQueue: WorkQueue<String> { namespaced.queue }
    public var clusterQueue: WorkQueue<String> { cluster.queue }

    public struct LeadershipLost: Error, CustomStringConvertible {
        public var description: String { "leader election lost; stopping" }
    }

    public init(
        client: KubeClient, tokens: any TokenSource, events: EventRecorder?, configuration: RuntimeConfiguration,
        clock: any OperatorClock = SystemClock(), logger: Logger
    ) {
        self.configuration = configuration
        self.logger = logger
        let watch = configuration.settings.watchNamespace
        namespaced = KindController(
            name: "awsecrimagepullsecret", client: client, namespace: watch, backoff: configuration.backoff,
            clock: clock, logger: logger)
        cluster = KindController(
            name: "clusterawsecrimagepullsecret", client: client, namespace: nil, backoff: configuration.backoff,
            clock: clock, logger: logger)
        namespaceInformer = Informer(client: client, logger: logger)
        managedSecretInformer = Informer.metadata(
            client: client, resource: Secret.resource, namespace: watch,
            configuration: .init(
                labelSelector: "\(Labels.managedBy)=\(Labels.managedByValue)",
                transform: PartialObjectMetadata.managedSecretFields, index: PartialObjectMetadata.controllerUID),
            logger: logger)
        self.events = events
        let dependencies = ReconcilerDependencies(
            api: KubeClientObjectAPI(client: client), tokens: tokens, events: events,
            settings: configuration.settings, clock: clock, logger: logger,
            caches: .init(
                namespacedResources: namespaced.informer.store, clusterResources: cluster.informer.store,
                namespaces: namespaceInformer.store, managedSecrets: managedSecretInformer.store))
        self.dependencies = dependencies
        credentialsSecrets = CredentialsSecretWatches(client: client, logger: logger) {
            [namespaced, cluster] secret in
            await namespaced.credentialsSecretChanged(secret)
            await cluster.credentialsSecretChanged(secret)
        }
        elector = configuration.leaderElection.map {
            LeaderElector(
                name: $0.name, namespace: $0.namespace, identity: $0.identity, timings: $0.timings,
                store: KubeLeaseStore(client: $0.client ?? client, timeout: $0.timings.renewDeadline), clock: clock,
                logger: logger)
        }
    }

    /// Ready when every cache has listed once.
    public var isReady: Bool { informers.allSatisfy(\.hasSynced) }

    /// Whether the cluster kind and namespaces are watched: not with `--watch-namespace`, where the
    /// operator may only read its one namespace (the chart grants no cluster-wide access then).
    var clusterScope: Bool { configuration.settings.watchNamespace == nil }

    /// The caches reconciling needs, in the order the startup wait checks them.
    private var informers: [any SyncWaiting] {
        var informers: [any SyncWaiting] = [namespaced.informer]
        if clusterScope { informers += [cluster.informer, namespaceInformer] }
        if configuration.settings.watchSecrets { informers.append(managedSecretInformer) }
        return informers
    }

    /// Whether this replica currently reconciles.
    public var isLeading: Bool { leading.load(ordering: .relaxed) }

    public func run() async throws {
        let outcome: Result<Void, any Error> = await withTaskGroup(of: Void.self) { group in
            // The recorder outlives the watches: it ends after `shutdown()`, once it has flushed.
            group.addTask { await self.events?.run() }
            let outcome = await withTaskGroup(of: Void.self) { watching in
                watching.addTask { await self.runWatches() }
                defer { watching.cancelAll() }
                do {
                    return Result<Void, any Error>.success(try await self.leadAndWork())
                } catch {
                    return .failure(error)
                }
            }
            events?.shutdown()
            return outcome
        }
        if case .failure(let error) = outcome, !(error is CancellationError) { throw error }
    }

    private func leadAndWork() async throws {
        defer { leading.store(false, ordering: .relaxed) }
        do {
            // Until the controllers run, a graceful stop ends the wait at once: the Lease or a cache
            // may never come (a missing CRD, an RBAC gap).
            try await cancelWhenGracefulShutdown {
                if let elector = self.elector { try await elector.acquire() }
                self.leading.store(true, ordering: .relaxed)
                try await self.waitForCaches()
            }
        } catch {
            await releaseLease()
            throw error
        }
        if Task.isShuttingDownGracefully {
            await releaseLease()
            return
        }
        await namespaced.enqueueAll()
        await cluster.enqueueAll()
        try await runControllers()
        await releaseLease()
    }

    /// Runs both controllers until their queues shut down: drained on a graceful stop, at once when
    /// cancelled or when the Lease is lost.
    private func runControllers() async throws {
        let controllers = [
            namespaced.controller(dependencies: dependencies, concurrency: configuration.concurrency, logger: logger),
            cluster.controller(dependencies: dependencies, concurrency: configuration.concurrency, logger: logger),
        ]
        let queues = [namespaced.queue, cluster.queue]
        logger.info("controllers started")
        enum Finished { case controller, other }
        do {
            try await withThrowingTaskGroup(of: Finished.self) { group in
                for controller in controllers { group.addTask { await controller.run(); return .controller } }
                group.addTask {
                    do {
                        try await gracefulShutdown()
                        for queue in queues { await queue.shutDownAndDrain() }
                    } catch {
                        for queue in queues { await queue.shutDown() }
                    }
                    return .other
                }
                if let elector {
                    group.addTask {
                        try await elector.holdLeadership()
                        throw LeadershipLost()
                    }
                }
                var running = controllers.count
                while running > 0, let finished = try await group.next() {
                    if finished == .controller { running -= 1 }
                }
                group.cancelAll()
            }
        } catch is LeadershipLost {
            for queue in queues { await queue.shutDown() }
            throw LeadershipLost()
        }
        logger.info("controllers stopped")
    }

    /// Releases the Lease even from a cancelled task (a stop before the controllers started), so the
    /// next replica takes over at once instead of after the lease duration.
    private func releaseLease() async {
        guard let elector else { return }
        await Task { await elector.release() }.value
    }

    /// Waits until every cache has listed once, saying every 30 s which ones have not (a missing
    /// CRD or RBAC rule shows up here, and `/readyz` stays false meanwhile).
    private func waitForCaches() async throws {
        for informer in informers {
            while await !informer.waitUntilSynced(timeout: .seconds(30)) {
                try Task.checkCancellation()
                logger.warning("cache not synced yet; reconciling waits", metadata: ["informer": "\(informer.name)"])
            }
        }
    }

    /// Runs the watches and hands each change to the controllers it wakes, until cancelled.
    private func runWatches() async {
        let watchSecrets = configuration.settings.watchSecrets
        let updateReferences: @Sendable () -> Void = { if watchSecrets { self.updateCredentialsReferences() } }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.namespaced.informer.run() }
            group.addTask { await self.namespaced.mapPrimaryChanges(onChange: updateReferences) }
            if clusterScope {
                group.addTask { await self.cluster.informer.run() }
                group.addTask { await self.cluster.mapPrimaryChanges(onChange: updateReferences) }
                group.addTask { await self.namespaceInformer.run() }
                group.addTask {
                    for await change in self.namespaceInformer.changes where Self.namespaceChangeMatters(change) {
                        await self.cluster.namespaceChanged(change)
                    }
                }
            }
            guard watchSecrets else { return }
            group.addTask { await self.managedSecretInformer.run() }
            group.addTask {
                for await change in self.managedSecretInformer.changes {
                    guard await !self.isOwnWrite(change) else { continue }
                    await self.namespaced.managedSecretChanged(change.object.metadata)
                    await self.cluster.managedSecretChanged(change.object.metadata)
                }
            }
            group.addTask { await self.credentialsSecrets.run(wanted: self.referencedCredentials.stream) }
        }
    }

    /// After a resource change: hands the credentials Secrets to watch to `credentialsSecrets` when the
    /// set changed.
    private func updateCredentialsReferences() {
        let now = namespaced.credentialsSecrets.union(cluster.credentialsSecrets)
        let changed = lastReferencedCredentials.withLock { previous in
            defer { previous = now }
            return previous != now
        }
        if changed { referencedCredentials.continuation.yield(now) }
    }

    /// A managed-Secret change that is this process's own write (deletions never are: the owner, if
    /// alive, writes the Secret again). The event of a write whose answer is still on its way waits for
    /// it (`WrittenSecrets.isOwnWrite`), so it does not wake its owner for a second reconcile.
    private func isOwnWrite(_ change: ResourceChange<PartialObjectMetadata>) async -> Bool {
        if case .deleted = change { return false }
        let metadata = change.object.metadata
        return await dependencies.written.isOwnWrite(
            namespace: metadata.namespace ?? "", name: metadata.name ?? "", resourceVersion: metadata.resourceVersion)
    }

    /// Whether a namespace change can change any selection (created, deleted, relabelled, started terminating).
    static func namespaceChangeMatters(_ change: ResourceChange<CachedNamespace>) -> Bool {
        guard case .updated(let old, let new) = change else { return true }
        return !old.hasLabels(equalTo: new) || old.isTerminating != new.isTerminating
    }
}

/// The part of `Informer` the startup wait needs, over its different element types.
protocol SyncWaiting: Sendable {
    var name: String { get }
    var hasSynced: Bool { get }
    func waitUntilSynced(timeout: Duration) async -> Bool
}

extension Informer: SyncWaiting {}
