import AsyncTestSupport
import CRDModels
import Foundation
import KubeClient
import KubeTestSupport
import Logging
import Testing
import Webhook

/// The claim lookup from informer caches, fed by the real KubeClient and libcurl from the API test server:
/// no request reaches the API server on the admission path, reviews wait for no LIST, denials name only what
/// the requester may know, and until the caches sync the webhook denies with a message that says so.
@Suite(.serialized)
struct CachedSecretClaimLookupTests {
    static let crdDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/crd").path

    func decide(
        _ webhook: AdmissionWebhook, _ object: [String: Any], _ kind: WebhookKind
    ) async throws -> AdmissionResponse {
        let response = webhook.review(Reviews.body(kind: kind, object: object), kind: kind)
        let body = try #require(response.bodyData)
        return try #require(try JSONDecoder().decode(AdmissionReview.self, from: body).response)
    }

    @Test func reviewsAreDecidedFromTheCacheWithoutAPIRequests() async throws {
        let server = try await KubeAPITestServer.start(tls: false, token: "test-token")
        try server.installCRDs(fromDirectory: Self.crdDirectory)
        let config = try KubeConfig.parse(yaml: try server.kubeconfigYAML(), directory: "/tmp")
        var logger = Logger(label: "test.webhook")
        logger.logLevel = .critical
        let client = KubeClient(config: config, logger: logger)
        for name in ["team-a", "team-b", "team-c"] { _ = try await client.create(Namespace(metadata: .init(name: name))) }
        _ = try await client.create(
            try JSONDecoder().decode(
                AWSECRImagePullSecret.self, from: JSONSerialization.data(withJSONObject: Reviews.namespaced(name: "first"))))
        _ = try await client.create(
            try JSONDecoder().decode(
                ClusterAWSECRImagePullSecret.self,
                from: JSONSerialization.data(
                    withJSONObject: Reviews.cluster(name: "platform", secretName: "platform-login", namespaces: ["team-c"]))))

        // The API server refuses the lists: the cache cannot sync, and the webhook denies, saying why.
        server.injectFault(method: "GET", pathContains: "awsecrimagepullsecrets?", status: 500, count: 1000)
        let lookup = CachedSecretClaimLookup(client: client, namespace: nil, logger: logger)
        let webhook = AdmissionWebhook(ambientPolicy: .clusterOnly, claims: lookup, logger: logger)
        let running = Task { await lookup.run() }
        defer { running.cancel() }
        let unsynced = try await decide(webhook, Reviews.namespaced(name: "second", secretName: "free"), .namespaced)
        #expect(!unsynced.allowed)
        #expect(unsynced.status?.message.contains("has not synced with the API server yet") == true)
        #expect(!lookup.hasSynced)

        server.clearFaults()
        #expect(await lookup.waitUntilSynced(timeout: .seconds(20)))

        // Requests other than the informers' watches: lists and gets.
        func reads() -> Int {
            server.requestCount(method: "GET", pathContains: "awsecrimagepullsecrets")
                - server.requestCount(method: "GET", pathContains: "watch=")
        }
        let readsBefore = reads()
        let duplicate = try await decide(webhook, Reviews.namespaced(name: "second"), .namespaced)
        #expect(!duplicate.allowed)
        // Same namespace: the requester may know the other resource, so it is named.
        #expect(duplicate.status?.message.contains("already claimed by AWSECRImagePullSecret team-a/first") == true)
        // A cluster resource's claim on the requester's namespace: named only as "another resource".
        let underCluster = try await decide(
            webhook, Reviews.namespaced(name: "c", namespace: "team-c", secretName: "platform-login"), .namespaced)
        #expect(!underCluster.allowed)
        #expect(underCluster.status?.message.contains(#""team-c" is already claimed by another resource"#) == true)
        #expect(underCluster.status?.message.contains("ClusterAWSECRImagePullSecret") == false)
        // A cluster resource overlapping a tenant's claim learns nothing of the tenant's resource.
        let overTenant = try await decide(webhook, Reviews.cluster(namespaces: ["team-a", "team-b"]), .cluster)
        #expect(!overTenant.allowed)
        #expect(overTenant.status?.message.contains("first") == false)
        for index in 0..<50 {
            let free = try await decide(
                webhook, Reviews.namespaced(name: "n\(index)", secretName: "free-\(index)"), .namespaced)
            #expect(free.allowed)
        }
        #expect(reads() == readsBefore, "no request reached the API server on the admission path")

        // The watch keeps the cache current: a resource created now is seen by the next review.
        _ = try await client.create(
            try JSONDecoder().decode(
                AWSECRImagePullSecret.self,
                from: JSONSerialization.data(withJSONObject: Reviews.namespaced(name: "late", namespace: "team-b"))))
        await expectEventually {
            try await !decide(webhook, Reviews.namespaced(name: "other", namespace: "team-b"), .namespaced).allowed
        }
        // And a resource deleted now frees its Secret name for the next review (the index drops its claim).
        try await client.delete(AWSECRImagePullSecret.self, name: "late", namespace: "team-b")
        await expectEventually {
            try await decide(webhook, Reviews.namespaced(name: "other", namespace: "team-b"), .namespaced).allowed
        }
        // Namespaces the index does not hold have no claims.
        #expect(try lookup.namespacedClaims(in: "team-z").isEmpty)
        #expect(try lookup.namespacedClaims(in: "team-a").map(\.name) == ["first"])
        running.cancel()
        await server.shutdown()
    }
}
