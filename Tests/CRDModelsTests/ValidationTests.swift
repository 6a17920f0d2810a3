import Testing

@testable import CRDModels

/// A change to a valid resource and what validation must say about it.
struct Case<R: Sendable>: Sendable, CustomTestStringConvertible {
    var name: String
    var change: @Sendable (inout R) -> Void
    /// nil: the changed resource must still be valid.
    var field: String?
    var fragment: String = ""
    var policy: AmbientCredentialsPolicy = .clusterOnly

    var testDescription: String { name }
}

typealias NamespacedCase = Case<AWSECRImagePullSecret>
typealias ClusterCase = Case<ClusterAWSECRImagePullSecret>

enum Base {
    static let namespaced = AWSECRImagePullSecret(
        metadata: ObjectMeta(name: "team-registry", namespace: "team-a"),
        spec: AWSECRImagePullSecretSpec(
            secretName: "ecr-login", awsAccess: AWSAccess(region: "us-west-2", secretRef: .init(name: "aws-creds"))))

    static let cluster = ClusterAWSECRImagePullSecret(
        metadata: ObjectMeta(name: "all-teams"),
        spec: ClusterAWSECRImagePullSecretSpec(
            secretName: "ecr-login",
            awsAccess: AWSAccess(region: "us-west-2", secretRef: .init(name: "aws-creds", namespace: "ops")),
            namespaces: ["ns1"]))
}

private func expect(
    _ report: ValidationReport, field: String?, fragment: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    if let field {
        let matching = report.errors.filter { $0.field == field && $0.message.contains(fragment) }
        #expect(
            !matching.isEmpty, "expected an error at \(field) containing \"\(fragment)\", got \(report.errors)",
            sourceLocation: sourceLocation)
        #expect(!report.isValid, sourceLocation: sourceLocation)
    } else {
        #expect(report.errors.isEmpty, "expected no errors, got \(report.errors)", sourceLocation: sourceLocation)
        #expect(report.isValid, sourceLocation: sourceLocation)
    }
}

