import CRDModels
import KubeClient
import Logging

/// One kind's cache, work queue and controller, wired as its reconciler `W` declares: the informer on
/// the primary kind (indexed by the credentials Secret each resource reads), and the entry points the
/// runtime calls when a watched object changes.
final class KindController<W: ReconcilerWiring>: Sendable {
    let name: String
    let informer: Informer<W.Resource>
    let queue: WorkQueue<String>

    init(
        name: String, client: KubeClient, namespace: String?, backoff: WorkQueueState<String>.Backoff,
        clock: any OperatorClock, logger: Logger
    ) {
        self.name = name
        informer = Informer(
            client: client, namespace: namespace,
            configuration: .init(index: { W.credentialsSecret(of: $0).map { [$0] } ?? [] }), logger: logger)
        queue = WorkQueue(name: name, backoff: backoff, clock: clock)
    }

    /// The controller that drains the queue into `W.reconcile`.
    func controller(dependencies: ReconcilerDependencies, concurrency: Int, logger: Logger) -> Controller<String> {
        Controller(name: name, queue: queue, concurrency: concurrency, logger: logger) { key in
            try await W(dependencies: dependencies).reconcile(key: key)
        }
    }

    /// Every cached resource, once the caches have synced.
    func enqueueAll() async {
        for key in informer.store.keys { await queue.add(key) }
    }

    /// For: maps the primary kind's changes to their keys, calling `onChange` after each (the
    /// credentials Secrets read may have changed), until the informer stops.
    func mapPrimaryChanges(onChange: @Sendable () -> Void) async {
        for await change in informer.changes {
            onChange()
            if W.resourceChangeMatters(change) { await queue.add(change.key) }
        }
    }

    /// Owns: a managed Secret changed.
    func managedSecretChanged(_ metadata: ObjectMeta) async {
        if let key = W.owner(ofManagedSecret: metadata) { await queue.add(key) }
    }

    /// Watches: the credentials Secret `namespace/name` changed; wakes the resources that read it.
    func credentialsSecretChanged(_ secret: String) async {
        for resource in informer.store.items(indexedUnder: secret) { await queue.add(W.key(of: resource)) }
    }

    /// Watches: a namespace changed; wakes the resources it may concern.
    func namespaceChanged(_ change: ResourceChange<CachedNamespace>) async {
        for resource in informer.store.items where W.isAffected(resource, byNamespaceChange: change) {
            await queue.add(W.key(of: resource))
        }
    }

    /// The credentials Secrets this kind's resources read (`namespace/name`).
    var credentialsSecrets: Set<String> { informer.store.indexValues }
}
