import CRDModels
import KubeClient
import Logging

/// One field-selected metadata watch (`metadata.name=<name>` in its namespace) per credentials Secret that
/// some resource references, started and stopped as references come and go. A change wakes the resources
/// that read it; no other Secret the operator does not manage is listed, watched or cached, so memory
/// does not grow with the Secrets in the cluster. The data is read by GET at reconcile time, never cached.
struct CredentialsSecretWatches: Sendable {
    let client: KubeClient
    let logger: Logger
    /// Called with `namespace/name` after every change of a watched Secret.
    let onChange: @Sendable (String) async -> Void

    /// Keeps one watch per Secret of the latest set from `wanted`, until `wanted` ends or the task is cancelled.
    func run(wanted: AsyncStream<Set<String>>) async {
        await withTaskGroup(of: Void.self) { group in
            var running: [String: AsyncStream<Void>.Continuation] = [:]
            for await secrets in wanted {
                for (secret, stop) in running where !secrets.contains(secret) {
                    stop.finish()
                    running[secret] = nil
                }
                for secret in secrets where running[secret] == nil {
                    let (stopped, stop) = AsyncStream<Void>.makeStream()
                    running[secret] = stop
                    group.addTask { await self.watch(secret, until: stopped) }
                }
            }
            group.cancelAll()
        }
    }

    /// Watches one Secret until `stopped` finishes (or the task is cancelled).
    private func watch(_ secret: String, until stopped: AsyncStream<Void>) async {
        let parts = secret.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return }
        let informer = Informer.metadata(
            client: client, resource: Secret.resource, namespace: parts[0],
            // The resources that reference it were just enqueued by their own change: only later
            // changes of the Secret wake them.
            configuration: .init(
                fieldSelector: "metadata.name=\(parts[1])", emitsInitialList: false,
                transform: PartialObjectMetadata.identityOnly),
            logger: logger)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await informer.run() }
            group.addTask { for await _ in informer.changes { await onChange(secret) } }
            group.addTask { for await _ in stopped {} }
            _ = await group.next()
            group.cancelAll()
        }
    }
}
