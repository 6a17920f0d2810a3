import CRDModels
import KubeClient
import Logging
import Synchronization

/// Serves Secret claims from informer caches of both kinds, so an AdmissionReview never waits on, nor causes,
/// a request to the API server: a caller who reaches the webhook port cannot make the operator issue LISTs.
///
/// Run it (`run()`) on every replica, leader or not: each replica's webhook answers reviews. Until both caches
/// have listed once, lookups throw `CacheNotSynced`, which `AdmissionReviewer.decide` turns into a denial:
/// admitting unchecked could let two resources write the same Secret and overwrite each other's credentials
/// on every refresh, and a denied write is retried by its client. The pod's readiness follows `hasSynced`,
/// so the API server's Service only routes reviews to replicas whose caches are complete.
///
/// Claims are served from an index by namespace, derived from the caches and rebuilt only after they change
/// (`ObjectStore.generation`), so a review touches only its namespace's claims and copies no resources.
///
/// Guarantees: lookups only read the caches, and never see claims older than the caches' contents when the
/// lookup began. Assumptions: the informers use a client whose request budget is
/// the webhook's own, so a busy reconciler cannot keep the caches from syncing (and the other way round).
public final class CachedSecretClaimLookup: SecretClaimLookup {
    public struct CacheNotSynced: Error, CustomStringConvertible {
        public var description: String {
            "the webhook's cache of existing resources has not synced with the API server yet; retry shortly"
        }
    }

    let namespaced: Informer<AWSECRImagePullSecret>
    /// Nil when only one namespace is watched: cluster resources are not reconciled then.
    let cluster: Informer<ClusterAWSECRImagePullSecret>?
    private let index = Mutex<ClaimIndex?>(nil)
    /// Set once both informers have synced, which they stay: read with a plain load on every review rather than
    /// the informers' two locks, whose words every event loop thread would write (each review moved their cache
    /// lines between cores).
    private let synced = Atomic<Bool>(false)

    /// - Parameter namespace: the one namespace to cache namespaced resources of (`--watch-namespace`), or nil
    ///   for every namespace and the cluster kind too.
    public init(client: KubeClient, namespace: String?, logger: Logger) {
        let configuration = Informer<AWSECRImagePullSecret>.Configuration(emitChanges: false)
        namespaced = Informer(client: client, namespace: namespace, configuration: configuration, logger: logger)
        cluster = namespace == nil
            ? Informer(client: client, configuration: .init(emitChanges: false), logger: logger) : nil
    }

    /// Whether every cache has listed once.
    public var hasSynced: Bool {
        if synced.load(ordering: .acquiring) { return true }
        guard namespaced.hasSynced && (cluster?.hasSynced ?? true) else { return false }
        synced.store(true, ordering: .releasing)
        return true
    }

    /// Waits until every cache has listed once, at most `timeout`. Returns `hasSynced`.
    public func waitUntilSynced(timeout: Duration) async -> Bool {
        let start = ContinuousClock.now
        guard await namespaced.waitUntilSynced(timeout: timeout) else { return false }
        guard let cluster else { return true }
        return await cluster.waitUntilSynced(timeout: timeout - (ContinuousClock.now - start))
    }

    /// Runs the informers until the calling task is cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.namespaced.run() }
            if let cluster { group.addTask { await cluster.run() } }
        }
    }

    public func namespacedClaims(in namespace: String?) throws -> [SecretClaim] {
        guard hasSynced else { throw CacheNotSynced() }
        return currentIndex().namespaced(in: namespace)
    }

    /// Both kinds' claims from one index: one sync check and one lock per review, not two. Picked inside the lock,
    /// so only the claims returned are retained, not the whole index copied out (three shared buffers retained and
    /// released per review, from every event loop thread).
    public func claims(relevantTo claim: SecretClaim) throws -> [SecretClaim] {
        guard hasSynced else { throw CacheNotSynced() }
        let generations = currentGenerations()
        let current = index.withLock { built in
            built.flatMap { $0.generations == generations ? $0.claims(relevantTo: claim) : nil }
        }
        return current ?? rebuiltIndex(generations).claims(relevantTo: claim)
    }

    public func clusterClaims() throws -> [SecretClaim] {
        guard hasSynced else { throw CacheNotSynced() }
        return currentIndex().cluster
    }

    /// The caches' generations now. Read before their contents: an index is never older than the generations it is
    /// tagged with.
    private func currentGenerations() -> ClaimIndex.Generations {
        ClaimIndex.Generations(namespaced: namespaced.store.generation, cluster: cluster?.store.generation ?? 0)
    }

    /// The index for the caches' current generations, rebuilt first if they have moved since it was built.
    private func currentIndex() -> ClaimIndex {
        let generations = currentGenerations()
        if let built = index.withLock({ $0 }), built.generations == generations { return built }
        return rebuiltIndex(generations)
    }

    /// An index built from the caches' contents, tagged with `generations` (read before them).
    private func rebuiltIndex(_ generations: ClaimIndex.Generations) -> ClaimIndex {
        let fresh = ClaimIndex(
            generations: generations, namespaced: namespaced.store.items.map { $0.secretClaim(requestNamespace: nil) },
            cluster: (cluster?.store.items ?? []).map { $0.secretClaim(requestNamespace: nil) })
        index.withLock { built in
            // Concurrent rebuilds: keep the newest (generations only grow).
            if let current = built, current.generations.namespaced > generations.namespaced
                || current.generations.cluster > generations.cluster
            {
                return
            }
            built = fresh
        }
        return fresh
    }
}

/// Every cached resource's claim, the namespaced ones also by namespace.
private struct ClaimIndex: Sendable {
    struct Generations: Equatable {
        var namespaced: Int
        var cluster: Int
    }

    var generations: Generations
    var allNamespaced: [SecretClaim]
    var byNamespace: [String: [SecretClaim]]
    var cluster: [SecretClaim]

    init(generations: Generations, namespaced: [SecretClaim], cluster: [SecretClaim]) {
        self.generations = generations
        self.allNamespaced = namespaced
        self.byNamespace = Dictionary(grouping: namespaced) { $0.namespace ?? "" }
        self.cluster = cluster
    }

    func namespaced(in namespace: String?) -> [SecretClaim] {
        namespace.map { byNamespace[$0] ?? [] } ?? allNamespaced
    }

    func claims(relevantTo claim: SecretClaim) -> [SecretClaim] {
        SecretClaim.relevant(to: claim, cluster: cluster, namespaced: namespaced(in:))
    }
}
