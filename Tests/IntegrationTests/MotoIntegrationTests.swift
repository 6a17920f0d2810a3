import AsyncTestSupport
import CRDModels
import Foundation
import KubeClient
import KubeTestSupport
import Logging
import Operator
import Testing

/// The whole path over the real wire: KubeAPITestServer, the operator's runtime, and moto_server
/// answering ECR `GetAuthorizationToken` through ECRAuth's signer, token cache and client.
@Suite(.serialized) struct MotoIntegrationTests {
    static let getToken = "GetAuthorizationToken"

    func tokens(_ moto: MotoServer, harness: OperatorHarness) -> ECRTokenSource {
        ECRTokenSource.make(environment: ["AWS_ENDPOINT_URL": moto.endpoint], logger: harness.logger)
    }

    @Test func namespacedResourceWritesTheExactSecretAndReadyStatus() async throws {
        let moto = try await MotoServer.start()
        defer { stopInBackground(moto) }
        try await withOperatorHarness { harness in
            try await harness.createNamespace("team-a")
            try await harness.createCredentials(namespace: "team-a", keyID: "AKIAIOSFODNN7EXAMPLE")
            try await harness.withOperator(tokens: tokens(moto, harness: harness)) { running in
                _ = try await harness.client.create(
                    AWSECRImagePullSecret(
                        metadata: ObjectMeta(name: "team-registry", namespace: "team-a"),
                        spec: .init(
                            secretName: "ecr-login", awsAccess: .init(region: "us-west-2", secretRef: .init(name: "aws-creds")),
                            secretTemplate: SecretTemplate(labels: ["team": "a"], annotations: ["note": "hello"]))))
                await expectEventually { await harness.secret("team-a", "ecr-login") != nil }
                let secret = try #require(await harness.secret("team-a", "ecr-login"))
                #expect(secret.type == "kubernetes.io/dockerconfigjson")
                let config = try DockerConfigJSON.decode(try #require(secret.data?[".dockerconfigjson"]))
                let host = "123456789012.dkr.ecr.us-west-2.amazonaws.com"
                #expect(Array(config.auths.keys) == [host])
                let entry = try #require(config.auths[host])
                #expect(entry.username == "AWS")
                #expect(entry.password == "123456789012-auth-token")
                #expect(entry.auth == Data("AWS:123456789012-auth-token".utf8).base64EncodedString())
                #expect(secret.metadata.labels?["team"] == "a")
                #expect(secret.metadata.annotations?["note"] == "hello")
                #expect(secret.metadata.annotations?[Annotations.expiresAt] == "2015-01-01T00:00:00Z")

                await expectEventually { await harness.namespaced("team-a", "team-registry")?.status?.condition(.ready)?.status == "True" }
                let resource = try #require(await harness.namespaced("team-a", "team-registry"))
                let status = try #require(resource.status)
                #expect(status.observedGeneration == resource.metadata.generation)
                #expect(status.registries == [host])
                #expect(status.expiresAt == "2015-01-01T00:00:00Z")
                #expect(status.nextRefreshTime != nil)
                // moto's expiry is in the past: the warning condition says so, and the refresh is floored.
                #expect(status.condition(.credentialsValid)?.reason == "TokenExpiryInPast")
                #expect(secret.metadata.ownerReferences?.first?.uid == resource.metadata.uid)
                #expect(moto.requestCount(target: Self.getToken) == 1)
                let signedWith = moto.recordedRequests().compactMap(\.accessKeyID)
                #expect(signedWith == ["AKIAIOSFODNN7EXAMPLE"])
            }
        }
    }

    @Test func clusterResourceUsesTheOperatorsOwnIdentity() async throws {
        let moto = try await MotoServer.start()
        defer { stopInBackground(moto) }
        try await withOperatorHarness { harness in
            try await harness.createNamespace("app")
            // The operator's identity: environment keys (as IRSA or Pod Identity would provide in a cluster).
            let tokens = ECRTokenSource.make(
                environment: [
                    "AWS_ENDPOINT_URL": moto.endpoint, "AWS_ACCESS_KEY_ID": "AKIAOPERATORIDENTITY",
                    "AWS_SECRET_ACCESS_KEY": "operator-secret", "AWS_REGION": "us-west-2",
                ], logger: harness.logger)
            try await harness.withOperator(tokens: tokens) { running in
                _ = try await harness.client.create(
                    ClusterAWSECRImagePullSecret(
                        metadata: ObjectMeta(name: "ambient"),
                        spec: .init(secretName: "ecr-login", awsAccess: .init(region: "us-west-2"), namespaces: ["app"])))
                await expectEventually { await harness.secret("app", "ecr-login") != nil }
                #expect(moto.recordedRequests().compactMap(\.accessKeyID) == ["AKIAOPERATORIDENTITY"])
            }
        }
    }

    @Test func threeResourcesSharingOneCredentialCostOneAWSCall() async throws {
        let moto = try await MotoServer.start()
        defer { stopInBackground(moto) }
        try await withOperatorHarness { harness in
            try await harness.createNamespace("ops")
            try await harness.createCredentials(namespace: "ops")
            for name in ["one", "two", "three"] { try await harness.createNamespace(name) }
            try await harness.withOperator(tokens: tokens(moto, harness: harness)) { running in
                for name in ["one", "two", "three"] {
                    _ = try await harness.client.create(
                        ClusterAWSECRImagePullSecret(
                            metadata: ObjectMeta(name: "shared-\(name)"),
                            spec: .init(
                                secretName: "ecr-\(name)",
                                awsAccess: .init(region: "us-west-2", secretRef: .init(name: "aws-creds", namespace: "ops")),
                                namespaces: ["one", "two", "three"])))
                }
                await expectEventually {
                    var ready = 0
                    for name in ["one", "two", "three"] {
                        if await harness.cluster("shared-\(name)")?.status?.namespaces == NamespaceCounts(desired: 3, synced: 3) {
                            ready += 1
                        }
                    }
                    return ready == 3
                }
                for namespace in ["one", "two", "three"] {
                    for name in ["one", "two", "three"] { #expect(await harness.secret(namespace, "ecr-\(name)") != nil) }
                }
                // 3 resources × 3 namespaces, one credential and one region: one GetAuthorizationToken.
                #expect(moto.requestCount(target: Self.getToken) == 1)
            }
        }
    }
}

extension MotoIntegrationTests {
    /// Issue 12's scale case: 500 resources sharing one credential, each with registries in 2 regions.
    @Test func fiveHundredResourcesSharingOneCredentialInTwoRegionsCostTwoAWSCalls() async throws {
        let moto = try await MotoServer.start()
        defer { stopInBackground(moto) }
        try await withOperatorHarness { harness in
            try await harness.createNamespace("ops")
            try await harness.createCredentials(namespace: "ops")
            try await harness.createNamespace("team")
            let count = 500
            try await harness.withOperator(tokens: tokens(moto, harness: harness)) { running in
                for index in 0..<count {
                    _ = try await harness.client.create(
                        ClusterAWSECRImagePullSecret(
                            metadata: ObjectMeta(name: "shared-\(index)"),
                            spec: .init(
                                secretName: "ecr-\(index)",
                                awsAccess: .init(region: "us-west-2", secretRef: .init(name: "aws-creds", namespace: "ops")),
                                registries: [
                                    .init(accountID: "123456789012", region: "us-west-2"),
                                    .init(accountID: "123456789012", region: "eu-west-1"),
                                ],
                                namespaces: ["team"])))
                }
                let allWritten = await eventually(timeout: .seconds(120)) {
                    harness.server.objects("secrets", namespace: "team").count == count
                }
                #expect(allWritten)
                // One identity, two regions: one GetAuthorizationToken per region for all 500 resources.
                #expect(moto.requestCount(target: Self.getToken) == 2)
            }
        }
    }
}

@Suite(.serialized) struct ECRTokenSourceMotoTests {
    @Test func sharesTokensAndRefetchesOnlyWhenARefreshIsDue() async throws {
        let moto = try await MotoServer.start()
        defer { stopInBackground(moto) }
        let source = ECRTokenSource.make(environment: ["AWS_ENDPOINT_URL": moto.endpoint], logger: Logger(label: "t"))
        let credentials = ResolvedCredentials(
            source: .keys(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI", sessionToken: nil))
        let plan = TokenRequests(
            AWSECRImagePullSecretSpec(
                secretName: "s", awsAccess: .init(region: "us-west-2"),
                registries: [.init(accountID: "111122223333"), .init(accountID: "444455556666", region: "eu-west-1")]))
        let first = try await source.tokens(for: plan, credentials: credentials, notBefore: nil)
        #expect(first.map(\.credential.host).sorted() == [
            "111122223333.dkr.ecr.us-west-2.amazonaws.com", "444455556666.dkr.ecr.eu-west-1.amazonaws.com",
        ])
        #expect(first.allSatisfy { $0.credential.username == "AWS" && !$0.credential.password.isEmpty })
        // One call per region.
        #expect(moto.requestCount(target: "GetAuthorizationToken") == 2)
        _ = try await source.tokens(for: plan, credentials: credentials, notBefore: nil)
        #expect(moto.requestCount(target: "GetAuthorizationToken") == 2)
        // A due refresh asks for tokens newer than the ones held (as the reconciler does: just after
        // the held tokens' time).
        let held = first.map(\.obtainedAt).max()!.addingTimeInterval(0.001)
        try await Task.sleep(for: .milliseconds(5))
        let due = try await source.tokens(for: plan, credentials: credentials, notBefore: held)
        #expect(moto.requestCount(target: "GetAuthorizationToken") == 4)
        #expect(due.allSatisfy { $0.obtainedAt > first[0].obtainedAt })
    }

    @Test func awsErrorsBecomeTokenRequestFailedWithoutSecrets() async throws {
        // Signature checking on, no IAM user: moto refuses the key.
        let moto = try await MotoServer.start(initialNoAuthActionCount: 0)
        defer { stopInBackground(moto) }
        let source = ECRTokenSource.make(environment: ["AWS_ENDPOINT_URL": moto.endpoint], logger: Logger(label: "t"))
        let credentials = ResolvedCredentials(
            source: .keys(accessKeyID: "AKIAUNKNOWNKEY000001", secretAccessKey: "very-secret-value", sessionToken: nil))
        do {
            _ = try await source.tokens(
                for: TokenRequests(AWSECRImagePullSecretSpec(secretName: "s", awsAccess: .init(region: "us-west-2"))),
                credentials: credentials, notBefore: nil)
            Issue.record("an unknown key must fail")
        } catch let error as TokenSourceError {
            #expect(error.reason == .tokenRequestFailed)
            #expect(!error.message.contains("very-secret-value"))
        }
    }

    /// A resource whose own refresh interval is due asks for a token newer than its last one
    /// (`notBefore`); that refreshes its own (identity, region) entry only, never the tokens other
    /// resources share under the same identity.
    @Test func aDueRefreshOfOneRegionKeepsTheIdentitysOtherTokens() async throws {
        let moto = try await MotoServer.start()
        defer { stopInBackground(moto) }
        var logger = Logger(label: "it")
        logger.logLevel = .warning
        let source = ECRTokenSource.make(environment: ["AWS_ENDPOINT_URL": moto.endpoint], logger: logger)
        let keys = ResolvedCredentials(
            source: .keys(accessKeyID: "AKIASHAREDIDENTITY01", secretAccessKey: "shared-secret", sessionToken: nil))
        func request(_ region: String) -> TokenRequests {
            TokenRequests(regional: [.init(region: region, registryIDs: [])], ecrPublic: false)
        }
        let west = try await source.tokens(for: request("us-west-2"), credentials: keys, notBefore: nil)
        _ = try await source.tokens(for: request("eu-west-1"), credentials: keys, notBefore: nil)
        #expect(moto.requestCount(target: "GetAuthorizationToken") == 2)

        // us-west-2's holder wants a token newer than the one it has: one call, for us-west-2.
        let newer = try #require(west.first).obtainedAt.addingTimeInterval(0.001)
        try await Task.sleep(for: .milliseconds(5))
        let refreshed = try await source.tokens(for: request("us-west-2"), credentials: keys, notBefore: newer)
        #expect(try #require(refreshed.first).obtainedAt >= newer)
        #expect(moto.requestCount(target: "GetAuthorizationToken") == 3)

        // eu-west-1's token is still cached: no call.
        _ = try await source.tokens(for: request("eu-west-1"), credentials: keys, notBefore: nil)
        #expect(moto.requestCount(target: "GetAuthorizationToken") == 3)
    }
}