/// Rules both kinds share, run against each kind through its own `validate`.
let commonCases: [Case<AWSECRImagePullSecretSpec>] = [
    // secretName: DNS-1123 subdomain.
    .init(name: "secretName dotted subdomain", change: { $0.secretName = "ecr.login-1" }),
    .init(name: "secretName upper case", change: { $0.secretName = "ECR" }, field: "spec.secretName",
          fragment: "\"ECR\" is not a DNS-1123 subdomain"),
    .init(name: "secretName empty", change: { $0.secretName = "" }, field: "spec.secretName", fragment: "DNS-1123"),
    .init(name: "secretName trailing dash", change: { $0.secretName = "a-" }, field: "spec.secretName",
          fragment: "DNS-1123"),
    .init(name: "secretName too long", change: { $0.secretName = String(repeating: "a", count: 254) },
          field: "spec.secretName", fragment: "DNS-1123"),
    // region: a region of aws, aws-cn or aws-us-gov.
    .init(name: "region aws", change: { $0.awsAccess.region = "ap-southeast-5" }),
    .init(name: "region aws-cn", change: { $0.awsAccess.region = "cn-northwest-1" }),
    .init(name: "region aws-us-gov", change: { $0.awsAccess.region = "us-gov-east-1" }),
    .init(name: "region mars", change: { $0.awsAccess.region = "mars-1" }, field: "spec.awsAccess.region",
          fragment: "\"mars-1\" is not an AWS region of the aws, aws-cn or aws-us-gov partitions"),
    .init(name: "region iso", change: { $0.awsAccess.region = "us-iso-east-1" }, field: "spec.awsAccess.region",
          fragment: "is not an AWS region"),
    .init(name: "region upper case", change: { $0.awsAccess.region = "US-EAST-1" }, field: "spec.awsAccess.region",
          fragment: "is not an AWS region"),
    .init(name: "region no number", change: { $0.awsAccess.region = "us-east" }, field: "spec.awsAccess.region",
          fragment: "is not an AWS region"),
    // accountID: 12 digits.
    .init(name: "accountID 12 digits", change: { $0.registries = [.init(accountID: "012345678901")] }),
    .init(name: "accountID 11 digits", change: { $0.registries = [.init(accountID: "12345678901")] },
          field: "spec.registries[0].accountID", fragment: "\"12345678901\" is not an AWS account id (12 digits)"),
    .init(name: "accountID letters", change: { $0.registries = [.init(accountID: "12345678901a")] },
          field: "spec.registries[0].accountID", fragment: "12 digits"),
    // registry region.
    .init(name: "registry region", change: {
        $0.registries = [.init(accountID: "123456789012"), .init(accountID: "123456789012", region: "eu-west-1")]
    }),
    .init(name: "registry region invalid", change: { $0.registries = [.init(accountID: "123456789012", region: "x")] },
          field: "spec.registries[0].region", fragment: "is not an AWS region"),
    .init(name: "registry region other partition",
          change: { $0.registries = [.init(accountID: "123456789012", region: "cn-north-1")] },
          field: "spec.registries[0].region", fragment: "one set of credentials serves one partition"),
    // registries: no duplicates (region resolved against awsAccess.region).
    .init(name: "registries duplicate", change: {
        $0.registries = [.init(accountID: "123456789012"), .init(accountID: "123456789012", region: "us-west-2")]
    }, field: "spec.registries[1]", fragment: "duplicates spec.registries[0] (account 123456789012 in us-west-2)"),
    // credential source: at most one; inline needs both keys.
    .init(name: "inline keys only", change: {
        $0.awsAccess.secretRef = nil
        $0.awsAccess.accessKeyId = "AKIAEXAMPLE"
        $0.awsAccess.secretAccessKey = "s3cr3t"
    }),
    .init(name: "secretRef and inline", change: {
        $0.awsAccess.accessKeyId = "AKIAEXAMPLE"
        $0.awsAccess.secretAccessKey = "s3cr3t"
    }, field: "spec.awsAccess", fragment: "at most one credential source"),
    .init(name: "inline without secret", change: {
        $0.awsAccess.secretRef = nil
        $0.awsAccess.accessKeyId = "AKIAEXAMPLE"
    }, field: "spec.awsAccess.secretAccessKey", fragment: "is required with inline keys"),
    .init(name: "inline without id", change: {
        $0.awsAccess.secretRef = nil
        $0.awsAccess.secretAccessKey = "s3cr3t"
    }, field: "spec.awsAccess.accessKeyId", fragment: "is required with inline keys"),
    .init(name: "inline empty", change: {
        $0.awsAccess.secretRef = nil
        $0.awsAccess.accessKeyId = ""
        $0.awsAccess.secretAccessKey = "s3cr3t"
    }, field: "spec.awsAccess.accessKeyId", fragment: "must not be empty"),
    // secretRef shape.
    .init(name: "secretRef custom keys", change: {
        $0.awsAccess.secretRef?.accessKeyIdKey = "id"
        $0.awsAccess.secretRef?.secretAccessKeyKey = "secret.key"
        $0.awsAccess.secretRef?.sessionTokenKey = "session_token"
    }),
    .init(name: "secretRef name invalid", change: { $0.awsAccess.secretRef?.name = "Aws_Creds" },
          field: "spec.awsAccess.secretRef.name", fragment: "is not a DNS-1123 subdomain"),
    .init(name: "secretRef key invalid", change: { $0.awsAccess.secretRef?.accessKeyIdKey = "a/b" },
          field: "spec.awsAccess.secretRef.accessKeyIdKey", fragment: "is not a valid Secret data key"),
    .init(name: "secretRef keys equal", change: { $0.awsAccess.secretRef?.secretAccessKeyKey = "AWS_ACCESS_KEY_ID" },
          field: "spec.awsAccess.secretRef", fragment: "must name different keys"),
    // roleARN: IAM role ARN of a known partition.
    .init(name: "roleARN", change: { $0.awsAccess.roleARN = "arn:aws:iam::210987654321:role/ecr-pull" }),
    .init(name: "roleARN with path", change: { $0.awsAccess.roleARN = "arn:aws:iam::210987654321:role/ci/ecr+pull" }),
    .init(name: "roleARN china", change: {
        $0.awsAccess.region = "cn-north-1"
        $0.awsAccess.roleARN = "arn:aws-cn:iam::210987654321:role/r"
    }),
    .init(name: "roleARN user", change: { $0.awsAccess.roleARN = "arn:aws:iam::210987654321:user/bob" },
          field: "spec.awsAccess.roleARN", fragment: "is not an IAM role ARN"),
    .init(name: "roleARN unknown partition", change: { $0.awsAccess.roleARN = "arn:aws-mars:iam::210987654321:role/r" },
          field: "spec.awsAccess.roleARN", fragment: "is not an IAM role ARN"),
    .init(name: "roleARN short account", change: { $0.awsAccess.roleARN = "arn:aws:iam::2109876:role/r" },
          field: "spec.awsAccess.roleARN", fragment: "is not an IAM role ARN"),
    .init(name: "roleARN name too long",
          change: { $0.awsAccess.roleARN = "arn:aws:iam::210987654321:role/" + String(repeating: "r", count: 65) },
          field: "spec.awsAccess.roleARN", fragment: "is not an IAM role ARN"),
    .init(name: "roleARN other partition", change: { $0.awsAccess.roleARN = "arn:aws-us-gov:iam::210987654321:role/r" },
          field: "spec.awsAccess.roleARN", fragment: "AssumeRole works only within one partition"),
    // externalID: only with roleARN.
    .init(name: "externalID with roleARN", change: {
        $0.awsAccess.roleARN = "arn:aws:iam::210987654321:role/ecr-pull"
        $0.awsAccess.externalID = "tenant-42"
    }),
    .init(name: "externalID empty without roleARN", change: { $0.awsAccess.externalID = "" }),
    .init(name: "externalID without roleARN", change: { $0.awsAccess.externalID = "tenant-42" },
          field: "spec.awsAccess.externalID", fragment: "is allowed only together with roleARN"),
    .init(name: "externalID malformed", change: {
        $0.awsAccess.roleARN = "arn:aws:iam::210987654321:role/ecr-pull"
        $0.awsAccess.externalID = "x"
    }, field: "spec.awsAccess.externalID", fragment: "must be 2-1224 characters"),
    // refreshInterval: parses, 10m..11h.
    .init(name: "refreshInterval 10m", change: { $0.refreshInterval = "10m" }),
    .init(name: "refreshInterval 11h", change: { $0.refreshInterval = "11h" }),
    .init(name: "refreshInterval 1h30m", change: { $0.refreshInterval = "1h30m" }),
    .init(name: "refreshInterval 9m59s", change: { $0.refreshInterval = "9m59s" }, field: "spec.refreshInterval",
          fragment: "\"9m59s\" is outside the allowed range 10m..11h"),
    .init(name: "refreshInterval 11h1s", change: { $0.refreshInterval = "11h1s" }, field: "spec.refreshInterval",
          fragment: "outside the allowed range"),
    .init(name: "refreshInterval 1d", change: { $0.refreshInterval = "1d" }, field: "spec.refreshInterval",
          fragment: "is not a Go duration"),
    .init(name: "refreshInterval number", change: { $0.refreshInterval = "3600" }, field: "spec.refreshInterval",
          fragment: "is missing a unit"),
    // ecrPublic needs the aws partition.
    .init(name: "ecrPublic aws", change: { $0.ecrPublic = true }),
    .init(name: "ecrPublic china", change: {
        $0.ecrPublic = true
        $0.awsAccess.region = "cn-north-1"
    }, field: "spec.ecrPublic", fragment: "only in the aws partition"),
    // secretTemplate: cannot set the operator's labels/annotations; keys and values well-formed.
    .init(name: "template labels", change: {
        $0.secretTemplate = SecretTemplate(labels: ["team": "a", "example.com/tier": ""], annotations: ["note": "x y"])
    }),
    .init(name: "template managed-by", change: {
        $0.secretTemplate = SecretTemplate(labels: ["app.kubernetes.io/managed-by": "me"])
    }, field: "spec.secretTemplate.labels[app.kubernetes.io/managed-by]", fragment: "is set by the operator"),
    .init(name: "template owner label", change: {
        $0.secretTemplate = SecretTemplate(labels: ["ecr.pullsecrets.dev/owner-name": "x"])
    }, field: "spec.secretTemplate.labels[ecr.pullsecrets.dev/owner-name]", fragment: "is set by the operator"),
    .init(name: "template expires annotation", change: {
        $0.secretTemplate = SecretTemplate(annotations: ["ecr.pullsecrets.dev/expires-at": "never"])
    }, field: "spec.secretTemplate.annotations[ecr.pullsecrets.dev/expires-at]", fragment: "is set by the operator"),
    .init(name: "template label key invalid", change: { $0.secretTemplate = SecretTemplate(labels: ["-bad": "x"]) },
          field: "spec.secretTemplate.labels[-bad]", fragment: "is not a valid label key"),
    .init(name: "template label value invalid", change: { $0.secretTemplate = SecretTemplate(labels: ["k": "a b"]) },
          field: "spec.secretTemplate.labels[k]", fragment: "is not a valid label value"),
    .init(name: "template annotation key invalid",
          change: { $0.secretTemplate = SecretTemplate(annotations: ["a/b/c": "x"]) },
          field: "spec.secretTemplate.annotations[a/b/c]", fragment: "is not a valid annotation key"),
    // serviceAccounts.
    .init(name: "serviceAccounts", change: { $0.serviceAccounts = ["default", "builder"] }),
    .init(name: "serviceAccounts invalid", change: { $0.serviceAccounts = ["Default"] },
          field: "spec.serviceAccounts[0]", fragment: "is not a DNS-1123 subdomain"),
    .init(name: "serviceAccounts duplicate", change: { $0.serviceAccounts = ["default", "default"] },
          field: "spec.serviceAccounts[1]", fragment: "duplicates spec.serviceAccounts[0]"),
]

