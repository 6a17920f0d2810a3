import CRDModels
import ECRAuth
import FoundationEssentials
import KubeClient

/// What the user sees after a reconcile, decided from its facts alone: the status observation, the
/// events to record, and whether to requeue at the refresh schedule, wait for a change, or retry with
/// backoff. Pure, so every reason of the troubleshooting table is tested without a server.
struct ReconcileDecision: Sendable, Hashable {
    /// One Kubernetes Event on the resource.
    struct Event: Sendable, Hashable {
        var type: EventRecorder.EventType
        var reason: EventReason
        var message: String
    }

    enum Next: Sendable, Hashable {
        /// Nothing to do until something changes (an edit, a watched object).
        case waitForChange
        /// Refresh at the schedule.
        case requeueAfter(Duration)
        /// A failure worth retrying: back off per key (at least `retryAfter` when a server asked).
        case retry(ReconcileRetry)
    }

    var observation: StatusComputation.Observation
    var events: [Event]
    var next: Next
    /// The token expiry the metrics report for this resource, when a token was written.
    var expiresAt: Date?

    static func decide(_ facts: ReconcileFacts, policy: RefreshPolicy) -> ReconcileDecision {
        let blocked = { (reason: ConditionReason, message: String, credentialsTried: Bool) in
            StatusComputation.Observation(
                generation: facts.generation,
                blocker: .init(reason: reason, message: message, credentialsTried: credentialsTried),
                clusterScoped: facts.clusterScoped)
        }
        switch facts.progress {
        case .invalidSpec(let violations):
            let message = violations.map(\.description).joined(separator: "; ")
            // The ambient-credentials rule has its own reason, so `kubectl get` says what the admin allows.
            guard violations.contains(where: { $0.rule == .ambientCredentialsNotAllowed }) else {
                return .init(observation: blocked(.invalidSpec, message, false), events: [], next: .waitForChange)
            }
            return .init(
                observation: blocked(.ambientCredentialsNotAllowed, message, false),
                events: [.init(type: .warning, reason: .ambientCredentialsNotAllowed, message: message)],
                next: .waitForChange)

        case .credentialsFailed(let failure):
            // A missing or incomplete Secret is fixed by an edit the credential watch reports; retry anyway.
            let retry = Next.retry(.init(message: failure.message, retryAfter: failure.retryAfter))
            switch failure.kind {
            case .secretMissing:
                return .init(
                    observation: blocked(.credentialsSecretMissing, failure.message, false),
                    events: [.init(type: .warning, reason: .credentialsSecretMissing, message: failure.message)],
                    next: retry)
            case .secretInvalid:
                return .init(observation: blocked(.credentialsSecretInvalid, failure.message, false), events: [], next: retry)
            case .secretUnreadable:
                return .init(
                    observation: blocked(.credentialsSecretReadFailed, failure.message, false), events: [], next: retry)
            }

        case .tokensFailed(let error):
            let reason: ConditionReason = error.reason == .assumeRoleFailed ? .assumeRoleFailed : .tokenRequestFailed
            return .init(
                observation: blocked(reason, error.message, true),
                events: [.init(type: .warning, reason: .tokenRequestFailed, message: error.message)],
                next: .retry(.init(message: error.description, retryAfter: error.retryAfter)))

        case .written(let writes):
            return decideWritten(writes, facts: facts, policy: policy)
        }
    }

    private static func decideWritten(
        _ writes: ReconcileFacts.Writes, facts: ReconcileFacts, policy: RefreshPolicy
    ) -> ReconcileDecision {
        var outcomes: [String: StatusComputation.NamespaceOutcome] = [:]
        var events: [Event] = []
        for namespace in writes.missingNamespaces {
            outcomes[namespace] = .failed(reason: .namespaceMissing, message: "namespace \(namespace) does not exist")
        }
        for (namespace, outcome) in writes.secrets.sorted(by: { $0.key < $1.key }) {
            switch outcome {
            case .created, .updated, .unchanged:
                outcomes[namespace] = .synced
            case .conflict(let message):
                outcomes[namespace] = .failed(reason: .secretConflict, message: message)
                events.append(.init(type: .warning, reason: .secretConflict, message: "\(namespace): \(message)"))
            case .failed(let message, _):
                outcomes[namespace] = .failed(reason: .secretWriteFailed, message: message)
                events.append(.init(type: .warning, reason: .secretWriteFailed, message: message))
            }
        }
        for (namespace, message) in writes.serviceAccountFailures where outcomes[namespace] == .synced {
            outcomes[namespace] = .failed(reason: .serviceAccountPatchFailed, message: message)
        }
        for (verb, reason, outcome) in [
            ("created", EventReason.secretCreated, SecretWriter.Outcome.created), ("updated", .secretUpdated, .updated),
        ] {
            let namespaces = writes.secrets.filter { $0.value == outcome }.map(\.key)
            if !namespaces.isEmpty {
                events.append(.init(type: .normal, reason: reason, message: summary(verb, facts.secretName, namespaces)))
            }
        }

        let expiresAt = writes.tokens.map(\.expiresAt).min() ?? facts.now
        let obtainedAt = writes.tokens.map(\.obtainedAt).min() ?? facts.now
        let plan = policy.plan(
            now: facts.now, lastRefresh: obtainedAt, refreshInterval: writes.refreshInterval, expiresAt: expiresAt,
            jitterUnit: writes.jitterUnit)
        let observation = StatusComputation.Observation(
            generation: facts.generation, registries: writes.tokens.map(\.credential.host).sorted(),
            obtainedAt: obtainedAt, expiresAt: expiresAt, nextRefresh: plan.nextRefresh,
            expiryInPast: plan.expiryInPast, outcomes: outcomes, clusterScoped: facts.clusterScoped)
        // Transient write failures retry with backoff; conflicts and missing namespaces wait for a change.
        let transient = outcomes.values.contains {
            if case .failed(let reason, _) = $0 { reason == .secretWriteFailed || reason == .serviceAccountPatchFailed }
            else { false }
        }
        // A write the API server throttled waits as long as it asked.
        let retryAfter = writes.secrets.values.compactMap { outcome -> Duration? in
            if case .failed(_, let retryAfter) = outcome { retryAfter } else { nil }
        }.max()
        let next: Next =
            transient
            ? .retry(.init(message: "some namespaces failed; retrying", retryAfter: retryAfter))
            : .requeueAfter(.milliseconds(Int64(plan.delay * 1000)))
        return .init(observation: observation, events: events, next: next, expiresAt: expiresAt)
    }

    /// `Secret ecr-login created in a, b, c, d, e and 2 more`.
    static func summary(_ verb: String, _ secretName: String, _ namespaces: [String]) -> String {
        let sorted = namespaces.sorted()
        let shown = sorted.prefix(5).joined(separator: ", ")
        let more = sorted.count > 5 ? " and \(sorted.count - 5) more" : ""
        return "Secret \(secretName) \(verb) in \(shown)\(more)"
    }
}

extension ReconcileDecision {
    init(observation: StatusComputation.Observation, events: [Event], next: Next) {
        self.init(observation: observation, events: events, next: next, expiresAt: nil)
    }
}

/// The error a reconcile throws to be retried with backoff; `message` is safe to log.
struct ReconcileRetry: Error, Sendable, Hashable, CustomStringConvertible, RetryHinting {
    var message: String
    var retryAfter: Duration?

    init(message: String, retryAfter: Duration? = nil) {
        self.message = message
        self.retryAfter = retryAfter
    }

    var description: String { message }
}
