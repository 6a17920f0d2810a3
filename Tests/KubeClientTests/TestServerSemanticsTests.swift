import AsyncTestSupport
import CRDModels
import Foundation
import KubeTestSupport
import Testing

@Suite("Test server: custom resources, patch, delete, finalizers, GC, faults")
struct TestServerSemanticsTests {
    static let crd = JSONValue.literal(
        """
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
         "metadata":{"name":"gadgets.example.test"},
         "spec":{"group":"example.test","scope":"Namespaced",
           "names":{"plural":"gadgets","singular":"gadget","kind":"Gadget","listKind":"GadgetList"},
           "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
                        "schema":{"openAPIV3Schema":{"type":"object"}}}]}}
        """)
    static let clusterCRD = JSONValue.literal(
        """
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
         "metadata":{"name":"owners.example.test"},
         "spec":{"group":"example.test","scope":"Cluster",
           "names":{"plural":"owners","singular":"owner","kind":"Owner"},
           "versions":[{"name":"v1","served":true,"storage":true}]}}
        """)
    static let path = "/apis/example.test/v1/namespaces/default/gadgets"

    static func started() async throws -> (KubeAPITestServer, TestServerWire) {
        let server = try await KubeAPITestServer.start()
        let wire = TestServerWire(server)
        let created = try await wire.call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
        #expect(created.status == 201)
        #expect(created.json["status"]?["conditions"]?.arrayValue?.contains { $0["type"] == .string("Established") } == true)
        return (server, wire)
    }