/// Applies a change written against the namespaced spec to the cluster spec (they share these fields).
func applying(_ change: (inout AWSECRImagePullSecretSpec) -> Void, to spec: ClusterAWSECRImagePullSecretSpec)
    -> ClusterAWSECRImagePullSecretSpec
{
    var common = AWSECRImagePullSecretSpec(
        secretName: spec.secretName, awsAccess: spec.awsAccess, registries: spec.registries, ecrPublic: spec.ecrPublic,
        refreshInterval: spec.refreshInterval, secretTemplate: spec.secretTemplate,
        serviceAccounts: spec.serviceAccounts)
    change(&common)
    var result = spec
    result.secretName = common.secretName
    result.awsAccess = common.awsAccess
    result.registries = common.registries
    result.ecrPublic = common.ecrPublic
    result.refreshInterval = common.refreshInterval
    result.secretTemplate = common.secretTemplate
    result.serviceAccounts = common.serviceAccounts
    return result
}

@Suite("Validation")
struct ValidationTests {
    @Test func baseResourcesAreValid() {
        #expect(Base.namespaced.validate(ambientPolicy: .clusterOnly) == ValidationReport())
        #expect(Base.cluster.validate(ambientPolicy: .clusterOnly) == ValidationReport())
    }

    @Test(arguments: commonCases)
    func commonRuleOnNamespacedKind(_ rule: Case<AWSECRImagePullSecretSpec>) {
        var resource = Base.namespaced
        rule.change(&resource.spec)
        expect(resource.validate(ambientPolicy: rule.policy), field: rule.field, fragment: rule.fragment)
    }

