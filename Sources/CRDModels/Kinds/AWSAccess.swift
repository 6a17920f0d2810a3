/// Where AWS credentials come from, and which region the token is for.
///
/// At most one source: `secretRef` (preferred), inline `accessKeyId`/`secretAccessKey` (accepted for
/// migration from the earlier operator; the webhook warns), or neither, which means the operator's own
/// identity ("ambient": IRSA, Pod Identity, environment, IMDS), allowed only where the admin allows it.
public struct AWSAccess: Codable, Hashable, Sendable {
    /// Region of the token and of the default registry, e.g. `us-west-2`, `cn-north-1`, `us-gov-west-1`.
    public var region: String
    public var secretRef: CredentialsSecretRef?
    /// Inline access key id (migration path). Never echoed in status, events or logs.
    public var accessKeyId: String?
    /// Inline secret access key (migration path). Never echoed in status, events or logs.
    public var secretAccessKey: String?
    /// Optional role assumed with `sts:AssumeRole` on top of the source.
    public var roleARN: String?
    /// Optional external id for the AssumeRole call; only with `roleARN`. Empty means unset.
    public var externalID: String?

    public init(
        region: String, secretRef: CredentialsSecretRef? = nil, accessKeyId: String? = nil,
        secretAccessKey: String? = nil, roleARN: String? = nil, externalID: String? = nil
    ) {
        self.region = region
        self.secretRef = secretRef
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.roleARN = roleARN
        self.externalID = externalID
    }

    /// Which kind of credential source the spec names (assuming it is valid).
    public enum CredentialSource: Hashable, Sendable {
        case secretRef
        case inline
        case ambient
    }

    public var credentialSource: CredentialSource {
        // `if case`, not `secretRef != nil`: that resolves to `Optional`'s `Equatable` `!=`, which copies the reference
        // (retaining each of its strings) to compare it with `nil`; this runs on every admission review.
        if case .some = secretRef { return .secretRef }
        if accessKeyId != nil || secretAccessKey != nil { return .inline }
        return .ambient
    }

    /// `externalID` with the empty string treated as unset.
    public var effectiveExternalID: String? {
        guard let externalID, !externalID.isEmpty else { return nil }
        return externalID
    }
}

/// A Secret holding AWS keys. Key names default to the standard environment variable names.
public struct CredentialsSecretRef: Codable, Hashable, Sendable {
    public static let defaultAccessKeyIdKey = "AWS_ACCESS_KEY_ID"
    public static let defaultSecretAccessKeyKey = "AWS_SECRET_ACCESS_KEY"
    public static let defaultSessionTokenKey = "AWS_SESSION_TOKEN"

    public var name: String
    /// Required for the cluster kind; for the namespaced kind it may only repeat the resource's namespace.
    public var namespace: String?
    public var accessKeyIdKey: String?
    public var secretAccessKeyKey: String?
    /// The session token key is optional in the Secret: if the key is absent, no session token is used.
    public var sessionTokenKey: String?

    public init(
        name: String, namespace: String? = nil, accessKeyIdKey: String? = nil, secretAccessKeyKey: String? = nil,
        sessionTokenKey: String? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.accessKeyIdKey = accessKeyIdKey
        self.secretAccessKeyKey = secretAccessKeyKey
        self.sessionTokenKey = sessionTokenKey
    }

    public var resolvedAccessKeyIdKey: String { accessKeyIdKey ?? Self.defaultAccessKeyIdKey }
    public var resolvedSecretAccessKeyKey: String { secretAccessKeyKey ?? Self.defaultSecretAccessKeyKey }
    public var resolvedSessionTokenKey: String { sessionTokenKey ?? Self.defaultSessionTokenKey }
}

/// One ECR registry: an account, optionally in another region than `awsAccess.region`.
public struct RegistrySpec: Codable, Hashable, Sendable {
    /// 12-digit AWS account id (a string: leading zeros matter).
    public var accountID: String
    public var region: String?

    public init(accountID: String, region: String? = nil) {
        self.accountID = accountID
        self.region = region
    }
}

/// Metadata stamped on every target Secret. Cannot set the operator's own labels and annotations.
public struct SecretTemplate: Codable, Hashable, Sendable {
    public var labels: [String: String]?
    public var annotations: [String: String]?

    public init(labels: [String: String]? = nil, annotations: [String: String]? = nil) {
        self.labels = labels
        self.annotations = annotations
    }
}
