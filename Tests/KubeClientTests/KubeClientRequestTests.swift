import AsyncTestSupport
import CRDModels
import Foundation
import HTTPClient
import Synchronization
import Testing

@testable import KubeClient

/// What the client puts on the wire, checked against a scripted transport. The same operations
/// run against the test server in `KubeClientWireTests`.
@Suite struct KubeClientRequestTests {
    static let secretJSON = #"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s","namespace":"n","resourceVersion":"7"}}"#

    func client(_ transport: FakeTransport, token: String = "t0k") -> KubeClient {
        KubeClient(config: KubeConfig(server: "https://api.test:6443/", auth: .token(token)), transport: transport)
    }

    @Test func getBuildsThePathAndSendsTheToken() async throws {
        let transport = FakeTransport { _ in .json(200, Self.secretJSON) }
        let secret = try await client(transport).get(Secret.self, name: "s", namespace: "n", timeout: .seconds(3))
        #expect(secret.metadata.resourceVersion == "7")
        let request = try #require(transport.requests.first)
        #expect(request.method == "GET")
        #expect(request.url == "https://api.test:6443/api/v1/namespaces/n/secrets/s")
        #expect(request.header("Authorization") == "Bearer t0k")
        #expect(request.header("Accept") == "application/json")
        #expect(request.timeout == .seconds(3))
    }

    @Test func listEncodesSelectorsAndPaging() async throws {
        let transport = FakeTransport { _ in .json(200, #"{"metadata":{"resourceVersion":"9"},"items":[]}"#) }
        let options = ListOptions(
            labelSelector: "app=web,tier!=cache", fieldSelector: "metadata.name=x", limit: 2, continueToken: "c/1=",
            resourceVersion: "")
        let list = try await client(transport).list(Secret.self, namespace: "n", options: options)
        #expect(list.metadata.resourceVersion == "9")
        let url = try #require(transport.requests.first?.url)
        #expect(
            url == "https://api.test:6443/api/v1/namespaces/n/secrets?labelSelector=app%3Dweb%2Ctier%21%3Dcache"
                + "&fieldSelector=metadata.name%3Dx&limit=2&continue=c%2F1%3D&resourceVersion=")
    }

    @Test func listAllFollowsContinueTokens() async throws {
        let transport = FakeTransport { request in
            if request.url.contains("continue=p2") {
                return .json(200, #"{"metadata":{"resourceVersion":"5"},"items":[{"metadata":{"name":"b"}}]}"#)
            }
            return .json(200, #"{"metadata":{"resourceVersion":"5","continue":"p2"},"items":[{"metadata":{"name":"a"}}]}"#)
        }
        let list = try await client(transport).listAll(Namespace.self, pageSize: 1)
        #expect(list.items.map(\.metadata.name) == ["a", "b"])
        #expect(list.metadata.continue == nil)
        #expect(transport.requests.map(\.url) == [
            "https://api.test:6443/api/v1/namespaces?limit=1",
            "https://api.test:6443/api/v1/namespaces?limit=1&continue=p2",
        ])
    }

    @Test func writesUseTheRightVerbsPathsAndBodies() async throws {
        let transport = FakeTransport { request in
            request.method == "DELETE"
                ? .json(200, #"{"kind":"Status","apiVersion":"v1","status":"Success"}"#) : .json(200, Self.secretJSON)
        }
        let client = client(transport)
        var secret = Secret(metadata: ObjectMeta(name: "s", namespace: "n"), data: ["k": Data("v".utf8)])
        _ = try await client.create(secret)
        secret.metadata.resourceVersion = "7"
        _ = try await client.update(secret)
        _ = try await client.updateStatus(secret)
        _ = try await client.patch(
            Secret.self, name: "s", namespace: "n", mergePatch: .object(["metadata": .object(["labels": .object(["a": .null])])]))
        try await client.delete(
            Secret.self, name: "s", namespace: "n", preconditions: DeletePreconditions(uid: "u1", resourceVersion: "7"),
            propagationPolicy: .background)
        let requests = transport.requests
        #expect(requests.map(\.method) == ["POST", "PUT", "PUT", "PATCH", "DELETE"])
        #expect(requests[0].url.hasSuffix("/api/v1/namespaces/n/secrets"))
        #expect(requests[0].bodyJSON?["data"] as? [String: String] == ["k": "dg=="])
        #expect(requests[1].url.hasSuffix("/api/v1/namespaces/n/secrets/s"))
        #expect((requests[1].bodyJSON?["metadata"] as? [String: Any])?["resourceVersion"] as? String == "7")
        #expect(requests[2].url.hasSuffix("/api/v1/namespaces/n/secrets/s/status"))
        #expect(requests[3].header("Content-Type") == "application/merge-patch+json")
        #expect(String(decoding: requests[3].body, as: UTF8.self) == #"{"metadata":{"labels":{"a":null}}}"#)
        let deleteBody = try #require(requests[4].bodyJSON)
        #expect(deleteBody["kind"] as? String == "DeleteOptions")
        #expect(deleteBody["propagationPolicy"] as? String == "Background")
        #expect(deleteBody["preconditions"] as? [String: String] == ["uid": "u1", "resourceVersion": "7"])
    }

    @Test func namespacedKindsNeedANamespace() async throws {
        let transport = FakeTransport()
        await #expect {
            _ = try await client(transport).get(Secret.self, name: "s")
        } throws: { error in
            (error as? KubeAPIError)?.code == .invalidRequest
        }
        await #expect {
            _ = try await client(transport).list(PartialObjectMetadata.self)
        } throws: { error in
            (error as? KubeAPIError)?.code == .invalidRequest
        }
        #expect(transport.requests.isEmpty)
    }

