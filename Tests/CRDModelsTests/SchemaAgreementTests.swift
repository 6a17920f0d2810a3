import Foundation
import Testing
import Yams

@testable import CRDModels

/// The CRD manifests in `config/crd`, the Swift models and the samples in `config/samples` describe the same API.
@Suite("CRD schema agrees with the models")
struct SchemaAgreementTests {
    enum Kind: String, CaseIterable, Sendable {
        case namespaced = "AWSECRImagePullSecret"
        case cluster = "ClusterAWSECRImagePullSecret"

        var descriptor: ResourceDescriptor {
            switch self {
            case .namespaced: AWSECRImagePullSecret.resource
            case .cluster: ClusterAWSECRImagePullSecret.resource
            }
        }

        var file: String { "config/crd/\(descriptor.group)_\(descriptor.plural).yaml" }

        /// A fully populated instance, encoded.
        func fixture() throws -> JSONValue {
            switch self {
            case .namespaced: try JSONValue(encoding: Fixtures.namespaced)
            case .cluster: try JSONValue(encoding: Fixtures.cluster)
            }
        }

        /// Optionals the fixture leaves nil on purpose: core metadata, and for the namespaced kind the
        /// cluster-only status fields (its CRD has no such fields, so the API server would prune them).
        func fixtureNilPaths() -> [String] {
            switch self {
            case .namespaced: nilOptionalPaths(Fixtures.namespaced)
            case .cluster: nilOptionalPaths(Fixtures.cluster)
            }
        }

        var expectedFixtureNilPaths: Set<String> {
            self == .namespaced ? ["status.namespaces", "status.failedNamespaces"] : []
        }

        func crd() throws -> JSONValue {
            let documents = try RepoFiles.documents(RepoFiles.url(file))
            try #require(documents.count == 1)
            return try jsonValue(documents[0])
        }

        func schema() throws -> JSONValue {
            let version = try #require(crd()["spec"]?["versions"]?.arrayValue?.first)
            return try #require(version["schema"]?["openAPIV3Schema"])
        }
    }

    // MARK: names, scope, subresources, printer columns

    @Test(arguments: Kind.allCases)
    func crdNamesMatchTheDescriptor(kind: Kind) throws {
        let crd = try kind.crd()
        let descriptor = kind.descriptor
        #expect(crd["apiVersion"] == .string("apiextensions.k8s.io/v1"))
        #expect(crd["kind"] == .string("CustomResourceDefinition"))
        #expect(crd["metadata"]?["name"] == .string("\(descriptor.plural).\(descriptor.group)"))
        let spec = try #require(crd["spec"])
        #expect(spec["group"] == .string(descriptor.group))
        #expect(spec["scope"] == .string(descriptor.namespaced ? "Namespaced" : "Cluster"))
        let names = try #require(spec["names"])
        #expect(names["kind"] == .string(descriptor.kind))
        #expect(names["listKind"] == .string(descriptor.kind + "List"))
        #expect(names["plural"] == .string(descriptor.plural))
        #expect(names["singular"] == .string(descriptor.kind.lowercased()))
        #expect(names["shortNames"] == .array([.string(kind == .namespaced ? "aeps" : "caeps")]))
        #expect(names["categories"] == .array([.string("ecr")]))
        let versions = try #require(spec["versions"]?.arrayValue)
        #expect(versions.count == 1)
        #expect(versions[0]["name"] == .string(descriptor.version))
        #expect(versions[0]["served"] == .bool(true))
        #expect(versions[0]["storage"] == .bool(true))
        #expect(versions[0]["subresources"]?["status"] == .object([:]))
    }

