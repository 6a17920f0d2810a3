import CRDModels
import Foundation
import Logging
import OperatorTestSupport
import Testing

@testable import KubeClient
@testable import Operator

/// The namespaced reconciler against the in-memory API: the objects it leaves behind, no server.
@Suite struct NamespacedReconcilerTests {
    let api = InMemoryObjectAPI()
    let tokens = FakeTokenSource()

    /// A reconciler whose resource cache holds the resource as the API has it now.
    func reconciler() throws -> NamespacedReconciler {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let cache = ObjectStore<AWSECRImagePullSecret>()
        _ = cache.replace(with: [try #require(api.stored(AWSECRImagePullSecret.self, name: "reg", namespace: "team"))])
        return NamespacedReconciler(
            dependencies: ReconcilerDependencies(
                api: api, tokens: tokens, events: nil, settings: OperatorSettings(watchSecrets: false), logger: logger,
                caches: .init(namespacedResources: cache)))
    }

    func seedResource() throws -> AWSECRImagePullSecret {
        try api.seed(
            Secret(
                metadata: ObjectMeta(name: "aws-creds", namespace: "team"),
                data: ["AWS_ACCESS_KEY_ID": Data("AKIAEXAMPLE0001".utf8), "AWS_SECRET_ACCESS_KEY": Data("s".utf8)]))
        var resource = AWSECRImagePullSecret(
            metadata: ObjectMeta(name: "reg", namespace: "team"),
            spec: .init(secretName: "ecr-login", awsAccess: .init(region: "us-west-2", secretRef: .init(name: "aws-creds"))))
        resource.metadata.generation = 1
        return try api.seed(resource)
    }

    @Test func writesTheSecretAndReadyStatus() async throws {
        _ = try seedResource()
        let result = try await reconciler().reconcile(key: "team/reg")
        guard case .requeueAfter = result else { Issue.record("expected a requeue, got \(result)"); return }
        let secret = try #require(api.stored(Secret.self, name: "ecr-login", namespace: "team"))
        #expect(secret.type == "kubernetes.io/dockerconfigjson")
        #expect(secret.metadata.labels?[Labels.managedBy] == Labels.managedByValue)
        let config = try JSONSerialization.jsonObject(with: try #require(secret.data?[".dockerconfigjson"]))
        let auths = (config as? [String: Any])?["auths"] as? [String: Any]
        #expect(auths?.keys.sorted() == ["123456789012.dkr.ecr.us-west-2.amazonaws.com"])
        let status = try #require(api.stored(AWSECRImagePullSecret.self, name: "reg", namespace: "team")?.status)
        #expect(status.condition(.ready)?.reason == "SecretsSynced")
        #expect(status.observedGeneration == 1)
        #expect(tokens.lastCredentials == "AKIAEXAMPLE0001")
    }

    /// The API server failing the credentials read is retried and reported as such, never as an invalid Secret.
    @Test func apiFailureReadingCredentialsIsReportedAsAReadFailure() async throws {
        _ = try seedResource()
        api.fail("get", "secrets", name: "aws-creds", with: KubeAPIError(code: .serverError, message: "etcd timeout", httpStatus: 500))
        let reconciler = try reconciler()
        await #expect(throws: ReconcileRetry.self) { try await reconciler.reconcile(key: "team/reg") }
        let ready = api.stored(AWSECRImagePullSecret.self, name: "reg", namespace: "team")?.status?.condition(.ready)
        #expect(ready?.reason == "CredentialsSecretReadFailed")
        #expect(ready?.message.contains("etcd timeout") == true)
        #expect(tokens.calls == 0)
        #expect(api.stored(Secret.self, name: "ecr-login", namespace: "team") == nil)
    }
}