    @Test func crdRegistersResourceWithDiscoveryAndStatusSubresource() async throws {
        let (server, wire) = try await Self.started()
        try await withTeardown({ await server.shutdown() }) {
            let discovery = try await wire.call("GET", "/apis/example.test/v1")
            let names = discovery.json["resources"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names == ["gadgets", "gadgets/status"])
            let groups = try await wire.call("GET", "/apis")
            #expect(groups.json["groups"]?.arrayValue?.contains { $0["name"] == .string("example.test") } == true)

            let created = try await wire.call(
                "POST", Self.path,
                .literal(#"{"apiVersion":"example.test/v1","kind":"Gadget","metadata":{"name":"g"},"spec":{"n":1},"status":{"ok":true}}"#))
            #expect(created.status == 201)
            #expect(created.json["status"] == nil)  // status cannot be set on create
            #expect(created.json["metadata"]?["generation"]?.testInt == 1)

            // Status through /status: generation stays, spec changes are ignored there.
            var withStatus = created.json
            withStatus["status"] = .object(["observedGeneration": .number(1)])
            withStatus["spec"] = .object(["n": .number(99)])
            let statusReply = try await wire.call("PUT", Self.path + "/g/status", withStatus)
            #expect(statusReply.status == 200)
            #expect(statusReply.json["spec"]?["n"]?.testInt == 1)
            #expect(statusReply.json["status"]?["observedGeneration"]?.testInt == 1)
            #expect(statusReply.json["metadata"]?["generation"]?.testInt == 1)

            // Main resource: status is ignored, spec bumps generation, metadata does not.
            var main = statusReply.json
            main["status"] = .object(["observedGeneration": .number(7)])
            main["spec"] = .object(["n": .number(2)])
            let mainReply = try await wire.call("PUT", Self.path + "/g", main)
            #expect(mainReply.json["status"]?["observedGeneration"]?.testInt == 1)
            #expect(mainReply.json["metadata"]?["generation"]?.testInt == 2)
            let labelled = try await wire.call(
                "PATCH", Self.path + "/g", .literal(#"{"metadata":{"labels":{"x":"y"}}}"#),
                contentType: "application/merge-patch+json")
            #expect(labelled.json["metadata"]?["generation"]?.testInt == 2)

            // Custom resources refuse unconditional PUT and strategic merge patch.
            var unconditional = labelled.json
            unconditional["metadata"]?["resourceVersion"] = nil
            let refused = try await wire.call("PUT", Self.path + "/g", unconditional)
            #expect(refused.status == 422)
            #expect(
                refused.json["message"]
                    == .string(
                        "gadgets.example.test \"g\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update"))
            let smp = try await wire.call(
                "PATCH", Self.path + "/g", .literal(#"{"spec":{"n":3}}"#), contentType: "application/strategic-merge-patch+json")
            #expect(smp.status == 415)
            #expect(smp.json["reason"] == .string("UnsupportedMediaType"))
            let conflict = try await wire.call("PUT", Self.path + "/g", main)
            #expect(conflict.status == 409)
            #expect(conflict.json["details"] == .literal(#"{"name":"g","group":"example.test","kind":"gadgets"}"#))
            #expect(conflict.json["message"]?.stringValue?.hasPrefix("Operation cannot be fulfilled on gadgets.example.test \"g\"") == true)
        }
    }

    @Test func patchTypes() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            let wire = TestServerWire(server)
            let secret = try await wire.call(
                "POST", "/api/v1/namespaces/default/secrets",
                .literal(#"{"metadata":{"name":"p"},"data":{"old":"MQ==","keep":"Mg=="}}"#)).json
            let url = "/api/v1/namespaces/default/secrets/p"
            let merged = try await wire.call(
                "PATCH", url, .literal(#"{"data":{"old":null,"new":"Mw=="}}"#), contentType: "application/merge-patch+json")
            #expect(merged.json["data"] == .literal(#"{"keep":"Mg==","new":"Mw=="}"#))
            let strategic = try await wire.call(
                "PATCH", url, .literal(#"{"metadata":{"labels":{"a":"b"}}}"#), contentType: "application/strategic-merge-patch+json")
            #expect(strategic.status == 200)
            #expect(strategic.json["metadata"]?["labels"]?["a"] == .string("b"))
            let stalePrecondition = try await wire.call(
                "PATCH", url, .literal(#"{"metadata":{"resourceVersion":"\#(secret["metadata"]!["resourceVersion"]!.stringValue!)"},"data":{}}"#),
                contentType: "application/merge-patch+json")
            #expect(stalePrecondition.status == 409)
            let jsonPatch = try await wire.call(
                "PATCH", url,
                .literal(#"[{"op":"test","path":"/data/keep","value":"Mg=="},{"op":"replace","path":"/data/keep","value":"NA=="},{"op":"add","path":"/metadata/labels/c","value":"d"}]"#),
                contentType: "application/json-patch+json")
            #expect(jsonPatch.status == 200)
            #expect(jsonPatch.json["data"]?["keep"] == .string("NA=="))
            #expect(jsonPatch.json["metadata"]?["labels"]?["c"] == .string("d"))
            let failedTest = try await wire.call(
                "PATCH", url, .literal(#"[{"op":"test","path":"/data/keep","value":"nope"}]"#),
                contentType: "application/json-patch+json")
            #expect(failedTest.status == 422)
            let apply = try await wire.call("PATCH", url, .literal("{}"), contentType: "application/apply-patch+yaml")
            #expect(apply.status == 415)
            let missing = try await wire.call(
                "PATCH", "/api/v1/namespaces/default/secrets/none", .literal("{}"), contentType: "application/merge-patch+json")
            #expect(missing.status == 404)
        }
    }

    @Test func deletePreconditionsAndFinalizers() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            let wire = TestServerWire(server)
            let created = try await wire.call(
                "POST", "/api/v1/namespaces/default/secrets", .literal(#"{"metadata":{"name":"f","finalizers":["example.test/keep"]}}"#)).json
            let url = "/api/v1/namespaces/default/secrets/f"
            let wrongUID = try await wire.call(
                "DELETE", url, .literal(#"{"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"uid":"nope"}}"#))
            #expect(wrongUID.status == 409)
            #expect(
                wrongUID.json["message"]?.stringValue?.contains("the UID in the precondition (nope) does not match") == true)
            let wrongRV = try await wire.call("DELETE", url, .literal(#"{"preconditions":{"resourceVersion":"1"}}"#))
            #expect(wrongRV.status == 409)
            let uid = created["metadata"]!["uid"]!.stringValue!
            let marked = try await wire.call("DELETE", url, .literal(#"{"preconditions":{"uid":"\#(uid)"}}"#))
            #expect(marked.status == 200)
            #expect(marked.json["metadata"]?["deletionTimestamp"] != nil)
            #expect(server.object("secrets", namespace: "default", name: "f") != nil)
            var adding = marked.json
            adding["metadata"]?["finalizers"] = .array([.string("example.test/keep"), .string("example.test/more")])
            #expect(try await wire.call("PUT", url, adding).status == 422)
            var clearing = marked.json
            clearing["metadata"]?["finalizers"] = .array([])
            let cleared = try await wire.call("PUT", url, clearing)
            #expect(cleared.status == 200)
            #expect(server.object("secrets", namespace: "default", name: "f") == nil)

            try await wire.call("POST", "/api/v1/namespaces/default/secrets", .literal(#"{"metadata":{"name":"plain"}}"#))
            let gone = try await wire.call("DELETE", "/api/v1/namespaces/default/secrets/plain")
            #expect(gone.json["kind"] == .string("Status"))
            #expect(gone.json["status"] == .string("Success"))
            #expect(try await wire.call("DELETE", "/api/v1/namespaces/default/secrets/plain").status == 404)
        }
    }

    @Test func garbageCollectorRemovesDependentsOfDeletedOwners() async throws {
        let (server, wire) = try await Self.started()
        try await withTeardown({ await server.shutdown() }) {
            try await wire.call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", Self.clusterCRD)
            let owner = try await wire.call(
                "POST", "/apis/example.test/v1/owners", .literal(#"{"apiVersion":"example.test/v1","kind":"Owner","metadata":{"name":"o"}}"#))
            #expect(owner.status == 201)
            let ownerUID = owner.json["metadata"]!["uid"]!.stringValue!
            let gadget = try await wire.call(
                "POST", Self.path, .literal(#"{"apiVersion":"example.test/v1","kind":"Gadget","metadata":{"name":"g2"}}"#))
            let gadgetUID = gadget.json["metadata"]!["uid"]!.stringValue!
            let gadget3 = try await wire.call(
                "POST", Self.path,
                .literal(#"{"apiVersion":"example.test/v1","kind":"Gadget","metadata":{"name":"g3"}}"#))
            let gadget3UID = gadget3.json["metadata"]!["uid"]!.stringValue!
            let ghostUID = "00000000-0000-0000-0000-000000000000"
            func ref(_ kind: String, _ name: String, _ uid: String, controller: Bool = true) -> String {
                #"{"apiVersion":"example.test/v1","kind":"\#(kind)","name":"\#(name)","uid":"\#(uid)","controller":\#(controller)}"#
            }
            // A namespaced Secret owned by a cluster-scoped owner, one with two owners, and one whose owner never existed.
            try await wire.call(
                "POST", "/api/v1/namespaces/default/secrets",
                .literal(#"{"metadata":{"name":"by-cluster","ownerReferences":[\#(ref("Owner", "o", ownerUID))]}}"#))
            try await wire.call(
                "POST", "/api/v1/namespaces/default/secrets",
                .literal(#"{"metadata":{"name":"two-owners","ownerReferences":[\#(ref("Owner", "o", ownerUID)),\#(ref("Gadget", "g2", gadgetUID, controller: false))]}}"#))  // one controller at most
            try await wire.call(
                "POST", "/api/v1/namespaces/default/secrets",
                .literal(#"{"metadata":{"name":"orphan","ownerReferences":[\#(ref("Owner", "ghost", "00000000-0000-0000-0000-000000000000"))]}}"#))
            try await expectServerEventually { server.object("secrets", namespace: "default", name: "orphan") == nil }
            try await Task.sleep(for: .milliseconds(100))
            #expect(server.object("secrets", namespace: "default", name: "by-cluster") != nil)

            let deleted = try await wire.call("DELETE", "/apis/example.test/v1/owners/o")
            #expect(deleted.json["kind"] == .string("Status"))  // as for built-ins: a Success Status (corpus)
            #expect(deleted.json["status"] == .string("Success"))
            try await expectServerEventually { server.object("secrets", namespace: "default", name: "by-cluster") == nil }
            #expect(server.object("secrets", namespace: "default", name: "two-owners") != nil)
            // An update that only changes data leaves the owners as they are; one that points them at an owner that
            // does not exist makes the Secret the collector's again.
            var retargeted = try #require(server.object("secrets", namespace: "default", name: "two-owners"))
            retargeted["apiVersion"] = .string("v1")
            retargeted["kind"] = .string("Secret")
            retargeted["data"] = .object(["k": .string("dmFsdWU=")])
            let kept = try await wire.call("PUT", "/api/v1/namespaces/default/secrets/two-owners", retargeted)
            #expect(kept.status == 200)
            try await Task.sleep(for: .milliseconds(100))
            #expect(server.object("secrets", namespace: "default", name: "two-owners") != nil)
            try await wire.call("DELETE", Self.path + "/g2")
            try await expectServerEventually { server.object("secrets", namespace: "default", name: "two-owners") == nil }
            try await wire.call(
                "POST", "/api/v1/namespaces/default/secrets",
                .literal(#"{"metadata":{"name":"moved","ownerReferences":[\#(ref("Gadget", "g3", gadget3UID))]}}"#))
            try await Task.sleep(for: .milliseconds(100))
            var moved = try #require(server.object("secrets", namespace: "default", name: "moved"))
            moved["apiVersion"] = .string("v1")
            moved["kind"] = .string("Secret")
            let ghostReference = "[\(ref("Owner", "ghost", ghostUID))]"
            moved["metadata"]?["ownerReferences"] = try JSONValue.parse(Data(ghostReference.utf8))
            #expect(try await wire.call("PUT", "/api/v1/namespaces/default/secrets/moved", moved).status == 200)
            try await expectServerEventually { server.object("secrets", namespace: "default", name: "moved") == nil }
        }
    }

    @Test func faultsLatencyAndRequestCounting() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            let wire = TestServerWire(server)
            server.injectFault(method: "GET", pathContains: "/secrets", status: 429, count: 2, retryAfterSeconds: 3)
            let throttled = try await wire.call("GET", "/api/v1/namespaces/default/secrets")
            #expect(throttled.status == 429)
            #expect(throttled.header("Retry-After") == "3")
            #expect(throttled.json["reason"] == .string("TooManyRequests"))
            #expect(throttled.json["details"]?["retryAfterSeconds"]?.testInt == 3)
            #expect(try await wire.call("GET", "/api/v1/namespaces").status == 200)  // other paths unaffected
            #expect(try await wire.call("GET", "/api/v1/namespaces/default/secrets").status == 429)
            #expect(try await wire.call("GET", "/api/v1/namespaces/default/secrets").status == 200)
            server.injectFault(method: "POST", status: 500)
            let failed = try await wire.call("POST", "/api/v1/namespaces/default/secrets", .literal(#"{"metadata":{"name":"z"}}"#))
            #expect(failed.status == 500)
            #expect(failed.json["reason"] == .string("InternalError"))
            #expect(server.object("secrets", namespace: "default", name: "z") == nil)

            server.injectLatency(.milliseconds(300), pathContains: "/leases", count: 1)
            let clock = ContinuousClock.now
            try await wire.call("GET", "/apis/coordination.k8s.io/v1/namespaces/default/leases")
            #expect(ContinuousClock.now - clock >= .milliseconds(300))

            #expect(server.requestCount(method: "GET", pathContains: "/secrets") == 3)
            #expect(server.requestCount(method: "POST") == 1)
            #expect(server.requestCount(pathContains: "/leases") == 1)
        }
    }

    /// A GET with no resourceVersion is a consistent read (the real server reads etcd), and the test server
    /// answers every GET from its one store: a read never shows an older state than a read before it, on
    /// any connection, while writers on other connections race it. Guards the integration tests' habit of
    /// polling with one GET and asserting with the next.
    @Test func readsNeverGoBackwardsWhileWritesRace() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            let path = "/api/v1/namespaces/default/configmaps"
            let created = try await TestServerWire(server).call(
                "POST", path, .literal(#"{"metadata":{"name":"c"},"data":{"n":"0"}}"#))
            #expect(created.status == 201)
            let writers = (0..<3).map { writer in
                Task {
                    let wire = TestServerWire(server)
                    for index in 1...150 {
                        let patch = JSONValue.literal(#"{"data":{"w\#(writer)":"\#(index)"}}"#)
                        _ = try await wire.call(
                            "PATCH", path + "/c", patch, contentType: "application/merge-patch+json")
                    }
                }
            }
            // Two readers on their own connections, each read following the previous one.
            let readers = [TestServerWire(server), TestServerWire(server)]
            var newest = 0
            var backwards: [String] = []
            for reads in 0..<600 {
                let reply = try await readers[reads % 2].call("GET", path + "/c")
                let version = Int(reply.json["metadata"]?["resourceVersion"]?.stringValue ?? "") ?? -1
                if version < newest { backwards.append("read \(reads): \(version) after \(newest)") }
                newest = max(newest, version)
            }
            for writer in writers { try await writer.value }
            #expect(backwards.isEmpty, "\(backwards.prefix(5))")
            let final = try await readers[0].call("GET", path + "/c")
            #expect(final.json["data"]?["w0"] == .string("150"))
            #expect(final.json["data"]?["w2"] == .string("150"))
            #expect(Int(final.json["metadata"]?["resourceVersion"]?.stringValue ?? "") ?? 0 >= newest)
        }
    }
}
