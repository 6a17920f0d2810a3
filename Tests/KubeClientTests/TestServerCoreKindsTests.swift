import AsyncTestSupport
import CRDModels
import Foundation
import KubeTestSupport
import Testing

@Suite("Test server: Events, Leases, collections")
struct TestServerCoreKindsTests {
    @Test func eventsAreSelectableAndPutCreatesThem() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            let wire = TestServerWire(server)
            let event = JSONValue.literal(
                """
                {"apiVersion":"v1","kind":"Event","metadata":{"name":"team-registry.17a0","namespace":"default"},
                 "involvedObject":{"apiVersion":"ecr.pullsecrets.dev/v1alpha1","kind":"AWSECRImagePullSecret","name":"team-registry","namespace":"default"},
                 "reason":"SecretCreated","message":"created","type":"Normal","count":1,
                 "source":{"component":"ecr-pullsecret-operator"},"reportingComponent":"ecr-pullsecret-operator"}
                """)
            // Events allow create-on-update, like the real registry.
            let put = try await wire.call("PUT", "/api/v1/namespaces/default/events/team-registry.17a0", event)
            #expect(put.status == 201)
            #expect(server.object("events", namespace: "default", name: "team-registry.17a0") != nil)
            let counted = try await wire.call(
                "PATCH", "/api/v1/namespaces/default/events/team-registry.17a0", .literal(#"{"count":2}"#),
                contentType: "application/strategic-merge-patch+json")
            #expect(counted.json["count"]?.testInt == 2)
            let selected = try await wire.call(
                "GET", "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dteam-registry,reason%3DSecretCreated")
            #expect(selected.json["items"]?.arrayValue?.count == 1)
            let other = try await wire.call("GET", "/api/v1/events?fieldSelector=involvedObject.name%3Dother")
            #expect(other.json["items"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test func leasesKeepMicroTimeAndConflictOnRace() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            let wire = TestServerWire(server)
            let url = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases"
            let lease = try await wire.call(
                "POST", url,
                .literal(
                    #"{"metadata":{"name":"ecr-operator"},"spec":{"holderIdentity":"a","leaseDurationSeconds":15,"renewTime":"2026-11-23T10:00:00.123456Z"}}"#))
            #expect(lease.status == 201)
            #expect(lease.json["spec"]?["renewTime"] == .string("2026-11-23T10:00:00.123456Z"))
            var first = lease.json
            first["spec"]?["holderIdentity"] = .string("b")
            var second = lease.json
            second["spec"]?["holderIdentity"] = .string("c")
            #expect(try await wire.call("PUT", url + "/ecr-operator", first).status == 200)
            #expect(try await wire.call("PUT", url + "/ecr-operator", second).status == 409)
            #expect(server.object("leases", namespace: "kube-system", name: "ecr-operator")?["spec"]?["holderIdentity"] == .string("b"))
        }
    }

    @Test func deleteCollectionHonoursSelectors() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            let wire = TestServerWire(server)
            for (name, app) in [("a", "x"), ("b", "x"), ("c", "y")] {
                try await wire.call(
                    "POST", "/api/v1/namespaces/default/secrets",
                    .literal(#"{"metadata":{"name":"\#(name)","labels":{"app":"\#(app)"}}}"#))
            }
            let deleted = try await wire.call("DELETE", "/api/v1/namespaces/default/secrets?labelSelector=app%3Dx")
            #expect(deleted.status == 200)
            #expect(server.objects("secrets", namespace: "default").compactMap { $0["metadata"]?["name"]?.stringValue } == ["c"])
        }
    }
}
