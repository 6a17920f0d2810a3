import CRDModels
import FoundationEssentials
import KubeClient
import Logging

/// Reads and writes the one Lease; the KubeClient in production, an in-memory fake in unit tests.
public protocol LeaseStore: Sendable {
    /// The Lease, or nil when it does not exist.
    func get(name: String, namespace: String) async throws -> Lease?
    func create(_ lease: Lease) async throws -> Lease
    /// PUT with the Lease's resourceVersion; throws a conflict when it is stale.
    func update(_ lease: Lease) async throws -> Lease
}

/// `LeaseStore` over the Kubernetes API.
///
/// Give it a client of its own (its own request budget): Lease renewals must not queue behind reconcile or
/// webhook traffic, or the leader loses its Lease under load.
public struct KubeLeaseStore: LeaseStore {
    public let client: KubeClient
    /// Deadline of each request; at most the renew deadline (a renewal later than that is worthless).
    public let timeout: Duration?

    public init(client: KubeClient, timeout: Duration? = nil) {
        self.client = client
        self.timeout = timeout
    }

    public func get(name: String, namespace: String) async throws -> Lease? {
        do {
            return try await client.get(Lease.self, name: name, namespace: namespace, timeout: timeout)
        } catch let error as KubeAPIError where error.isNotFound {
            return nil
        }
    }

    public func create(_ lease: Lease) async throws -> Lease {
        try await client.create(lease, namespace: lease.metadata.namespace, timeout: timeout)
    }

    public func update(_ lease: Lease) async throws -> Lease {
        try await client.update(lease, timeout: timeout)
    }
}

/// Leader election on a `coordination.k8s.io/v1` Lease (client-go `leaderelection` algorithm,
/// docs/PROTOCOLS.md 5.7): acquire, renew every retry period, lose leadership when no renewal succeeds
/// within the renew deadline, release on shutdown.
public actor LeaderElector {
    public let name: String
    public let namespace: String
    private var state: LeaderElectionState
    private let store: any LeaseStore
    private let clock: any OperatorClock
    private let logger: Logger
    private var lastRenewal: Duration?

    public init(
        name: String, namespace: String, identity: String, timings: LeaderElectionTimings = .init(),
        store: any LeaseStore, clock: any OperatorClock = SystemClock(), logger: Logger
    ) {
        self.name = name
        self.namespace = namespace
        self.state = LeaderElectionState(identity: identity, timings: timings)
        self.store = store
        self.clock = clock
        var logger = logger
        logger[metadataKey: "lease"] = "\(namespace)/\(name)"
        logger[metadataKey: "lease.identity"] = "\(identity)"
        self.logger = logger
    }

    public var isLeader: Bool { state.isLeader }
    public var identity: String { state.identity }

    /// One `tryAcquireOrRenew`; true when this replica now holds the Lease.
    public func tryAcquireOrRenew() async -> Bool {
        let now = clock.monotonicNow()
        if let lease = state.optimisticRenewal(now: now, wallNow: clock.wallNow()) {
            if let written = try? await store.update(lease) {
                state.written(written, now: clock.monotonicNow())
                lastRenewal = clock.monotonicNow()
                return true
            }
            // Fall through: read the Lease and decide afresh.
        }
        do {
            let current = try await store.get(name: name, namespace: namespace)
            let action = state.decide(
                current: current, name: name, namespace: namespace, now: clock.monotonicNow(),
                wallNow: clock.wallNow())
            let written: Lease
            switch action {
            case .heldByOther(let holder):
                logger.debug("lease held by another replica", metadata: ["lease.holder": "\(holder)"])
                return false
            case .create(let lease): written = try await store.create(lease)
            case .update(let lease): written = try await store.update(lease)
            }
            let wasLeader = state.isLeader
            state.written(written, now: clock.monotonicNow())
            lastRenewal = clock.monotonicNow()
            if !wasLeader { logger.info("acquired leadership") }
            return true
        } catch {
            logger.debug("lease write failed", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Waits until this replica leads (retrying every retry period, jittered ×1.2). Throws on cancellation.
    public func acquire() async throws {
        while true {
            try Task.checkCancellation()
            if await tryAcquireOrRenew() { return }
            let jitter = Double.random(in: 1.0..<1.2)
            try await clock.sleep(for: state.timings.retryPeriod * jitter)
        }
    }

    /// Renews every retry period; returns when leadership is lost (no renewal within the renew
    /// deadline, or someone else took the Lease). Throws on cancellation, still leading.
    ///
    /// Each attempt is cut off when the renew deadline (counted from the last renewal) passes, as client-go's
    /// `renew` does with its context: a renewal that would land later could overlap another leader.
    public func holdLeadership() async throws {
        while true {
            try await clock.sleep(for: state.timings.retryPeriod)
            let last = lastRenewal ?? .zero
            let remaining = state.timings.renewDeadline - (clock.monotonicNow() - last)
            if try await renew(within: remaining) { continue }
            if !state.isLeader || clock.monotonicNow() - (lastRenewal ?? .zero) >= state.timings.renewDeadline {
                state.lost()
                logger.warning("lost leadership")
                return
            }
        }
    }

    /// One `tryAcquireOrRenew`, cancelled (and false) if it has not finished within `limit`.
    /// Throws only when the caller is cancelled.
    func renew(within limit: Duration) async throws -> Bool {
        guard limit > .zero else { return false }
        let clock = self.clock
        let renewed = await withTaskGroup(of: Bool?.self) { group in
            group.addTask { await self.tryAcquireOrRenew() }
            group.addTask {
                try? await clock.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            return await group.next() ?? nil
        }
        try Task.checkCancellation()
        guard let renewed else {
            logger.warning("lease renewal did not finish within the renew deadline", metadata: ["limit": "\(limit)"])
            return false
        }
        return renewed
    }

    /// Gives the Lease up so another replica can take over at once; retries conflicts briefly.
    public func release() async {
        for _ in 0..<3 {
            guard let lease = state.releaseLease(wallNow: clock.wallNow()) else { return }
            do {
                _ = try await store.update(lease)
                state.lost()
                logger.info("released leadership")
                return
            } catch let error as KubeAPIError where error.isConflict {
                guard let current = try? await store.get(name: name, namespace: namespace),
                    current.spec?.holderIdentity == state.identity
                else {
                    state.lost()
                    return
                }
                state.written(current, now: clock.monotonicNow())
            } catch {
                logger.warning("could not release the lease", metadata: ["error": "\(error)"])
                state.lost()
                return
            }
        }
    }
}
