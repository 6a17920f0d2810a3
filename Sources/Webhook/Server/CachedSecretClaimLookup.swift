import CRDModels
import KubeClient
import Logging

/// Serves Secret claims from informer caches of both kinds, so an AdmissionReview never waits on, nor causes,
/// a request to the API server: a caller who reaches the webhook port cannot make the operator issue LISTs.
///
/// Run it (`run()`) on every replica, leader or not: each replica's webhook answers reviews. Until both caches
/// have listed once, lookups throw `CacheNotSynced`, which `AdmissionReviewer.decide` turns into a denial:
/// admitting unchecked could let two resources write the same Secret and overwrite each other's credentials
/// on every refresh, and a denied write is retried by its client. The pod's readiness follows `hasSynced`,
/// so the API server's Service only routes reviews to replicas whose caches are complete.
///
/// Guarantees: lookups only read the caches. Assumptions: the informers use a client whose request budget is
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

    /// - Parameter namespace: the one namespace to cache namespaced resources of (`--watch-namespace`), or nil
    ///   for every namespace and the cluster kind too.
    public init(client: KubeClient, namespace: String?, logger: Logger) {
        let configuration = Informer<AWSECRImagePullSecret>.Configuration(emitChanges: false)
        namespaced = Informer(client: client, namespace: namespace, configuration: configuration, logger: logger)
        cluster = namespace == nil
            ? Informer(client: client, configuration: .init(emitChanges: false), logger: logger) : nil
    }

    /// Whether every cache has listed once.
    public var hasSynced: Bool { namespaced.hasSynced && (cluster?.hasSynced ?? true) }

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

    public func namespacedClaims(in namespace: String?) async throws -> [SecretClaim] {
        guard hasSynced else { throw CacheNotSynced() }
        let items = namespace.map { namespaced.store.list(namespace: $0) } ?? namespaced.store.items
        return items.map { $0.secretClaim(requestNamespace: nil) }
    }

    public func clusterClaims() async throws -> [SecretClaim] {
        guard hasSynced else { throw CacheNotSynced() }
        return (cluster?.store.items ?? []).map { $0.secretClaim(requestNamespace: nil) }
    }
}
