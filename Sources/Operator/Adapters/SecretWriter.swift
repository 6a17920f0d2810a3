import CRDModels
import KubeClient
import Logging

/// Writes one target Secret in place: create when absent, update with the read's resourceVersion
/// when owned or adoptable, re-read and retry on 409, never delete-and-recreate, never overwrite a
/// foreign Secret.
public struct SecretWriter: Sendable {
    public enum Outcome: Sendable, Hashable {
        case created, updated, unchanged
        case conflict(String)
        /// A request failed; `retryAfter` is the wait the API server asked for (429 `Retry-After`).
        case failed(String, retryAfter: Duration? = nil)

        /// The Secret holds the desired content (ServiceAccounts may list it).
        var isInPlace: Bool {
            switch self {
            case .created, .updated, .unchanged: true
            case .conflict, .failed: false
            }
        }
    }

    let api: any KubeObjectAPI
    let written: WrittenSecrets
    /// Attempts before a run of 409s counts as a failure (the next reconcile tries again).
    let maxAttempts = 4

    /// Brings the Secret to `desired`, in one request when nothing else touched it. `cached` is the
    /// managed-Secret cache's metadata of it, if any:
    /// - Its resourceVersion is the version this process wrote for the same desired state: nothing is
    ///   read or written.
    /// - The (synced) cache has no such Secret: one create; AlreadyExists falls back to the read.
    /// - This process wrote it and the cache shows no other version since (or there is no cache): one
    ///   update from the Secret as stored, conditional on that version (a 409 means someone changed it;
    ///   the read below decides).
    /// Otherwise: read (`read(_:ownerUID:knownOwned:)`), classify, then create or update.
    public func sync(_ desired: DesiredSecret, ownerUID: String, cached: ObjectMeta?, cacheSynced: Bool = false)
        async -> Outcome
    {
        let cachedVersion = cached?.resourceVersion
        let cachedOwner = cached?.ownerReferences?.first { $0.controller == true }?.uid
        if written.isCurrent(desired, resourceVersion: cachedVersion) { return .unchanged }
        if cachedVersion == nil, cacheSynced {
            do {
                try await create(desired)
                return .created
            } catch let error as KubeAPIError where error.isAlreadyExists || error.isConflict {
                // Someone (or the cache lag) had it: read and classify below.
            } catch {
                return Self.failure("creating", desired, error)
            }
        } else if let stored = written.lastStored(namespace: desired.namespace, name: desired.name),
            cachedVersion == nil || cachedVersion == stored.metadata.resourceVersion,
            let updated = desired.updating(stored)
        {
            do {
                try await update(updated, desired)
                return .updated
            } catch let error as KubeAPIError where error.isConflict || error.isNotFound {
                // Changed or deleted since this process wrote it: read and classify below.
            } catch {
                return Self.failure("updating", desired, error)
            }
        }
        for _ in 0..<maxAttempts {
            let ownership: SecretOwnership
            let existing: Secret?
            do {
                (ownership, existing) = try await read(desired, ownerUID: ownerUID, knownOwned: cachedOwner == ownerUID)
            } catch {
                return Self.failure("reading", desired, error)
            }
            switch ownership {
            case .conflict(let message):
                return .conflict(message)
            case .absent:
                do {
                    try await create(desired)
                    return .created
                } catch let error as KubeAPIError where error.isAlreadyExists || error.isConflict {
                    continue
                } catch {
                    return Self.failure("creating", desired, error)
                }
            case .owned, .adoptable:
                guard let existing else { continue }
                guard let updated = desired.updating(existing) else {
                    written.record(desired, stored: existing)
                    return .unchanged
                }
                do {
                    try await update(updated, desired)
                    return .updated
                } catch let error as KubeAPIError where error.isConflict || error.isNotFound {
                    continue
                } catch {
                    return Self.failure("updating", desired, error)
                }
            }
        }
        return .failed("Secret \(desired.namespace)/\(desired.name) kept changing under concurrent writes; will retry")
    }

