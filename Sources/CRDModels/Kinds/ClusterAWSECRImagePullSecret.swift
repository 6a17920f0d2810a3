/// `ClusterAWSECRImagePullSecret` (cluster-scoped): keeps one ECR pull Secret fresh in many namespaces,
/// chosen by an explicit list and/or a label selector.
public struct ClusterAWSECRImagePullSecret: ImagePullSecretResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: APIGroup.name, version: APIGroup.version, kind: "ClusterAWSECRImagePullSecret",
        plural: "clusterawsecrimagepullsecrets", namespaced: false)

    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var spec: ClusterAWSECRImagePullSecretSpec
    public var status: ImagePullSecretStatus?

    @inlinable
    public init(
        metadata: ObjectMeta, spec: ClusterAWSECRImagePullSecretSpec, status: ImagePullSecretStatus? = nil
    ) {
        self.apiVersion = APIGroup.apiVersion  // a stored string: `resource.apiVersion` builds one per call
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// The desired state of a `ClusterAWSECRImagePullSecret`: the namespaced spec plus target namespaces.
public struct ClusterAWSECRImagePullSecretSpec: ImagePullSecretSpec, Hashable {
    public var secretName: String
    /// `secretRef.namespace` is required for this kind: there is no "own" namespace to default to.
    public var awsAccess: AWSAccess
    public var registries: [RegistrySpec]?
    public var ecrPublic: Bool?
    public var refreshInterval: GoDuration?
    public var secretTemplate: SecretTemplate?
    /// ServiceAccounts patched in every target namespace.
    public var serviceAccounts: [String]?
    /// Explicit target namespaces; unioned with `namespaceSelector`.
    public var namespaces: [String]?
    /// Namespaces whose labels match are targeted; unioned with `namespaces`. `{}` selects every namespace.
    public var namespaceSelector: LabelSelector?

    @inlinable
    public init(
        secretName: String, awsAccess: AWSAccess, registries: [RegistrySpec]? = nil, ecrPublic: Bool? = nil,
        refreshInterval: GoDuration? = nil, secretTemplate: SecretTemplate? = nil, serviceAccounts: [String]? = nil,
        namespaces: [String]? = nil, namespaceSelector: LabelSelector? = nil
    ) {
        self.secretName = secretName
        self.awsAccess = awsAccess
        self.registries = registries
        self.ecrPublic = ecrPublic
        self.refreshInterval = refreshInterval
        self.secretTemplate = secretTemplate
        self.serviceAccounts = serviceAccounts
        self.namespaces = namespaces
        self.namespaceSelector = namespaceSelector
    }
}