    @Test(arguments: commonCases)
    func commonRuleOnClusterKind(_ rule: Case<AWSECRImagePullSecretSpec>) {
        var resource = Base.cluster
        resource.spec = applying(rule.change, to: resource.spec)
        // The cluster kind requires secretRef.namespace; a case that swaps in a new secretRef keeps it.
        if resource.spec.awsAccess.secretRef != nil { resource.spec.awsAccess.secretRef?.namespace = "ops" }
        expect(resource.validate(ambientPolicy: rule.policy), field: rule.field, fragment: rule.fragment)
    }

    static let namespacedCases: [NamespacedCase] = [
        .init(name: "secretRef namespace is own", change: { $0.spec.awsAccess.secretRef?.namespace = "team-a" }),
        .init(name: "secretRef namespace other", change: { $0.spec.awsAccess.secretRef?.namespace = "kube-system" },
              field: "spec.awsAccess.secretRef.namespace",
              fragment: "may only read credentials from its own namespace"),
        .init(name: "name 63", change: { $0.metadata.name = String(repeating: "n", count: 63) }),
        .init(name: "name 64", change: { $0.metadata.name = String(repeating: "n", count: 64) },
              field: "metadata.name", fragment: "must be at most 63 characters"),
        .init(name: "ambient under cluster-only", change: { $0.spec.awsAccess.secretRef = nil },
              field: "spec.awsAccess", fragment: "--allow-ambient-credentials=all"),
        .init(name: "ambient under all", change: { $0.spec.awsAccess.secretRef = nil }, policy: .all),
        .init(name: "ambient under none", change: { $0.spec.awsAccess.secretRef = nil },
              field: "spec.awsAccess", fragment: "runs with --allow-ambient-credentials=none", policy: .none),
        .init(name: "secretRef under none", change: { _ in }, policy: .none),
    ]

