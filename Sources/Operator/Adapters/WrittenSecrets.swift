import Synchronization

/// What this process last wrote to each target Secret (`namespace/name`): the resourceVersion the
/// server returned and the desired state it held. When the metadata cache shows that same version,
/// nobody has touched the Secret since, and an unchanged desired state needs no API call at all.
/// In memory only: after a restart each Secret costs one GET before it is trusted again.
public final class WrittenSecrets: Sendable {
    private let entries = Mutex<[String: (resourceVersion: String, desired: DesiredSecret)]>([:])

    public init() {}

    func record(_ desired: DesiredSecret, resourceVersion: String?) {
        guard let resourceVersion else { return }
        entries.withLock { $0["\(desired.namespace)/\(desired.name)"] = (resourceVersion, desired) }
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
