import CRDModels
import FoundationEssentials

/// The status a reconcile should leave, computed from what it observed; `lastTransitionTime` moves
/// only when a condition's status flips, so an unchanged outcome gives an equal status and no write.
public enum StatusComputation {
    /// What happened to one target namespace.
    public enum NamespaceOutcome: Sendable, Hashable {
        case synced
        case failed(reason: ConditionReason, message: String)
    }

    /// Why no Secret could be written at all (nothing was attempted), or nil when tokens were obtained.
    public struct Blocker: Sendable, Hashable {
        public var reason: ConditionReason
        public var message: String
        /// Whether the failure says something about the AWS credentials (sets CredentialsValid=False);
        /// false for an invalid spec, where the credentials were never tried.
        public var credentialsTried: Bool

        public init(reason: ConditionReason, message: String, credentialsTried: Bool) {
            self.reason = reason
            self.message = message
            self.credentialsTried = credentialsTried
        }
    }

    /// Everything the reconcile learnt.
    public struct Observation: Sendable, Hashable {
        public var generation: Int64?
        public var blocker: Blocker?
        /// Registry hosts written (sorted).
        public var registries: [String]
        public var obtainedAt: Date?
        public var expiresAt: Date?
        public var nextRefresh: Date?
        public var expiryInPast: Bool
        /// Per namespace (for the namespaced kind: its own namespace only).
        public var outcomes: [String: NamespaceOutcome]
        /// Whether to report namespace counts (the cluster kind).
        public var clusterScoped: Bool

        public init(
            generation: Int64?, blocker: Blocker? = nil, registries: [String] = [], obtainedAt: Date? = nil,
            expiresAt: Date? = nil, nextRefresh: Date? = nil, expiryInPast: Bool = false,
            outcomes: [String: NamespaceOutcome] = [:], clusterScoped: Bool
        ) {
            self.generation = generation
            self.blocker = blocker
            self.registries = registries
            self.obtainedAt = obtainedAt
            self.expiresAt = expiresAt
            self.nextRefresh = nextRefresh
            self.expiryInPast = expiryInPast
            self.outcomes = outcomes
            self.clusterScoped = clusterScoped
        }
    }

    /// The new status. Fields a blocked reconcile could not learn (registries, expiry) keep their
    /// previous values: the old Secret stays, so its expiry is still the truth.
    public static func compute(previous: ImagePullSecretStatus?, observation: Observation, now: Date)
        -> ImagePullSecretStatus
    {
        var status = previous ?? ImagePullSecretStatus()
        status.observedGeneration = observation.generation
        let generation = observation.generation
        var conditions: [Condition] = []
        func condition(_ type: ConditionType, _ value: ConditionStatus, _ reason: ConditionReason, _ message: String) {
            let old = previous?.condition(type)
            let transition =
                old?.status == value.rawValue ? (old?.lastTransitionTime ?? Timestamp.format(now)) : Timestamp.format(now)
            conditions.append(
                Condition(
                    type: type.rawValue, status: value.rawValue, observedGeneration: generation,
                    lastTransitionTime: transition, reason: reason.rawValue, message: message))
        }

        if let blocker = observation.blocker {
            condition(.ready, .false, blocker.reason, blocker.message)
            if blocker.credentialsTried {
                condition(.credentialsValid, .false, blocker.reason, blocker.message)
            } else if let old = previous?.condition(.credentialsValid) {
                conditions.append(old)
            }
            if observation.clusterScoped {
                condition(.degraded, .false, blocker.reason, "no namespace was attempted: \(blocker.reason.rawValue)")
            }
            status.conditions = conditions
            status.nextRefreshTime = nil
            return status
        }

        let failures = observation.outcomes.compactMap { name, outcome -> FailedNamespace? in
            if case .failed(let reason, let message) = outcome {
                return FailedNamespace(namespace: name, reason: reason, message: message)
            }
            return nil
        }.sorted { $0.namespace < $1.namespace }
        let desired = observation.outcomes.count
        let synced = desired - failures.count

        let credentialsMessage =
            observation.expiryInPast
            ? "token issued, but its expiry \(observation.expiresAt.map(Timestamp.format) ?? "?") is already past "
                + "(clock skew or an emulator); refresh is held at the minimum interval"
            : "token issued for \(observation.registries.count) registr\(observation.registries.count == 1 ? "y" : "ies")"
        condition(
            .credentialsValid, .true, observation.expiryInPast ? .tokenExpiryInPast : .tokenIssued, credentialsMessage)

        if desired == 0 {
            condition(.ready, .false, .noTargetNamespaces, "no namespace is selected")
        } else if failures.isEmpty {
            condition(.ready, .true, .secretsSynced, "Secret synced in \(synced) namespace\(synced == 1 ? "" : "s")")
        } else if failures.count == 1, !observation.clusterScoped, let only = failures.first {
            condition(.ready, .false, ConditionReason(rawValue: only.reason) ?? .secretWriteFailed, only.message)
        } else {
            let first = failures[0]
            let reason: ConditionReason = synced == 0 ? (ConditionReason(rawValue: first.reason) ?? .secretWriteFailed) : .partiallySynced
            condition(
                .ready, .false, reason,
                "\(failures.count) of \(desired) namespaces failed; first: \(first.namespace): \(first.message)")
        }
        if observation.clusterScoped {
            if failures.isEmpty {
                condition(.degraded, .false, .allNamespacesSynced, "no namespace failed")
            } else {
                let reason: ConditionReason =
                    synced > 0 ? .partiallySynced : (ConditionReason(rawValue: failures[0].reason) ?? .secretWriteFailed)
                condition(.degraded, .true, reason, "\(failures.count) of \(desired) namespaces failed")
            }
            status.namespaces = NamespaceCounts(desired: desired, synced: synced)
            status.failedNamespaces = failures.isEmpty ? nil : failures
        }
        status.conditions = conditions
        status.registries = observation.registries
        status.lastRefreshTime = observation.obtainedAt.map(Timestamp.format) ?? status.lastRefreshTime
        status.expiresAt = observation.expiresAt.map(Timestamp.format) ?? status.expiresAt
        status.nextRefreshTime = observation.nextRefresh.map(Timestamp.format)
        return status
    }
}