    @Test(arguments: namespacedCases)
    func namespacedScopeRule(_ rule: NamespacedCase) {
        var resource = Base.namespaced
        rule.change(&resource)
        expect(resource.validate(ambientPolicy: rule.policy), field: rule.field, fragment: rule.fragment)
    }

    static let clusterCases: [ClusterCase] = [
        .init(name: "secretRef namespace missing", change: { $0.spec.awsAccess.secretRef?.namespace = nil },
              field: "spec.awsAccess.secretRef.namespace", fragment: "is required for a cluster-scoped resource"),
        .init(name: "secretRef namespace invalid", change: { $0.spec.awsAccess.secretRef?.namespace = "a.b" },
              field: "spec.awsAccess.secretRef.namespace", fragment: "is not a DNS-1123 label"),
        .init(name: "ambient under cluster-only", change: { $0.spec.awsAccess.secretRef = nil }),
        .init(name: "ambient under all", change: { $0.spec.awsAccess.secretRef = nil }, policy: .all),
        .init(name: "ambient under none", change: { $0.spec.awsAccess.secretRef = nil },
              field: "spec.awsAccess", fragment: "--allow-ambient-credentials=cluster-only", policy: .none),
        .init(name: "name 64", change: { $0.metadata.name = String(repeating: "n", count: 64) },
              field: "metadata.name", fragment: "must be at most 63 characters"),
        // namespaces: DNS-1123 labels, no duplicates.
        .init(name: "namespaces several", change: {
            $0.spec.namespaces = ["a", "b-2", String(repeating: "c", count: 63)]
        }),
        .init(name: "namespaces dotted", change: { $0.spec.namespaces = ["a.b"] },
              field: "spec.namespaces[0]", fragment: "\"a.b\" is not a DNS-1123 label"),
        .init(name: "namespaces too long", change: { $0.spec.namespaces = [String(repeating: "c", count: 64)] },
              field: "spec.namespaces[0]", fragment: "is not a DNS-1123 label"),
        .init(name: "namespaces duplicate", change: { $0.spec.namespaces = ["a", "b", "a"] },
              field: "spec.namespaces[2]", fragment: "duplicates spec.namespaces[0]"),
        // at least one of namespaces / namespaceSelector.
        .init(name: "neither", change: { $0.spec.namespaces = nil }, field: "spec",
              fragment: "at least one of namespaces or namespaceSelector"),
        .init(name: "empty list only", change: { $0.spec.namespaces = [] }, field: "spec",
              fragment: "at least one of namespaces or namespaceSelector"),
        .init(name: "selector only", change: {
            $0.spec.namespaces = nil
            $0.spec.namespaceSelector = LabelSelector(matchLabels: ["ecr-pull": "true"])
        }),
        .init(name: "empty selector selects all", change: {
            $0.spec.namespaces = nil
            $0.spec.namespaceSelector = LabelSelector()
        }),
        // namespaceSelector operators and values.
        .init(name: "selector expressions", change: {
            $0.spec.namespaceSelector = LabelSelector(matchExpressions: [
                .init(key: "team", operator: "In", values: ["a", "b"]),
                .init(key: "x", operator: "NotIn", values: ["c"]),
                .init(key: "example.com/y", operator: "Exists"), .init(key: "z", operator: "DoesNotExist", values: []),
            ])
        }),
        .init(name: "selector bad operator", change: {
            $0.spec.namespaceSelector = LabelSelector(matchExpressions: [
                .init(key: "team", operator: "Equals", values: ["a"])
            ])
        }, field: "spec.namespaceSelector.matchExpressions[0].operator", fragment: "is not a selector operator"),
        .init(name: "selector In without values", change: {
            $0.spec.namespaceSelector = LabelSelector(matchExpressions: [.init(key: "team", operator: "In")])
        }, field: "spec.namespaceSelector.matchExpressions[0].values", fragment: "must be non-empty"),
        .init(name: "selector Exists with values", change: {
            $0.spec.namespaceSelector = LabelSelector(matchExpressions: [
                .init(key: "t", operator: "Exists", values: ["a"])
            ])
        }, field: "spec.namespaceSelector.matchExpressions[0].values", fragment: "must be empty"),
        .init(name: "selector bad value", change: {
            $0.spec.namespaceSelector = LabelSelector(matchExpressions: [
                .init(key: "t", operator: "In", values: ["a b"])
            ])
        }, field: "spec.namespaceSelector.matchExpressions[0].values[0]", fragment: "is not a valid label value"),
        .init(name: "selector bad key", change: {
            $0.spec.namespaceSelector = LabelSelector(matchExpressions: [.init(key: "a b", operator: "Exists")])
        }, field: "spec.namespaceSelector.matchExpressions[0].key", fragment: "is not a valid label key"),
        .init(name: "selector bad matchLabels", change: {
            $0.spec.namespaceSelector = LabelSelector(matchLabels: ["k": "-v"])
        }, field: "spec.namespaceSelector.matchLabels[k]", fragment: "is not a valid label value"),
    ]

