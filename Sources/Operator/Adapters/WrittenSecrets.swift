import CRDModels
import KubeClient
import Synchronization

/// What this process last wrote to each target Secret (`namespace/name`): the resourceVersion the
/// server returned, the desired state it held and the Secret as stored. When the metadata cache shows
/// that same version, nobody has touched the Secret since: an unchanged desired state needs no API call
/// at all, and a refresh is one update from the stored Secret, conditional on that version.
/// In memory only: after a restart each Secret costs one GET before it is trusted again.
///
/// It also tells the managed-Secret watch which events are this process's own writes
/// (`isOwnWrite`), including the event of a write whose answer has not arrived yet: an API server may
/// send a write's watch event before its response (the test server always can; a real one rarely).
public final class WrittenSecrets: Sendable {
    /// A class, not a struct: the table keeps a slot of its value's size for every bucket, and a whole
    /// `DesiredSecret` and `Secret` in each of 8,192 buckets, for 5,000 Secrets, was 3.7 MB (heaptrack); as
    /// references, 2.5 MB with the entries.
    private final class Entry: Sendable {
        let resourceVersion: String
        let desired: DesiredSecret
        /// The Secret as the server stored it, without managedFields (the server keeps them when an
        /// update omits them); nil when it holds data keys besides ours, which only a read returns.
        let stored: Secret?

        init(resourceVersion: String, desired: DesiredSecret, stored: Secret?) {
            self.resourceVersion = resourceVersion
            self.desired = desired
            self.stored = stored
        }
    }

    /// A Secret's namespace and name: hashed as they are, where a `namespace/name` string would be built for
    /// every look-up (several per Secret and write).
    private struct Key: Hashable {
        var namespace: String
        var name: String
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        /// Writes sent and not answered yet, by Secret.
        var inFlight: [Key: Int] = [:]
        /// Watch events waiting for the writes in flight on their Secret to end (`isOwnWrite`).
        var waiters: [Key: [CheckedContinuation<Void, Never>]] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    private static func key(_ namespace: String, _ name: String) -> Key { Key(namespace: namespace, name: name) }

    /// Sends a create or whole-object update of `sent` for `desired` (`send` returns the metadata the
    /// server answered) and records it: such a write stores the sent data and type as sent (nothing
    /// defaults them), so only the metadata is the server's. While it is in flight, watch events of the
    /// Secret wait in `isOwnWrite` until the answer says whether they are this write's.
    func write(_ desired: DesiredSecret, sent: Secret, _ send: () async throws -> ObjectMeta) async throws {
        let key = Self.key(desired.namespace, desired.name)
        state.withLock { $0.inFlight[key, default: 0] += 1 }
        let answer: ObjectMeta
        do {
            answer = try await send()
        } catch {
            endWrite(key, recording: nil)
            throw error
        }
        var stored = sent
        stored.metadata = answer
        // The answer repeats the labels and annotations sent, which are the same for every namespace of one
        // reconcile: keep `desired`'s copy, shared by all of them, rather than one decoded copy per Secret.
        if answer.labels == desired.labels { stored.metadata.labels = desired.labels }
        if answer.annotations == desired.annotations { stored.metadata.annotations = desired.annotations }
        endWrite(key, recording: Self.entry(desired, stored: stored))
    }

    /// Records the Secret as the server holds it (a read).
    func record(_ desired: DesiredSecret, stored: Secret) {
        guard let entry = Self.entry(desired, stored: stored) else { return }
        state.withLock { $0.entries[Self.key(desired.namespace, desired.name)] = entry }
    }

