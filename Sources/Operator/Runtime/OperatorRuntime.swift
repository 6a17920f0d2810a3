import CRDModels
import Foundation
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

/// The operator's controller runtime as one `Service`: informers (list-then-watch) on both kinds,
/// namespaces, managed Secrets (metadata only, by label) and all Secrets' metadata (to notice
/// credential Secret changes; their data is read by GET at reconcile time, never cached), mapped
/// to work-queue keys; and, while leading, the two controllers.
///
/// Graceful shutdown: stop handing out keys, let reconciles in flight finish their writes, release
/// the Lease, stop the watches. Losing the Lease cancels reconciling at once and `run` throws
/// `LeadershipLost` (the process exits and restarts, like controller-runtime).
public final class OperatorRuntime: Service, Sendable {
    public let context: ReconcileContext
    public let configuration: RuntimeConfiguration
    let namespacedInformer: Informer<AWSECRImagePullSecret>
    let clusterInformer: Informer<ClusterAWSECRImagePullSecret>
    let namespaceInformer: Informer<Namespace>
    let managedSecretInformer: Informer<PartialObjectMetadata>
    let secretInformer: Informer<PartialObjectMetadata>
    public let namespacedQueue: WorkQueue<String>
    public let clusterQueue: WorkQueue<String>
    let elector: LeaderElector?
    private let logger: Logger
    private let leading = Atomic<Bool>(false)
    private let phase = Mutex<Phase>(.starting)