    /// Creates the desired Secret and records it; the answer is its metadata only (the data is what was sent).
    /// The body is written directly (`Secret.json`), its `.dockerconfigjson` encoded once per reconcile.
    private func create(_ desired: DesiredSecret) async throws {
        let secret = desired.secret
        let body = secret.json(reusingEncodingOf: desired)
        try await written.write(desired, sent: secret) {
            try await api.createReturningMetadata(secret, encoded: body, namespace: desired.namespace)
        }
    }

    /// Writes `updated` (conditional on its resourceVersion) and records it, as `create`.
    private func update(_ updated: Secret, _ desired: DesiredSecret) async throws {
        let body = updated.json(reusingEncodingOf: desired)
        try await written.write(desired, sent: updated) {
            try await api.updateReturningMetadata(updated, encoded: body)
        }
    }

    /// Whose the Secret is and, when it is this owner's or adoptable, the whole Secret. Another team's
    /// Secret is classified from its metadata alone: its data is never read. A Secret the cache shows
    /// controlled by this owner (`knownOwned`) is read whole at once.
    private func read(_ desired: DesiredSecret, ownerUID: String, knownOwned: Bool) async throws
        -> (SecretOwnership, Secret?)
    {
        if !knownOwned {
            let metadata: ObjectMeta
            do {
                metadata = try await api.getMetadata(Secret.self, name: desired.name, namespace: desired.namespace)
            } catch let error as KubeAPIError where error.isNotFound {
                return (.absent, nil)
            }
            let ownership = SecretOwnership.classify(existing: metadata, existingType: nil, ownerUID: ownerUID)
            if case .conflict = ownership { return (ownership, nil) }
        }
        let secret: Secret
        do {
            secret = try await api.get(Secret.self, name: desired.name, namespace: desired.namespace)
        } catch let error as KubeAPIError where error.isNotFound {
            return (.absent, nil)
        }
        let ownership = SecretOwnership.classify(
            existing: secret.metadata, existingType: secret.type ?? "Opaque", ownerUID: ownerUID)
        return (ownership, secret)
    }

    /// Deletes a managed Secret whose namespace left the selection, only if it is still the one
    /// this resource controls (uid precondition).
    public func prune(namespace: String, name: String, ownerUID: String) async throws {
        defer { written.forget(namespace: namespace, name: name) }
        // A fresh read (of the metadata: enough to tell whose it is), never a cache or a record of past
        // writes: the Secret may have been deleted and recreated by someone else since this resource wrote
        // it. Only one whose controller is this resource is deleted, and only that very object (uid
        // precondition).
        let current: ObjectMeta
        do {
            current = try await api.getMetadata(Secret.self, name: name, namespace: namespace)
        } catch let error as KubeAPIError where error.isNotFound {
            return
        }
        let ownership = SecretOwnership.classify(existing: current, existingType: nil, ownerUID: ownerUID)
        guard ownership == .owned, let uid = current.uid else { return }
        do {
            try await api.delete(
                Secret.self, name: name, namespace: namespace, preconditions: DeletePreconditions(uid: uid))
        } catch let error as KubeAPIError where error.isNotFound || error.isConflict {
            // Already gone, or replaced by another object in between: nothing of ours to delete.
        }
    }

    private static func failure(_ doing: String, _ desired: DesiredSecret, _ error: any Error) -> Outcome {
        .failed(
            "\(doing) Secret \(desired.namespace)/\(desired.name): \(describe(error))",
            retryAfter: (error as? KubeAPIError)?.retryAfter)
    }

    /// An API error's message without the request body (which for a Secret could hold data).
    static func describe(_ error: any Error) -> String {
        if let error = error as? KubeAPIError { return "\(error.code.rawValue): \(error.message)" }
        return String(describing: error)
    }
}