    private static func entry(_ desired: DesiredSecret, stored: Secret) -> Entry? {
        guard let resourceVersion = stored.metadata.resourceVersion else { return nil }
        guard let data = stored.data, data.count == 1, data[DesiredSecret.dockerConfigKey] != nil else {
            return Entry(resourceVersion: resourceVersion, desired: desired, stored: nil)
        }
        var kept = stored
        kept.metadata.managedFields = nil
        kept.data = nil  // it is `desired`'s; put back by `lastStored`
        // Strings held once, not once per Secret (those of more than 15 bytes are heap allocations): the namespace
        // and name are `desired`'s, and the Secrets written in one second share their creation timestamp.
        if kept.metadata.namespace == desired.namespace { kept.metadata.namespace = desired.namespace }
        if kept.metadata.name == desired.name { kept.metadata.name = desired.name }
        kept.metadata.creationTimestamp = kept.metadata.creationTimestamp.map(creationTimestamps.shared)
        return Entry(resourceVersion: resourceVersion, desired: desired, stored: kept)
    }

    private static let creationTimestamps = SharedValues<String>(limit: 64)

    /// Ends one write in flight, recording its answer in the same step (so an event checked in between
    /// never sees neither), and wakes the events that waited for the Secret's last write in flight.
    private func endWrite(_ key: Key, recording entry: Entry?) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if let entry { state.entries[key] = entry }
            let remaining = (state.inFlight[key] ?? 1) - 1
            guard remaining == 0 else {
                state.inFlight[key] = remaining
                return []
            }
            state.inFlight[key] = nil
            return state.waiters.removeValue(forKey: key) ?? []
        }
        for waiter in woken { waiter.resume() }
    }

    /// The Secret as this process last stored it, at the version it wrote; nil when unknown.
    func lastStored(namespace: String, name: String) -> Secret? {
        guard let entry = state.withLock({ $0.entries[Self.key(namespace, name)] }), var secret = entry.stored else {
            return nil
        }
        secret.data = [DesiredSecret.dockerConfigKey: entry.desired.dockerConfigJSON]
        return secret
    }

    func forget(namespace: String, name: String) {
        _ = state.withLock { $0.entries.removeValue(forKey: Self.key(namespace, name)) }
    }

    /// Whether the Secret at `resourceVersion` is exactly what this process wrote for `desired`.
    func isCurrent(_ desired: DesiredSecret, resourceVersion: String?) -> Bool {
        guard let resourceVersion else { return false }
        return state.withLock { state in
            guard let entry = state.entries[Self.key(desired.namespace, desired.name)] else { return false }
            return entry.resourceVersion == resourceVersion && entry.desired == desired
        }
    }

    /// Namespace, name and uid-less identity of the Secrets this process wrote for an owner (the
    /// prune candidates when there is no Secret cache, `--watch-secrets=false`).
    func secrets(ownerUID: String) -> [(namespace: String, name: String)] {
        state.withLock { state in
            state.entries.values.filter { $0.desired.owner.uid == ownerUID }.map {
                ($0.desired.namespace, $0.desired.name)
            }
        }
    }

    /// Watch events waiting in `isOwnWrite` for the writes in flight on a Secret.
    func eventsWaiting(namespace: String, name: String) -> Int {
        state.withLock { $0.waiters[Self.key(namespace, name)]?.count ?? 0 }
    }

    /// Whether a watch event of the Secret at `resourceVersion` is this process's own write. While a write
    /// of that Secret is in flight, waits for its answer (bounded by the request's timeout) and decides by
    /// the version it returns: an event of someone else's change, before or after ours, is never taken
    /// for ours, whatever its content.
    public func isOwnWrite(namespace: String, name: String, resourceVersion: String?) async -> Bool {
        guard let resourceVersion else { return false }
        let key = Self.key(namespace, name)
        while true {
            let known: Bool? = state.withLock { state in
                if state.entries[key]?.resourceVersion == resourceVersion { return true }
                return state.inFlight[key] == nil ? false : nil
            }
            if let known { return known }
            await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                let waiting = state.withLock { state in
                    guard state.inFlight[key] != nil else { return false }
                    state.waiters[key, default: []].append(waiter)
                    return true
                }
                if !waiting { waiter.resume() }
            }
        }
    }
}
