import CRDModels
import FoundationEssentials

/// What one reconcile of a resource found out, phase by phase (validate, credentials, tokens, writes).
/// Each phase runs only when the one before it succeeded, so the facts end at the first phase that
/// stopped. `ReconcileDecision.decide` turns them into what the user sees.
struct ReconcileFacts: Sendable, Hashable {
    var generation: Int64?
    /// The cluster kind reports namespace counts and `Degraded`.
    var clusterScoped: Bool
    var secretName: String
    var now: Date
    var progress: Progress

    enum Progress: Sendable, Hashable {
        /// The spec breaks a rule: nothing was called.
        case invalidSpec([FieldViolation])
        /// The credentials could not be resolved: no AWS call was made.
        case credentialsFailed(CredentialsFailure)
        /// AWS gave no token: no Secret was written.
        case tokensFailed(TokenSourceError)
        /// Tokens were obtained and every target namespace was attempted.
        case written(Writes)
    }

    /// The token obtained and what writing it produced, namespace by namespace.
    struct Writes: Sendable, Hashable {
        var tokens: [IssuedToken]
        /// Listed but absent namespaces: reported, not written.
        var missingNamespaces: [String]
        var secrets: [String: SecretWriter.Outcome]
        /// ServiceAccount patch failures by namespace (a namespace whose Secret is in place).
        var serviceAccountFailures: [String: String]
        /// `spec.refreshInterval`, or the operator's default.
        var refreshInterval: TimeInterval
        /// A number in `[0, 1)` that spreads refreshes: random in production, fixed in tests.
        var jitterUnit: Double
    }
}

/// Why `spec.awsAccess` gave no credentials. `message` is safe to show (no secret values).
struct CredentialsFailure: Error, Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable {
        /// The referenced Secret does not exist.
        case secretMissing
        /// The Secret (or the inline keys) lacks a key or holds an empty value.
        case secretInvalid
        /// The API server did not answer the read (unreachable, 5xx, 403): says nothing about the Secret.
        case secretUnreadable
    }

    var kind: Kind
    var message: String
    /// How long the API server asked us to wait, if it said.
    var retryAfter: Duration?

    var description: String { message }
}
