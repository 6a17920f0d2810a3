/// Condition types written on both kinds.
public enum ConditionType: String, Codable, Hashable, Sendable, CaseIterable {
    /// Every target Secret holds a valid token.
    case ready = "Ready"
    /// The AWS calls (AssumeRole, GetAuthorizationToken) work with the configured credentials.
    case credentialsValid = "CredentialsValid"
    /// Some target namespaces failed while others are fine (cluster kind).
    case degraded = "Degraded"
}

/// `metav1.ConditionStatus`.
public enum ConditionStatus: String, Codable, Hashable, Sendable, CaseIterable {
    case `true` = "True"
    case `false` = "False"
    case unknown = "Unknown"
}

/// Machine-readable condition reasons (PascalCase, as `metav1.Condition` requires).
public enum ConditionReason: String, Codable, Hashable, Sendable, CaseIterable {
    /// Ready=True: every target Secret is current.
    case secretsSynced = "SecretsSynced"
    /// Ready=False / Degraded=True: some namespaces synced, some failed.
    case partiallySynced = "PartiallySynced"
    /// Degraded=False: no namespace failed.
    case allNamespacesSynced = "AllNamespacesSynced"
    /// CredentialsValid=True: a token was issued.
    case tokenIssued = "TokenIssued"
    /// ECR GetAuthorizationToken (or ECR Public) failed.
    case tokenRequestFailed = "TokenRequestFailed"
    /// sts:AssumeRole failed.
    case assumeRoleFailed = "AssumeRoleFailed"
    /// The Secret named by `awsAccess.secretRef` does not exist.
    case credentialsSecretMissing = "CredentialsSecretMissing"
    /// The credentials Secret exists but lacks a key or holds an empty value.
    case credentialsSecretInvalid = "CredentialsSecretInvalid"
    /// Reading the credentials Secret failed (API server unreachable, 5xx, 403): retried with backoff.
    case credentialsSecretReadFailed = "CredentialsSecretReadFailed"
    /// No credential source and the operator's policy forbids its own identity for this resource.
    case ambientCredentialsNotAllowed = "AmbientCredentialsNotAllowed"
    /// A Secret of the target name exists and is not owned by this resource (and not marked for adoption).
    case secretConflict = "SecretConflict"
    /// A namespace listed in `spec.namespaces` does not exist.
    case namespaceMissing = "NamespaceMissing"
    /// Writing the target Secret failed.
    case secretWriteFailed = "SecretWriteFailed"
    /// Patching a ServiceAccount's imagePullSecrets failed.
    case serviceAccountPatchFailed = "ServiceAccountPatchFailed"
    /// The spec fails validation (the webhook was bypassed or the rules tightened).
    case invalidSpec = "InvalidSpec"
    /// The cluster kind selects no namespace.
    case noTargetNamespaces = "NoTargetNamespaces"
    /// The token's expiry is already in the past (clock skew or an emulator): refresh is floored.
    case tokenExpiryInPast = "TokenExpiryInPast"
}

/// Reasons of the Kubernetes Events emitted on the custom resources.
public enum EventReason: String, Codable, Hashable, Sendable, CaseIterable {
    case secretCreated = "SecretCreated"
    case secretUpdated = "SecretUpdated"
    case tokenRequestFailed = "TokenRequestFailed"
    case secretWriteFailed = "SecretWriteFailed"
    case secretConflict = "SecretConflict"
    case credentialsSecretMissing = "CredentialsSecretMissing"
    case ambientCredentialsNotAllowed = "AmbientCredentialsNotAllowed"
}

extension Condition {
    /// A condition built from the typed enums.
    public init(
        type: ConditionType, status: ConditionStatus, reason: ConditionReason, message: String,
        observedGeneration: Int64? = nil, lastTransitionTime: String
    ) {
        self.init(
            type: type.rawValue, status: status.rawValue, observedGeneration: observedGeneration,
            lastTransitionTime: lastTransitionTime, reason: reason.rawValue, message: message)
    }

    public var conditionType: ConditionType? { ConditionType(rawValue: type) }
    public var conditionStatus: ConditionStatus? { ConditionStatus(rawValue: status) }
    public var conditionReason: ConditionReason? { ConditionReason(rawValue: reason) }
}