    @Test func metadataListAsksForPartialObjectMetadata() async throws {
        let transport = FakeTransport { _ in
            .json(200, """
                {"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"3"},
                 "items":[{"metadata":{"name":"s","namespace":"n","labels":{"m":"1"}}}]}
                """)
        }
        let list = try await client(transport).listMetadata(
            Secret.resource, namespace: "n", options: ListOptions(labelSelector: "m=1"))
        #expect(list.items.first?.metadata.labels == ["m": "1"])
        #expect(list.items.first?.kind == "PartialObjectMetadata")
        #expect(transport.requests.first?.header("Accept") == KubeClient.metadataListAccept)
    }

    /// A real API server's write answer carries `managedFields` (about a kilobyte): the metadata-only answer is read
    /// without them, every other field kept, and a malformed one still fails the decode at its path.
    @Test func metadataWriteAnswersDropManagedFieldsButCheckThem() async throws {
        @Sendable func answer(_ managedFields: String) -> String {
            #"{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"s","namespace":"n","#
                + #""uid":"u1","resourceVersion":"9","labels":{"m":"1"},"ownerReferences":[{"apiVersion":"ecr.aws/v1","#
                + #""kind":"ClusterAWSECRImagePullSecret","name":"all","uid":"o1","controller":true}],"#
                + #""managedFields":\#(managedFields)}}"#
        }
        let good = #"[{"manager":"m","operation":"Update","fieldsType":"FieldsV1","fieldsV1":{"f:data":{}}}]"#
        let secret = Secret(metadata: ObjectMeta(name: "s", namespace: "n"))
        let metadata = try await client(FakeTransport { _ in .json(200, answer(good)) })
            .updateReturningMetadata(secret)
        var expected = ObjectMeta(
            name: "s", namespace: "n", labels: ["m": "1"],
            ownerReferences: [
                OwnerReference(
                    apiVersion: "ecr.aws/v1", kind: "ClusterAWSECRImagePullSecret", name: "all", uid: "o1",
                    controller: true)
            ], resourceVersion: "9")
        expected.uid = "u1"
        #expect(metadata == expected)
        await #expect {
            _ = try await client(FakeTransport { _ in .json(201, answer(#"{"manager":"m"}"#)) })
                .createReturningMetadata(secret)
        } throws: { error in
            let error = error as? KubeAPIError
            return error?.code == .decoding && error?.message.contains("metadata.managedFields") == true
        }
    }

    @Test func errorsCarryTheServerStatus() async throws {
        let transport = FakeTransport { _ in
            .json(409, #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Operation cannot be fulfilled on secrets \"s\": the object has been modified","reason":"Conflict","details":{"name":"s","kind":"secrets"},"code":409}"#)
        }
        await #expect {
            _ = try await client(transport).update(Secret(metadata: ObjectMeta(name: "s", namespace: "n")))
        } throws: { error in
            guard let error = error as? KubeAPIError else { return false }
            return error.isConflict && error.status?.details?.name == "s" && error.httpStatus == 409
                && error.request == "PUT /api/v1/namespaces/n/secrets/s"
        }
    }

    @Test func transportFailuresAreTransportErrors() async throws {
        let transport = FakeTransport { _ in throw HTTPClientError(code: .timedOut, message: "deadline") }
        await #expect {
            _ = try await client(transport).get(Namespace.self, name: "a")
        } throws: { error in
            (error as? KubeAPIError)?.code == .transport
        }
    }

    @Test func a401WithAFixedTokenIsNotRetried() async throws {
        let transport = FakeTransport { _ in .json(401, #"{"kind":"Status","code":401,"reason":"Unauthorized"}"#) }
        await #expect {
            _ = try await client(transport).get(Namespace.self, name: "a")
        } throws: { error in
            (error as? KubeAPIError)?.isUnauthorized == true
        }
        #expect(transport.requests.count == 1)
    }

    @Test func a401ReReadsTheTokenFileAndRetriesOnce() async throws {
        let dir = try temporaryDirectory()
        let tokenURL = dir.appendingPathComponent("token")
        try "old".write(to: tokenURL, atomically: true, encoding: .utf8)
        let transport = FakeTransport { request in
            if request.header("Authorization") == "Bearer old" {
                try "new".write(to: tokenURL, atomically: true, encoding: .utf8)
                return .json(401, #"{"kind":"Status","code":401,"reason":"Unauthorized"}"#)
            }
            return .json(200, #"{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"a"}}"#)
        }
        let client = KubeClient(
            config: KubeConfig(server: "https://x", auth: .tokenFile(path: tokenURL.path, refreshInterval: .seconds(60))),
            transport: transport)
        _ = try await client.get(Namespace.self, name: "a")
        #expect(transport.requests.map { $0.header("Authorization") } == ["Bearer old", "Bearer new"])
    }

    @Test func limiterBoundsConcurrencyAndServesInOrder() async throws {
        let limiter = RequestLimiter(limit: 2)
        let peak = Locked((current: 0, peak: 0))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    try await limiter.withSlot {
                        peak.withLock { $0.current += 1; $0.peak = max($0.peak, $0.current) }
                        try await Task.sleep(for: .milliseconds(20))
                        peak.withLock { $0.current -= 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(peak.withLock { $0.peak } == 2)
        let usage = await limiter.usage
        #expect(usage.inUse == 0 && usage.waiting == 0)

        // A cancelled waiter leaves the queue.
        try await limiter.acquire()
        try await limiter.acquire()
        let waiter = Task { try await limiter.acquire() }
        try await Task.sleep(for: .milliseconds(50))
        #expect(await limiter.usage.waiting == 1)
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(await limiter.usage.waiting == 0)
        await limiter.release()
        await limiter.release()
        #expect(await limiter.usage.inUse == 0)
    }
}