    @Test(arguments: clusterCases)
    func clusterScopeRule(_ rule: ClusterCase) {
        var resource = Base.cluster
        rule.change(&resource)
        expect(resource.validate(ambientPolicy: rule.policy), field: rule.field, fragment: rule.fragment)
    }

    @Test func reportsEveryViolationAtOnce() {
        var resource = Base.cluster
        resource.spec.secretName = "Bad"
        resource.spec.awsAccess.region = "mars-1"
        resource.spec.namespaces = ["X"]
        resource.spec.refreshInterval = "1m"
        let fields = Set(resource.validate(ambientPolicy: .clusterOnly).errors.map(\.field))
        #expect(fields == ["spec.secretName", "spec.awsAccess.region", "spec.namespaces[0]", "spec.refreshInterval"])
    }

    @Test func violationDescriptionJoinsFieldAndMessage() {
        var resource = Base.namespaced
        resource.spec.awsAccess.region = "mars-1"
        let report = resource.validate(ambientPolicy: .clusterOnly)
        #expect(
            report.errors.map(\.description) == [
                "spec.awsAccess.region: \"mars-1\" is not an AWS region of the aws, aws-cn or aws-us-gov partitions "
                    + "(e.g. us-west-2, cn-north-1, us-gov-west-1)"
            ])
    }

    @Test func inlineKeysWarnWithoutEchoingThem() {
        var resource = Base.namespaced
        resource.spec.awsAccess.secretRef = nil
        resource.spec.awsAccess.accessKeyId = "AKIAIOSFODNN7EXAMPLE"
        resource.spec.awsAccess.secretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        let report = resource.validate(ambientPolicy: .clusterOnly)
        #expect(report.isValid)
        #expect(report.warnings.count == 1)
        for warning in report.warnings {
            #expect(warning.count < 120)
            #expect(warning.contains("inline AWS keys"))
            #expect(!warning.contains("AKIAIOSFODNN7EXAMPLE"))
            #expect(!warning.contains("wJalrXUtnFEMI"))
        }
        var cluster = Base.cluster
        cluster.spec.awsAccess = resource.spec.awsAccess
        #expect(cluster.validate(ambientPolicy: .clusterOnly).warnings == report.warnings)
        #expect(Base.namespaced.validate(ambientPolicy: .clusterOnly).warnings.isEmpty)
    }

    @Test func errorsNeverEchoCredentials() {
        var resource = Base.namespaced
        resource.spec.awsAccess.accessKeyId = "AKIAIOSFODNN7EXAMPLE"
        resource.spec.awsAccess.externalID = "very-private-external-id"
        let report = resource.validate(ambientPolicy: .clusterOnly)
        #expect(report.errors.count == 3)  // both sources, missing secretAccessKey, externalID without role
        #expect(!report.summary.contains("AKIAIOSFODNN7EXAMPLE"))
        #expect(!report.summary.contains("very-private-external-id"))
    }

    @Test func secretNameIsImmutable() {
        var changed = Base.namespaced
        changed.spec.secretName = "other"
        let report = changed.validateUpdate(from: Base.namespaced, ambientPolicy: .clusterOnly)
        #expect(
            report.errors == [
                FieldViolation(
                    field: "spec.secretName",
                    message:
                        "is immutable (was \"ecr-login\", now \"other\"); create a new resource for a new Secret name")
            ])
        var regionChange = Base.namespaced
        regionChange.spec.awsAccess.region = "eu-west-1"
        #expect(regionChange.validateUpdate(from: Base.namespaced, ambientPolicy: .clusterOnly).isValid)

        var cluster = Base.cluster
        cluster.spec.secretName = "other"
        #expect(
            cluster.validateUpdate(from: Base.cluster, ambientPolicy: .clusterOnly).errors.map(\.field)
                == ["spec.secretName"])
        #expect(Base.cluster.validateUpdate(from: Base.cluster, ambientPolicy: .clusterOnly).isValid)
    }

    /// Generic code (the reconcilers, the webhook) reaches the same rules through the protocol.
    @Test func validationIsReachableGenerically() {
        func errors<R: ImagePullSecretResource>(_ resource: R, renamedTo name: String) -> [String] {
            var renamed = resource
            renamed.spec.secretName = name
            return renamed.validateUpdate(from: resource, ambientPolicy: .clusterOnly).errors.map(\.field)
        }
        #expect(errors(Base.namespaced, renamedTo: "other") == ["spec.secretName"])
        #expect(errors(Base.cluster, renamedTo: "Bad") == ["spec.secretName", "spec.secretName"])
    }

    @Test(arguments: [
        ("us-east-1", AWSPartition.aws), ("eu-central-2", .aws), ("il-central-1", .aws), ("mx-central-1", .aws),
        ("cn-north-1", .awsCN), ("us-gov-west-1", .awsUSGov), ("ap-southeast-12", .aws),
    ])
    func partitionOfRegion(region: String, partition: AWSPartition) {
        #expect(AWSPartition(region: region) == partition)
    }

    @Test(arguments: ["mars-1", "us-gov-1", "cn-1", "us-east-123", "us-east-1a", "xx-east-1", "us-gov-west", "",
                      "us--1", "us-east-", "-east-1", "us-iso-east-1"])
    func notARegion(region: String) {
        #expect(AWSPartition(region: region) == nil)
    }
}
