import CRDModels
import Foundation
import HTTPClient
import HTTPServer
import KubeClient
import Logging
import NIOHTTP1
import Testing
import Webhook

/// The claim lookup through the real KubeClient and libcurl against a small fake API server (plain HTTP on
/// loopback), and the webhook using it end to end.
@Suite(.serialized)
struct KubeSecretClaimLookupTests {
    final class FakeAPI: @unchecked Sendable {
        let lock = NSLock()
        var failing = false
        var paths: [String] = []

        func handle(_ request: HTTPServerRequest) -> HTTPServerResponse {
            let failing = lock.withLock {
                paths.append(request.path)
                return self.failing
            }
            if failing {
                return .json(.internalServerError, Data(#"""
                    {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"etcd is down","reason":"InternalError","code":500}
                    """#.utf8))
            }
            let base = "/apis/ecr.pullsecrets.dev/v1alpha1"
            let items: [[String: Any]]
            switch request.path {
            case base + "/namespaces/team-a/awsecrimagepullsecrets":
                items = [Reviews.namespaced(name: "first")]
            case base + "/awsecrimagepullsecrets":
                items = [Reviews.namespaced(name: "first"), Reviews.namespaced(name: "b-one", namespace: "team-b")]
            case base + "/clusterawsecrimagepullsecrets":
                items = [Reviews.cluster(name: "platform", secretName: "platform-login", namespaces: ["team-c"])]
            default:
                return .json(.notFound, Data(#"{"kind":"Status","apiVersion":"v1","code":404,"reason":"NotFound"}"#.utf8))
            }
            let list: [String: Any] = [
                "apiVersion": "ecr.pullsecrets.dev/v1alpha1", "kind": "List", "metadata": ["resourceVersion": "7"],
                "items": items,
            ]
            return .json(.ok, try! JSONSerialization.data(withJSONObject: list))
        }
    }

    @Test func lookupListsBothKindsAndTheWebhookDeniesADuplicate() async throws {
        let api = FakeAPI()
        let apiServer = HTTPServer(configuration: HTTPServerConfiguration(port: 0)) { api.handle($0) }
        let apiTask = Task { try await apiServer.run() }
        let apiPort = try await apiServer.localPort()
        let client = KubeClient(
            config: KubeConfig(server: "http://127.0.0.1:\(apiPort)"), transport: CurlHTTPClient())
        let lookup = KubeSecretClaimLookup(client: client)

        let namespaced = try await lookup.namespacedClaims(in: "team-a")
        #expect(namespaced == [
            SecretClaim(kind: "AWSECRImagePullSecret", name: "first", namespace: "team-a", secretName: "ecr-login",
                        targetNamespaces: ["team-a"])
        ])
        let cluster = try await lookup.clusterClaims()
        #expect(cluster.map(\.targetNamespaces) == [["team-c"]])

        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let webhook = AdmissionWebhook(ambientPolicy: .clusterOnly, claims: lookup, logger: logger)
        func decide(_ object: [String: Any], _ kind: WebhookKind) async throws -> AdmissionResponse? {
            let response = await webhook.review(Reviews.body(kind: kind, object: object), kind: kind)
            return try JSONDecoder().decode(AdmissionReview.self, from: try #require(response.bodyData)).response
        }
        let duplicate = try await decide(Reviews.namespaced(name: "second"), .namespaced)
        #expect(duplicate?.allowed == false)
        #expect(duplicate?.status?.message.contains("already managed by AWSECRImagePullSecret team-a/first") == true)
        let clusterOverlap = try await decide(Reviews.cluster(namespaces: ["team-b", "team-x"]), .cluster)
        #expect(clusterOverlap?.status?.message.contains("AWSECRImagePullSecret team-b/b-one") == true)
        #expect(try await decide(Reviews.namespaced(name: "second", secretName: "free"), .namespaced)?.allowed == true)

        api.lock.withLock { api.failing = true }
        let failed = try await decide(Reviews.namespaced(name: "third"), .namespaced)
        #expect(failed?.allowed == false)
        #expect(failed?.status?.message.contains("listing resources failed") == true)
        #expect(failed?.status?.message.contains("etcd is down") == true)
        #expect(api.lock.withLock { api.paths.contains("/apis/ecr.pullsecrets.dev/v1alpha1/awsecrimagepullsecrets") })

        apiServer.shutdownGracefully()
        _ = try? await apiTask.value
    }
}
