@testable import CRDModels

/// Fully populated instances of both kinds: every optional field set, so encoding them shows every key
/// the models can write (used by the round-trip tests and the schema agreement test).
enum Fixtures {
    static let condition = Condition(
        type: .ready, status: .true, reason: .secretsSynced, message: "2 registries, 1 namespace",
        observedGeneration: 4, lastTransitionTime: "2026-11-22T10:00:00Z")

    static let fullStatus = ImagePullSecretStatus(
        observedGeneration: 4, conditions: [condition],
        registries: ["123456789012.dkr.ecr.us-west-2.amazonaws.com"], lastRefreshTime: "2026-11-22T10:00:00Z",
        expiresAt: "2026-11-22T22:00:00Z", nextRefreshTime: "2026-11-22T16:00:00Z",
        namespaces: NamespaceCounts(desired: 12, synced: 11),
        failedNamespaces: [FailedNamespace(namespace: "ns7", reason: .secretConflict, message: "not ours")])

    /// The namespaced kind's status: the shared status without its cluster-only fields.
    static let namespacedStatus: ImagePullSecretStatus = {
        var status = fullStatus
        status.namespaces = nil
        status.failedNamespaces = nil
        return status
    }()

    static let fullAccess = AWSAccess(
        region: "us-west-2",
        secretRef: CredentialsSecretRef(
            name: "aws-creds", namespace: "team-a", accessKeyIdKey: "id", secretAccessKeyKey: "secret",
            sessionTokenKey: "session"),
        accessKeyId: "AKIAEXAMPLE", secretAccessKey: "example", roleARN: "arn:aws:iam::210987654321:role/ecr-pull",
        externalID: "ext-id")

    static let fullMetadata = ObjectMeta(
        name: "team-registry", namespace: "team-a", labels: ["a": "b"], annotations: ["c": "d"])

    static let namespaced = AWSECRImagePullSecret(
        metadata: fullMetadata,
        spec: AWSECRImagePullSecretSpec(
            secretName: "ecr-login", awsAccess: fullAccess,
            registries: [RegistrySpec(accountID: "123456789012", region: "eu-west-1")], ecrPublic: true,
            refreshInterval: "6h", secretTemplate: SecretTemplate(labels: ["team": "a"], annotations: ["x": "y"]),
            serviceAccounts: ["default"]),
        status: namespacedStatus)

    static let cluster = ClusterAWSECRImagePullSecret(
        metadata: ObjectMeta(name: "all-teams", labels: ["a": "b"]),
        spec: ClusterAWSECRImagePullSecretSpec(
            secretName: "ecr-login", awsAccess: fullAccess,
            registries: [RegistrySpec(accountID: "123456789012", region: "eu-west-1")], ecrPublic: true,
            refreshInterval: "6h", secretTemplate: SecretTemplate(labels: ["team": "a"], annotations: ["x": "y"]),
            serviceAccounts: ["default"], namespaces: ["ns1"],
            namespaceSelector: LabelSelector(
                matchLabels: ["ecr-pull": "true"],
                matchExpressions: [LabelSelectorRequirement(key: "team", operator: "In", values: ["a", "b"])])),
        status: fullStatus)
}
