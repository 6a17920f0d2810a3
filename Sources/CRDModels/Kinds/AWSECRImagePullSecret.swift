/// `AWSECRImagePullSecret` (namespaced): keeps one ECR pull Secret fresh in its own namespace.
public struct AWSECRImagePullSecret: ImagePullSecretResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: APIGroup.name, version: APIGroup.version, kind: "AWSECRImagePullSecret",
        plural: "awsecrimagepullsecrets", namespaced: true)

    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var spec: AWSECRImagePullSecretSpec
    public var status: ImagePullSecretStatus?

    @inlinable
    public init(metadata: ObjectMeta, spec: AWSECRImagePullSecretSpec, status: ImagePullSecretStatus? = nil) {
        self.apiVersion = APIGroup.apiVersion  // a stored string: `resource.apiVersion` builds one per call
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// The desired state of an `AWSECRImagePullSecret`.
///
/// Field names follow the earlier operator of this kind (`secretName`, `awsAccess.{accessKeyId,
/// secretAccessKey,region}`) so its users can move over by changing `apiVersion`.
public struct AWSECRImagePullSecretSpec: ImagePullSecretSpec, Hashable {
    /// Name of the target Secret (DNS-1123 subdomain). Immutable: renaming would orphan the old Secret.
    public var secretName: String
    public var awsAccess: AWSAccess
    /// Registries to log in to; nil or empty means the caller's own account in `awsAccess.region`.
    public var registries: [RegistrySpec]?
    /// Also write credentials for `public.ecr.aws`.
    public var ecrPublic: Bool?
    /// How often to refresh (10m..11h). The refresh is never later than token expiry minus a margin.
    public var refreshInterval: GoDuration?
    /// Metadata stamped on the target Secret.
    public var secretTemplate: SecretTemplate?
    /// ServiceAccounts (in the resource's namespace) whose `imagePullSecrets` should list the Secret.
    public var serviceAccounts: [String]?

    @inlinable
    public init(
        secretName: String, awsAccess: AWSAccess, registries: [RegistrySpec]? = nil, ecrPublic: Bool? = nil,
        refreshInterval: GoDuration? = nil, secretTemplate: SecretTemplate? = nil, serviceAccounts: [String]? = nil
    ) {
        self.secretName = secretName
        self.awsAccess = awsAccess
        self.registries = registries
        self.ecrPublic = ecrPublic
        self.refreshInterval = refreshInterval
        self.secretTemplate = secretTemplate
        self.serviceAccounts = serviceAccounts
    }
}
