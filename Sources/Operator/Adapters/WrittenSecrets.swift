import CRDModels
import KubeClient
import Synchronization

/// What this process last wrote to each target Secret (`namespace/name`): the resourceVersion the
/// server returned, the desired state it held and the Secret as stored. When the metadata cache shows
/// that same version, nobody has touched the Secret since: an unchanged desired state needs no API call
/// at all, and a refresh is one update from the stored Secret, conditional on that version.
/// In memory only: after a restart each Secret costs one GET before it is trusted again.
public final class WrittenSecrets: Sendable {
    private struct Entry {
        var resourceVersion: String
        var desired: DesiredSecret
        /// The Secret as the server stored it, without managedFields (the server keeps them when an
        /// update omits them); nil when it holds data keys besides ours, which only a read returns.
        var stored: Secret?
    }

    private let entries = Mutex<[String: Entry]>([:])

    public init() {}

    /// Records a create or whole-object update from what was sent and the metadata the server answered:
    /// such a write stores the sent data and type as sent (nothing defaults them), so only the metadata
    /// is the server's.
    func record(_ desired: DesiredSecret, sent: Secret, answer: ObjectMeta) {
        var stored = sent
        stored.metadata = answer
        record(desired, stored: stored)
    }

    /// Records the Secret as the server holds it (a write's whole answer, or a read).
    func record(_ desired: DesiredSecret, stored: Secret) {
        guard let resourceVersion = stored.metadata.resourceVersion else { return }
        var kept: Secret? = stored
        if stored.data.map({ Set($0.keys) == [DesiredSecret.dockerConfigKey] }) == true {
            kept?.metadata.managedFields = nil
            kept?.data = nil  // it is `desired`'s; put back by `lastStored`
        } else {
            kept = nil
        }
        let entry = Entry(resourceVersion: resourceVersion, desired: desired, stored: kept)
        entries.withLock { $0["\(desired.namespace)/\(desired.name)"] = entry }
    }

    /// The Secret as this process last stored it, at the version it wrote; nil when unknown.
    func lastStored(namespace: String, name: String) -> Secret? {
        guard let entry = entries.withLock({ $0["\(namespace)/\(name)"] }), var secret = entry.stored else {
            return nil
        }
        secret.data = [DesiredSecret.dockerConfigKey: entry.desired.dockerConfigJSON]
        return secret
    }

    func forget(namespace: String, name: String) {
        _ = entries.withLock { $0.removeValue(forKey: "\(namespace)/\(name)") }
    }

    /// Whether the Secret at `resourceVersion` is exactly what this process wrote for `desired`.
    func isCurrent(_ desired: DesiredSecret, resourceVersion: String?) -> Bool {
        guard let resourceVersion else { return false }
        return entries.withLock { entries in
            guard let entry = entries["\(desired.namespace)/\(desired.name)"] else { return false }
            return entry.resourceVersion == resourceVersion && entry.desired == desired
        }
    }

    /// Namespace, name and uid-less identity of the Secrets this process wrote for an owner (the
    /// prune candidates when there is no Secret cache, `--watch-secrets=false`).
    func secrets(ownerUID: String) -> [(namespace: String, name: String)] {
        entries.withLock { entries in
            entries.values.filter { $0.desired.owner.uid == ownerUID }.map { ($0.desired.namespace, $0.desired.name) }
        }
    }

    /// Whether `resourceVersion` is the version this process wrote (a watch event caused by our own write).
    public func wroteVersion(namespace: String, name: String, resourceVersion: String?) -> Bool {
        guard let resourceVersion else { return false }
        return entries.withLock { $0["\(namespace)/\(name)"]?.resourceVersion == resourceVersion }
    }
}
