import CRDModels
import Foundation
import HTTPClient
import HTTPServer
import KubeTestSupport
import Logging
import Testing
@testable import Webhook

/// Lookup whose claims and failure mode the test sets per request.
final class ScriptedLookup: SecretClaimLookup, @unchecked Sendable {
    private let lock = NSLock()
    private var claims: [SecretClaim] = []
    private var failing = false

    func set(_ claims: [SecretClaim], failing: Bool = false) {
        lock.withLock {
            self.claims = claims
            self.failing = failing
        }
    }

    struct Down: Error, CustomStringConvertible {
        var description: String { "the API server answered 503" }
    }

    func namespacedClaims(in namespace: String?) throws -> [SecretClaim] {
        let (claims, failing) = lock.withLock { (self.claims, self.failing) }
        if failing { throw Down() }
        return claims.filter { $0.namespace != nil && (namespace == nil || $0.namespace == namespace) }
    }

    func clusterClaims() throws -> [SecretClaim] {
        let (claims, failing) = lock.withLock { (self.claims, self.failing) }
        if failing { throw Down() }
        return claims.filter { $0.namespace == nil }
    }
}

/// A webhook over HTTPS on loopback per ambient policy, with the project's libcurl client.
struct WebhookFixture {
    let certificates: TestCertificates
    let servers: [AmbientCredentialsPolicy: (HTTPServer, Task<Void, any Error>, Int)]
    let lookup: ScriptedLookup
    let client: CurlHTTPClient

    static func start(maxBodyBytes: Int = 3 * 1024 * 1024) async throws -> WebhookFixture {
        let certificates = try TestCertificates.makeCA()
        let pair = try certificates.server()
        try pair.writeTLSPair(to: certificates.directory + "/serving")
        var logger = Logger(label: "test.webhook")
        logger.logLevel = .critical
        let lookup = ScriptedLookup()
        var servers: [AmbientCredentialsPolicy: (HTTPServer, Task<Void, any Error>, Int)] = [:]
        for policy in [AmbientCredentialsPolicy.clusterOnly, .all, .none] {
            let store = try CertificateStore(directory: certificates.directory + "/serving", logger: logger)
            let server = WebhookServer.make(
                configuration: HTTPServerConfiguration(port: 0, tls: store, maxBodyBytes: maxBodyBytes, name: "webhook"),
                ambientPolicy: policy, claims: lookup, logger: logger)
            let task = Task { try await server.run() }
            servers[policy] = (server, task, try await server.localPort())
        }
        let client = CurlHTTPClient(
            configuration: .init(tls: TLSConfiguration(caPEM: certificates.ca.certificatePEM), maxConnectionsPerHost: 8))
        return WebhookFixture(certificates: certificates, servers: servers, lookup: lookup, client: client)
    }

    func url(_ path: String, policy: AmbientCredentialsPolicy = .clusterOnly) -> String {
        "https://localhost:\(servers[policy]!.2)\(path)"
    }

    func post(_ body: Data, path: String, policy: AmbientCredentialsPolicy = .clusterOnly) async throws -> HTTPResponse {
        try await client.send(
            HTTPRequest(
                method: "POST", url: url(path, policy: policy),
                headers: [HTTPHeader("Content-Type", "application/json")], body: body, timeout: .seconds(10)))
    }

    func stop() async {
        for (server, task, _) in servers.values {
            server.shutdownGracefully()
            _ = try? await task.value
        }
        certificates.remove()
    }
}

@Suite(.serialized)
struct AdmissionWebhookHTTPSTests {
    @Test func everyRuleAllowedAndDeniedOverHTTPS() async throws {
        let fixture = try await WebhookFixture.start()
        for testCase in AdmissionCases.all {
            fixture.lookup.set(testCase.existing)
            let uid = UUID().uuidString
            let response = try await fixture.post(
                testCase.body(uid: uid), path: testCase.kind.path, policy: testCase.policy)
            #expect(response.status == 200, "\(testCase.name)")
            #expect(response.header("Content-Type") == "application/json")
            let review = try JSONDecoder().decode(AdmissionReview.self, from: response.body)
            #expect(review.apiVersion == "admission.k8s.io/v1")
            #expect(review.kind == "AdmissionReview")
            let admission = try #require(review.response, "\(testCase.name)")
            try AdmissionReviewerTests.check(admission, testCase, uid: uid)
        }
        await fixture.stop()
    }

