import Foundation
import Testing
import Yams

@testable import CRDModels

@Suite("Model coding")
struct ModelCodingTests {
    @Test func descriptorsNameGroupVersionPluralAndScope() {
        #expect(AWSECRImagePullSecret.resource.apiVersion == "ecr.pullsecrets.dev/v1alpha1")
        #expect(AWSECRImagePullSecret.resource.plural == "awsecrimagepullsecrets")
        #expect(AWSECRImagePullSecret.resource.namespaced)
        #expect(ClusterAWSECRImagePullSecret.resource.kind == "ClusterAWSECRImagePullSecret")
        #expect(ClusterAWSECRImagePullSecret.resource.plural == "clusterawsecrimagepullsecrets")
        #expect(!ClusterAWSECRImagePullSecret.resource.namespaced)
        #expect(Fixtures.cluster.apiVersion == "ecr.pullsecrets.dev/v1alpha1")
        #expect(Fixtures.cluster.kind == "ClusterAWSECRImagePullSecret")
    }

    @Test func fullyPopulatedResourcesRoundTrip() throws {
        let namespaced = try JSONDecoder().decode(
            AWSECRImagePullSecret.self, from: JSONEncoder().encode(Fixtures.namespaced))
        #expect(namespaced == Fixtures.namespaced)
        let cluster = try JSONDecoder().decode(
            ClusterAWSECRImagePullSecret.self, from: JSONEncoder().encode(Fixtures.cluster))
        #expect(cluster == Fixtures.cluster)
    }

    @Test func nilFieldsAreOmittedNotNull() throws {
        let minimal = AWSECRImagePullSecret(
            metadata: ObjectMeta(name: "x", namespace: "y"),
            spec: AWSECRImagePullSecretSpec(secretName: "s", awsAccess: AWSAccess(region: "us-east-1")),
            status: ImagePullSecretStatus(conditions: []))
        let text = try #require(String(data: JSONEncoder().encode(minimal), encoding: .utf8))
        #expect(!text.contains("null"))
        let object = try #require(JSONValue(encoding: minimal).objectValue)
        #expect(Set(object.keys) == ["apiVersion", "kind", "metadata", "spec", "status"])
        #expect(Set(try #require(object["spec"]?.objectValue).keys) == ["secretName", "awsAccess"])
        #expect(Set(try #require(object["spec"]?["awsAccess"]?.objectValue).keys) == ["region"])

        let bare = ClusterAWSECRImagePullSecret(
            metadata: ObjectMeta(name: "x"),
            spec: ClusterAWSECRImagePullSecretSpec(secretName: "s", awsAccess: AWSAccess(region: "us-east-1")))
        let bareText = try #require(String(data: JSONEncoder().encode(bare), encoding: .utf8))
        #expect(!bareText.contains("null"))
        #expect(!bareText.contains("status"))
    }

    @Test func decodesTheDesignDocumentExample() throws {
        let yaml = """
            apiVersion: ecr.pullsecrets.dev/v1alpha1
            kind: AWSECRImagePullSecret
            metadata: {name: team-registry, namespace: team-a}
            spec:
              secretName: ecr-login
              awsAccess:
                region: us-west-2
                secretRef: {name: aws-creds}
                roleARN: arn:aws:iam::210987654321:role/ecr-pull
                externalID: ""
              registries:
                - accountID: "123456789012"
                - accountID: "210987654321"
                  region: eu-west-1
              ecrPublic: false
              refreshInterval: 6h
              serviceAccounts: [default]
            status:
              observedGeneration: 4
              conditions:
                - {type: Ready, status: "True", reason: SecretsSynced, message: ok,
                   lastTransitionTime: "2026-11-22T10:00:00Z", observedGeneration: 4}
              expiresAt: "2026-11-22T22:00:00Z"
            """
        let resource = try YAMLDecoder().decode(AWSECRImagePullSecret.self, from: yaml)
        #expect(resource.spec.awsAccess.secretRef?.resolvedAccessKeyIdKey == "AWS_ACCESS_KEY_ID")
        #expect(resource.spec.awsAccess.secretRef?.resolvedSessionTokenKey == "AWS_SESSION_TOKEN")
        #expect(resource.spec.awsAccess.effectiveExternalID == nil)
        #expect(resource.spec.refreshInterval?.duration == .seconds(6 * 3600))
        #expect(resource.spec.tokenRegions == ["us-west-2", "eu-west-1"])
        #expect(resource.status?.condition(.ready)?.conditionReason == .secretsSynced)
        #expect(resource.spec.awsAccess.credentialSource == .secretRef)
    }

    @Test func defaultRegistryIsTheCallersAccountInTheAccessRegion() {
        let spec = AWSECRImagePullSecretSpec(secretName: "s", awsAccess: AWSAccess(region: "eu-central-1"))
        #expect(spec.resolvedRegistries == [ResolvedRegistry(accountID: nil, region: "eu-central-1")])
        #expect(spec.usesAmbientCredentials)
    }

    @Test func namespaceCountsKeepTheirSummaryInStep() throws {
        var counts = NamespaceCounts(desired: 12, synced: 11)
        #expect(counts.summary == "11/12")
        counts.synced = 12
        #expect(counts.summary == "12/12")
        let object = try JSONValue(encoding: counts)
        #expect(object["summary"] == .string("12/12"))
    }

    @Test func labelsNameTheOwner() {
        #expect(Labels.owned(by: Fixtures.namespaced) == [
            "app.kubernetes.io/managed-by": "ecr-pullsecret-operator",
            "ecr.pullsecrets.dev/owner-kind": "AWSECRImagePullSecret",
            "ecr.pullsecrets.dev/owner-name": "team-registry",
            "ecr.pullsecrets.dev/owner-namespace": "team-a",
        ])
        #expect(Labels.owned(by: Fixtures.cluster)[Labels.ownerNamespace] == nil)
        #expect(
            Labels.ownedSelector(by: Fixtures.cluster)
                == "app.kubernetes.io/managed-by=ecr-pullsecret-operator,"
                + "ecr.pullsecrets.dev/owner-kind=ClusterAWSECRImagePullSecret,"
                + "ecr.pullsecrets.dev/owner-name=all-teams")
        #expect(Annotations.expiresAt == "ecr.pullsecrets.dev/expires-at")
        #expect(Annotations.adopt == "ecr.pullsecrets.dev/adopt")
    }
}