    /// Where the work task is, so that a graceful stop drains running controllers but never waits for
    /// a Lease or for caches that may never sync (a missing CRD, an RBAC gap).
    private enum Phase { case starting, controllersRunning, stopping }

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
        let informerLogger = logger
        namespacedInformer = Informer(client: client, namespace: watch, logger: informerLogger)
        clusterInformer = Informer(client: client, logger: informerLogger)
        namespaceInformer = Informer(client: client, logger: informerLogger)
        managedSecretInformer = Informer.metadata(
            client: client, resource: Secret.resource, namespace: watch,
            configuration: .init(labelSelector: "\(Labels.managedBy)=\(Labels.managedByValue)"), logger: informerLogger)
        secretInformer = Informer.metadata(
            client: client, resource: Secret.resource, namespace: watch, configuration: .init(), logger: informerLogger)
        context = ReconcileContext(
            client: client, tokens: tokens, events: events, settings: configuration.settings, clock: clock,
            logger: logger, managedSecrets: managedSecretInformer.store, namespaces: namespaceInformer.store,
            namespacedResources: namespacedInformer.store, clusterResources: clusterInformer.store)
        namespacedQueue = WorkQueue(name: "awsecrimagepullsecret", backoff: configuration.backoff, clock: clock)
        clusterQueue = WorkQueue(name: "clusterawsecrimagepullsecret", backoff: configuration.backoff, clock: clock)
        elector = configuration.leaderElection.map {
            LeaderElector(
                name: $0.name, namespace: $0.namespace, identity: $0.identity, timings: $0.timings,
                store: KubeLeaseStore(client: $0.client ?? client, timeout: $0.timings.renewDeadline), clock: clock,
                logger: logger)
        }
    }

    /// Ready when every cache has listed once.
    public var isReady: Bool {
        namespacedInformer.hasSynced && (!clusterScope || (clusterInformer.hasSynced && namespaceInformer.hasSynced))
            && (!configuration.settings.watchSecrets || (managedSecretInformer.hasSynced && secretInformer.hasSynced))
    }

    /// Whether the cluster kind and namespaces are watched: not with `--watch-namespace`, where the
    /// operator may only read its one namespace (the chart grants no cluster-wide access then).
    var clusterScope: Bool { configuration.settings.watchNamespace == nil }

    /// Whether this replica currently reconciles.
    public var isLeading: Bool { leading.load(ordering: .relaxed) }

    public func run() async throws {
        let watches = Task { await self.runWatches() }
        let events = Task { await self.context.events?.run() }
        let work = Task { try await self.leadAndWork() }
        let result = await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await work.result
            } onGracefulShutdown: {
                Task { await self.stopWork(work) }
            }
        } onCancel: {
            work.cancel()
            Task {
                await self.namespacedQueue.shutDown()
                await self.clusterQueue.shutDown()
            }
        }
        watches.cancel()
        _ = await watches.value
        context.events?.shutdown()
        _ = await events.value
        if case .failure(let error) = result, !(error is CancellationError) { throw error }
    }

    /// Graceful stop: with the controllers running, drain the writes in flight (the Lease is released
    /// after); before that (waiting for the Lease or for caches to sync), cancel the wait at once.
    private func stopWork(_ work: Task<Void, any Error>) async {
        let previous = phase.withLock { phase in
            defer { phase = .stopping }
            return phase
        }
        if previous == .controllersRunning {
            async let a: Void = namespacedQueue.shutDownAndDrain()
            async let b: Void = clusterQueue.shutDownAndDrain()
            _ = await (a, b)
        } else {
            work.cancel()
            await namespacedQueue.shutDown()
            await clusterQueue.shutDown()
        }
    }

    private func leadAndWork() async throws {
        if let elector { try await elector.acquire() }
        leading.store(true, ordering: .relaxed)
        defer { leading.store(false, ordering: .relaxed) }
        do {
            try await waitForCaches()
        } catch {
            await releaseLease()
            throw error
        }
        let start = phase.withLock { phase in
            if phase == .starting { phase = .controllersRunning }
            return phase == .controllersRunning
        }
        guard start else {
            await releaseLease()
            return
        }
        await enqueueAll()
        let namespaced = Controller(
            name: "awsecrimagepullsecret", queue: namespacedQueue, concurrency: configuration.concurrency,
            logger: logger
        ) { [context] key in try await NamespacedReconciler(context: context).reconcile(key: key) }
        let cluster = Controller(
            name: "clusterawsecrimagepullsecret", queue: clusterQueue, concurrency: configuration.concurrency,
            logger: logger
        ) { [context] key in try await ClusterReconciler(context: context).reconcile(key: key) }
        logger.info("controllers started")
        do {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask { await namespaced.run(); return true }
                group.addTask { await cluster.run(); return true }
                if let elector {
                    group.addTask {
                        try await elector.holdLeadership()
                        throw LeadershipLost()
                    }
                }
                // Both controllers end once their queues shut down (and drain).
                _ = try await group.next()
                _ = try await group.next()
                group.cancelAll()
            }
        } catch is LeadershipLost {
            await namespacedQueue.shutDown()
            await clusterQueue.shutDown()
            throw LeadershipLost()
        }
        logger.info("controllers stopped")
        await releaseLease()
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
        var informers: [any SyncWaiting] = [namespacedInformer]
        if clusterScope { informers += [clusterInformer, namespaceInformer] }
        if configuration.settings.watchSecrets { informers += [managedSecretInformer, secretInformer] }
        for informer in informers {
            while await !informer.waitUntilSynced(timeout: .seconds(30)) {
                try Task.checkCancellation()
                logger.warning("cache not synced yet; reconciling waits", metadata: ["informer": "\(informer.name)"])
            }
        }
    }

    private func enqueueAll() async {
        for resource in namespacedInformer.store.items {
            await namespacedQueue.add(EventMapping.key(namespace: resource.metadata.namespace, name: resource.metadata.name))
        }
        for resource in clusterInformer.store.items { await clusterQueue.add(resource.metadata.name ?? "") }
    }

    private func enqueue(_ owner: EventMapping.Owner) async {
        switch owner {
        case .namespaced(let key): await namespacedQueue.add(key)
        case .cluster(let name): await clusterQueue.add(name)
        }
    }

    /// Runs the informers and turns their changes into keys, until cancelled.
    private func runWatches() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.namespacedInformer.run() }
            if self.clusterScope {
                group.addTask { await self.clusterInformer.run() }
                group.addTask { await self.namespaceInformer.run() }
            }
            let watchSecrets = self.configuration.settings.watchSecrets
            if watchSecrets {
                group.addTask { await self.managedSecretInformer.run() }
                group.addTask { await self.secretInformer.run() }
            }
            group.addTask {
                for await change in self.namespacedInformer.changes where EventMapping.resourceChangeMatters(change) {
                    await self.namespacedQueue.add(
                        EventMapping.key(namespace: change.object.metadata.namespace, name: change.object.metadata.name))
                }
            }
            if self.clusterScope {
                group.addTask {
                    for await change in self.clusterInformer.changes where EventMapping.resourceChangeMatters(change) {
                        await self.clusterQueue.add(change.object.metadata.name ?? "")
                    }
                }
                group.addTask {
                    for await change in self.namespaceInformer.changes
                    where EventMapping.namespaceChangeMatters(change) {
                        for resource in self.clusterInformer.store.items {
                            await self.clusterQueue.add(resource.metadata.name ?? "")
                        }
                    }
                }
            }
            guard watchSecrets else { return }
            group.addTask {
                for await change in self.managedSecretInformer.changes {
                    if let owner = EventMapping.ownerOfManagedSecret(change, written: self.context.written) {
                        await self.enqueue(owner)
                    }
                }
            }
            group.addTask {
                for await change in self.secretInformer.changes {
                    let metadata = change.object.metadata
                    if metadata.labels?[Labels.managedBy] == Labels.managedByValue { continue }
                    let owners = EventMapping.referencingResources(
                        secretNamespace: metadata.namespace ?? "", secretName: metadata.name ?? "",
                        namespaced: self.namespacedInformer.store.items, cluster: self.clusterInformer.store.items)
                    for owner in owners { await self.enqueue(owner) }
                }
            }
        }
    }
}

/// The part of `Informer` the startup wait needs, over its different element types.
protocol SyncWaiting: Sendable {
    var name: String { get }
    func waitUntilSynced(timeout: Duration) async -> Bool
}

extension Informer: SyncWaiting {}