    @Test func lookupFailureDeniesOverHTTPS() async throws {
        let fixture = try await WebhookFixture.start()
        fixture.lookup.set([], failing: true)
        let response = try await fixture.post(
            Reviews.body(kind: .namespaced, object: Reviews.namespaced(), uid: "u1"),
            path: WebhookKind.namespaced.path)
        let review = try JSONDecoder().decode(AdmissionReview.self, from: response.body)
        #expect(review.response?.allowed == false)
        #expect(review.response?.status?.message.contains("the API server answered 503") == true)
        // DELETE needs no lookup and still passes.
        let delete = try await fixture.post(
            Reviews.body(kind: .namespaced, operation: "DELETE", object: nil, old: Reviews.namespaced(), uid: "u2"),
            path: WebhookKind.namespaced.path)
        #expect(try JSONDecoder().decode(AdmissionReview.self, from: delete.body).response?.allowed == true)
        await fixture.stop()
    }

    @Test func badRequestsGetJSONErrors() async throws {
        let fixture = try await WebhookFixture.start(maxBodyBytes: 64 * 1024)
        struct Message: Decodable { var message: String }
        let cases: [(Data, String, Int, String)] = [
            (Data("{oops".utf8), WebhookKind.namespaced.path, 400, "not an AdmissionReview"),
            (Data(#"{"apiVersion":"admission.k8s.io/v1","kind":"Pod"}"#.utf8), WebhookKind.cluster.path, 400,
             "kind must be AdmissionReview"),
            (Reviews.body(kind: .namespaced, object: Reviews.namespaced(), reviewVersion: "admission.k8s.io/v1beta1"),
             WebhookKind.namespaced.path, 400, "not supported"),
            (Reviews.body(kind: .namespaced, object: Reviews.namespaced()), WebhookKind.cluster.path, 400,
             "validates ClusterAWSECRImagePullSecret"),
            (Data(), "/nope", 404, "no handler"),
        ]
        for (body, path, status, fragment) in cases {
            let response = try await fixture.post(body, path: path)
            #expect(response.status == status, "\(path) \(fragment)")
            let message = try JSONDecoder().decode(Message.self, from: response.body).message
            #expect(message.contains(fragment), "\(message)")
        }
        let get = try await fixture.client.send(HTTPRequest(url: fixture.url(WebhookKind.namespaced.path)))
        #expect(get.status == 405)
        #expect(get.header("Allow") == "POST")
        let health = try await fixture.client.send(HTTPRequest(url: fixture.url("/healthz")))
        #expect(health.status == 200)
        #expect(String(decoding: health.body, as: UTF8.self) == "ok\n")
        // An oversized review: 413 before the handler sees it.
        var huge = Reviews.namespaced()
        huge["metadata"] = ["name": "x", "namespace": "team-a",
                            "annotations": ["pad": String(repeating: "p", count: 128 * 1024)]]
        let tooBig = try await fixture.post(Reviews.body(kind: .namespaced, object: huge), path: WebhookKind.namespaced.path)
        #expect(tooBig.status == 413)
        await fixture.stop()
    }

    @Test func curlCommandGetsADecisionToo() async throws {
        let fixture = try await WebhookFixture.start()
        let body = Reviews.body(kind: .cluster, object: Reviews.cluster(awsAccess: ["region": "us-west-2"]), uid: "curl-1")
        let result = try await Command.run(
            "curl",
            ["-sS", "--cacert", fixture.certificates.ca.certificatePath, "-H", "Content-Type: application/json",
             "--data-binary", "@-", fixture.url(WebhookKind.cluster.path, policy: .none)],
            stdin: body)
        #expect(result.status == 0, "\(result.stderr)")
        let review = try JSONDecoder().decode(AdmissionReview.self, from: Data(result.stdout.utf8))
        #expect(review.response?.uid == "curl-1")
        #expect(review.response?.allowed == false)
        #expect(review.response?.status?.code == 403)
        await fixture.stop()
    }

    @Test func thousandSequentialAndHundredConcurrentReviews() async throws {
        let fixture = try await WebhookFixture.start()
        fixture.lookup.set([AdmissionCases.otherTeamA])
        let allowed = Reviews.body(kind: .namespaced, object: Reviews.namespaced(secretName: "free"), uid: "seq")
        var ok = 0
        for _ in 0..<1000 {
            let response = try await fixture.post(allowed, path: WebhookKind.namespaced.path)
            if response.status == 200,
                try JSONDecoder().decode(AdmissionReview.self, from: response.body).response?.allowed == true
            {
                ok += 1
            }
        }
        #expect(ok == 1000)
        let denied = Reviews.body(kind: .namespaced, object: Reviews.namespaced(), uid: "par")
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    let response = try await fixture.post(denied, path: WebhookKind.namespaced.path)
                    let review = try JSONDecoder().decode(AdmissionReview.self, from: response.body)
                    return response.status == 200 && review.response?.allowed == false
                        && review.response?.uid == "par"
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 100 && results.allSatisfy { $0 })
        await fixture.stop()
    }
}