    @Test(arguments: Kind.allCases)
    func printerColumnsPointAtSchemaFields(kind: Kind) throws {
        let version = try #require(kind.crd()["spec"]?["versions"]?.arrayValue?.first)
        let columns = try #require(version["additionalPrinterColumns"]?.arrayValue)
        let expected =
            kind == .cluster
            ? ["Secret", "Namespaces", "Ready", "Reason", "Expires", "Next Refresh", "Age"]
            : ["Secret", "Ready", "Reason", "Expires", "Next Refresh", "Age"]
        #expect(columns.compactMap { $0["name"]?.stringValue } == expected)
        let fields = try schemaFieldPaths(kind.schema())
        for column in columns {
            let jsonPath = try #require(column["jsonPath"]?.stringValue)
            // `.status.conditions[?(@.type=="Ready")].status` names the field `status.conditions[].status`.
            let field = jsonPath.dropFirst().replacing(#/\[\?\(@\.type=="[A-Za-z]+"\)\]/#, with: "[]")
            if field != "metadata.creationTimestamp" {
                #expect(fields.contains(String(field)), "column \(column) points at no schema field")
            }
        }
        let ready = columns.first { $0["name"] == .string("Ready") }
        #expect(ready?["jsonPath"] == .string(#".status.conditions[?(@.type=="Ready")].status"#))
        #expect(ConditionType.ready.rawValue == "Ready")
    }

    // MARK: fields

    @Test(arguments: Kind.allCases)
    func fixturesAreFullyPopulated(kind: Kind) {
        let nilPaths = Set(kind.fixtureNilPaths().filter { !$0.hasPrefix("metadata") })
        #expect(nilPaths == kind.expectedFixtureNilPaths)
    }

    @Test(arguments: Kind.allCases)
    func everyModelFieldIsInTheSchemaAndViceVersa(kind: Kind) throws {
        let schema = try kind.schema()
        // metadata is the core ObjectMeta; the CRD may only constrain metadata.name there.
        let schemaFields = schemaFieldPaths(schema).filter { !$0.hasPrefix("metadata.") }
        let modelFields = try valueFieldPaths(kind.fixture(), schema: schema).filter { !$0.hasPrefix("metadata.") }
        #expect(modelFields.subtracting(schemaFields).sorted() == [], "model fields missing from the schema")
        #expect(schemaFields.subtracting(modelFields).sorted() == [], "schema fields missing from the model")
        #expect(modelFields.contains("spec.awsAccess.secretRef.sessionTokenKey"))
        #expect(modelFields.contains("status.conditions[].lastTransitionTime"))
        #expect(modelFields.contains("status.namespaces.summary") == (kind == .cluster))
        #expect(modelFields.contains("spec.namespaceSelector.matchExpressions[].operator") == (kind == .cluster))
    }

    @Test(arguments: Kind.allCases)
    func fullyPopulatedFixturesSatisfyTheSchema(kind: Kind) throws {
        let checker = try StructuralSchemaChecker(schema: kind.schema())
        #expect(try checker.violations(of: kind.fixture()) == [])
    }

    @Test(arguments: Kind.allCases)
    func schemaIsStructural(kind: Kind) throws {
        var untyped: [String] = []
        func walk(_ node: JSONValue, _ path: String) {
            if node["type"] == nil { untyped.append(path) }
            for (key, child) in node["properties"]?.objectValue ?? [:] { walk(child, "\(path).\(key)") }
            if let items = node["items"] { walk(items, "\(path)[]") }
            if let additional = node["additionalProperties"], additional.objectValue != nil {
                walk(additional, "\(path){}")
            }
        }
        walk(try kind.schema(), "")
        #expect(untyped == [])
        // The CRD may constrain only name/generateName inside metadata.
        let metadata = try #require(kind.schema()["properties"]?["metadata"]?["properties"]?.objectValue)
        #expect(Set(metadata.keys).isSubset(of: ["name", "generateName"]))
        #expect(try kind.schema()["properties"]?["metadata"]?["properties"]?["name"]?["maxLength"] == .number(63))
    }

    // MARK: patterns agree with the Swift validators

    /// Schema patterns are the validators' own patterns, so admission by the API server and by the webhook
    /// accept the same names.
    @Test(arguments: Kind.allCases)
    func schemaPatternsAreTheValidatorsPatterns(kind: Kind) throws {
        let spec = try #require(kind.schema()["properties"]?["spec"])
        let access = try #require(spec["properties"]?["awsAccess"]?["properties"])
        #expect(access["region"]?["pattern"] == .string(AWSPartition.regionPattern))
        #expect(spec["properties"]?["registries"]?["items"]?["properties"]?["region"]?["pattern"]
            == .string(AWSPartition.regionPattern))
        #expect(spec["properties"]?["secretName"]?["pattern"] == .string(Formats.Pattern.dns1123Subdomain))
        #expect(spec["properties"]?["registries"]?["items"]?["properties"]?["accountID"]?["pattern"]
            == .string(Formats.Pattern.accountID))
        #expect(access["secretRef"]?["properties"]?["name"]?["pattern"] == .string(Formats.Pattern.dns1123Subdomain))
        #expect(access["secretRef"]?["properties"]?["namespace"]?["pattern"] == .string(Formats.Pattern.dns1123Label))
        for key in ["accessKeyIdKey", "secretAccessKeyKey", "sessionTokenKey"] {
            #expect(access["secretRef"]?["properties"]?[key]?["pattern"] == .string(Formats.Pattern.secretKey))
        }
        if kind == .cluster {
            #expect(spec["properties"]?["namespaces"]?["items"]?["pattern"] == .string(Formats.Pattern.dns1123Label))
            #expect(access["secretRef"]?["required"] == .array([.string("name"), .string("namespace")]))
        }
    }

    static let regionCorpus = [
        "us-east-1", "eu-central-2", "ap-southeast-12", "cn-north-1", "cn-northwest-1", "us-gov-west-1",
        "mars-1", "us-gov-1", "us-east-123", "US-EAST-1", "us-east", "us-iso-east-1", "xx-east-1", "",
    ]

    @Test func regionPatternAcceptsExactlyTheValidatorsRegions() throws {
        let regex = try Regex(AWSPartition.regionPattern)
        for region in Self.regionCorpus {
            #expect((region.firstMatch(of: regex) != nil) == (AWSPartition(region: region) != nil), "\(region)")
        }
    }

    @Test(arguments: Kind.allCases)
    func otherSchemaPatternsAgreeWithTheValidators(kind: Kind) throws {
        let access = try #require(kind.schema()["properties"]?["spec"]?["properties"]?["awsAccess"]?["properties"])
        let rolePattern = try Regex(try #require(access["roleARN"]?["pattern"]?.stringValue))
        let roles = [
            "arn:aws:iam::210987654321:role/ecr-pull", "arn:aws-cn:iam::210987654321:role/a/b/c+d",
            "arn:aws-us-gov:iam::210987654321:role/r", "arn:aws:iam::210987654321:user/u", "arn:aws:iam::2109:role/r",
            "arn:aws:iam::210987654321:role/", "arn:aws:iam::210987654321:role/" + String(repeating: "r", count: 65),
            "arn:aws:iam::210987654321:role//r", "arn:aws-x:iam::210987654321:role/r",
        ]
        for role in roles {
            #expect((role.firstMatch(of: rolePattern) != nil) == (Formats.rolePartition(role) != nil), "\(role)")
        }
        let externalPattern = try Regex(try #require(access["externalID"]?["pattern"]?.stringValue))
        for id in ["ab", "tenant-42:x/y", "a", "a b", "ü-ü"] {
            #expect((id.firstMatch(of: externalPattern) != nil) == Formats.isExternalID(id), "\(id)")
        }
        #expect("".firstMatch(of: externalPattern) != nil)  // empty means unset
        let subdomain = try Regex(Formats.Pattern.dns1123Subdomain)
        let label = try Regex(Formats.Pattern.dns1123Label)
        for name in ["a", "a.b", "a-b.c-d", "A", "-a", "a-", "a..b", ".a", "a_b", "1x"] {
            #expect((name.firstMatch(of: subdomain) != nil) == Formats.isDNS1123Subdomain(name), "\(name)")
            #expect((name.firstMatch(of: label) != nil) == Formats.isDNS1123Label(name), "\(name)")
        }
        let spec = try #require(kind.schema()["properties"]?["spec"]?["properties"])
        let interval = try Regex(try #require(spec["refreshInterval"]?["pattern"]?.stringValue))
        for text in ["6h", "1h30m", "10m", "1.5h", "90s", "500ms", "2µs", "1d", "6", "h", "-1h", "1h 30m"] {
            // The schema accepts a subset of Go's syntax (no sign, no bare fraction); all of it parses.
            if text.firstMatch(of: interval) != nil {
                #expect(GoDuration(text).duration != nil, "\(text)")
            }
        }
        #expect("1h30m".firstMatch(of: interval) != nil)
        #expect("1d".firstMatch(of: interval) == nil)
    }

    // MARK: samples

    struct Sample {
        var file: String
        var node: Node
        var json: JSONValue
        var kind: String
    }

    static func samples() throws -> [Sample] {
        try RepoFiles.yamlFiles(in: "config/samples").flatMap { file in
            try RepoFiles.documents(file).map { node in
                let json = try jsonValue(node)
                return Sample(
                    file: file.lastPathComponent, node: node, json: json, kind: json["kind"]?.stringValue ?? "")
            }
        }
    }

    @Test func everySampleDecodesValidatesAndSatisfiesTheSchema() throws {
        let samples = try Self.samples()
        let namespacedChecker = try StructuralSchemaChecker(schema: Kind.namespaced.schema())
        let clusterChecker = try StructuralSchemaChecker(schema: Kind.cluster.schema())
        var namespaced: [String: AWSECRImagePullSecret] = [:]
        var cluster: [String: ClusterAWSECRImagePullSecret] = [:]
        for sample in samples {
            let report: ValidationReport
            switch sample.kind {
            case Kind.namespaced.rawValue:
                let resource = try YAMLDecoder().decode(AWSECRImagePullSecret.self, from: sample.node)
                #expect(try JSONValue(encoding: resource) == sample.json, "\(sample.file) does not round-trip")
                #expect(namespacedChecker.violations(of: sample.json) == [], "\(sample.file)")
                report = resource.validate(ambientPolicy: .clusterOnly)
                namespaced[sample.file] = resource
            case Kind.cluster.rawValue:
                let resource = try YAMLDecoder().decode(ClusterAWSECRImagePullSecret.self, from: sample.node)
                #expect(try JSONValue(encoding: resource) == sample.json, "\(sample.file) does not round-trip")
                #expect(clusterChecker.violations(of: sample.json) == [], "\(sample.file)")
                report = resource.validate(ambientPolicy: .clusterOnly)
                cluster[sample.file] = resource
            default:
                #expect(sample.kind == "Secret" && sample.json["apiVersion"] == .string("v1"), "\(sample.file)")
                continue
            }
            #expect(report.errors == [], "\(sample.file)")
            // Only the migration sample shows a warning, on purpose: its inline keys.
            #expect(report.warnings.isEmpty == (sample.file != "legacy-inline-keys.yaml"), "\(sample.file)")
        }

        // The samples issue 2 asks for.
        #expect(namespaced["namespaced-secretref.yaml"]?.spec.awsAccess.credentialSource == .secretRef)
        #expect(cluster["cluster-namespace-selector.yaml"]?.spec.namespaceSelector != nil)
        let multi = try #require(namespaced["multi-registry-multi-region.yaml"])
        #expect(multi.spec.tokenRegions.count > 1)
        #expect(Set(multi.spec.resolvedRegistries.compactMap(\.accountID)).count > 1)
        #expect(cluster["cluster-ambient-identity.yaml"]?.spec.usesAmbientCredentials == true)
        #expect(namespaced["legacy-inline-keys.yaml"]?.spec.awsAccess.credentialSource == .inline)
        #expect(samples.contains { $0.file == "credentials-secret.yaml" })
    }

    @Test func samplesAreListedInTheirKustomization() throws {
        let kustomization = try jsonValue(
            try #require(RepoFiles.documents(RepoFiles.url("config/samples/kustomization.yaml")).first))
        let listed = Set(kustomization["resources"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        #expect(listed == Set(try RepoFiles.yamlFiles(in: "config/samples").map(\.lastPathComponent)))
        let crds = try jsonValue(
            try #require(RepoFiles.documents(RepoFiles.url("config/crd/kustomization.yaml")).first))
        #expect(Set(crds["resources"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            == Set(try RepoFiles.yamlFiles(in: "config/crd").map(\.lastPathComponent)))
    }

    // MARK: the checker itself rejects what the API server would

    /// A merge patch setting `value` at the dotted `path`.
    static func patch(_ path: String, _ value: JSONValue) -> JSONValue {
        path.split(separator: ".").reversed().reduce(value) { .object([String($1): $0]) }
    }

    static let readyCondition: JSONValue = .object([
        "type": .string("Ready"), "status": .string("Yes"), "reason": .string("SecretsSynced"),
        "message": .string(""), "lastTransitionTime": .string("2026-11-22T10:00:00Z"),
    ])

    static let schemaViolations: [(String, JSONValue, String)] = [
        ("missing secretName", patch("spec.secretName", .null), "required field secretName"),
        ("accountID 11 digits", patch("spec.registries", .array([.object(["accountID": .string("12345678901")])])),
         "spec.registries[0].accountID"),
        ("accountID as number", patch("spec.registries", .array([.object(["accountID": .number(123456789012)])])),
         "expected string"),
        ("unknown field", patch("spec.awsAcess", .object([:])), "spec.awsAcess: unknown field"),
        ("region", patch("spec.awsAccess.region", .string("mars-1")), "does not match"),
        ("ecrPublic string", patch("spec.ecrPublic", .string("yes")), "expected boolean"),
        ("label value number", patch("spec.secretTemplate.labels.a", .number(1)),
         "spec.secretTemplate.labels.a: expected string"),
        ("negative generation", patch("status.observedGeneration", .number(-1)), "below minimum"),
        ("condition status", patch("status.conditions", .array([readyCondition])), "is not one of"),
        ("bad time", patch("status.expiresAt", .string("tomorrow")), "not an RFC 3339 date-time"),
        ("long name", patch("metadata.name", .string(String(repeating: "n", count: 64))), "maxLength 63"),
    ]

    @Test(arguments: 0..<schemaViolations.count)
    func checkerRejectsInvalidDocuments(index: Int) throws {
        let (name, patch, expected) = Self.schemaViolations[index]
        let sample = try #require(Self.samples().first { $0.file == "namespaced-secretref.yaml" })
        let checker = try StructuralSchemaChecker(schema: Kind.namespaced.schema())
        #expect(checker.violations(of: sample.json) == [])
        let problems = checker.violations(of: sample.json.mergePatched(with: patch))
        #expect(problems.contains { $0.contains(expected) }, "\(name): \(problems)")
    }

    @Test func clusterSchemaRejectsASelectorOperatorTypo() throws {
        let sample = try #require(Self.samples().first { $0.file == "cluster-namespace-selector.yaml" })
        let checker = try StructuralSchemaChecker(schema: Kind.cluster.schema())
        let typo = Self.patch(
            "spec.namespaceSelector.matchExpressions",
            .array([.object(["key": .string("team"), "operator": .string("Equals")])]))
        #expect(checker.violations(of: sample.json.mergePatched(with: typo)).contains { $0.contains("is not one of") })
        let noNamespace = Self.patch("spec.awsAccess.secretRef.namespace", .null)
        #expect(checker.violations(of: sample.json.mergePatched(with: noNamespace)).contains {
            $0.contains("required field namespace")
        })
    }
}
