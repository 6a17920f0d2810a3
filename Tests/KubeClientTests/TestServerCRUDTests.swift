import AsyncTestSupport
import CRDModels
import Foundation
import HTTPClient
import KubeTestSupport
import Testing

@Suite("Test server: create, read, update, conflicts and Status bodies")
struct TestServerCRUDTests {
    @Test func createFillsServerFieldsAndFoldsStringData() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            let wire = TestServerWire(server)
            let created = try await wire.call("POST", "/api/v1/namespaces/default/secrets", .literal(sampleSecretJSON))
            #expect(created.status == 201)
            let meta = try #require(created.json["metadata"])
            #expect(meta["uid"]?.stringValue?.count == 36)
            #expect(Int(meta["resourceVersion"]?.stringValue ?? "") != nil)
            #expect(meta["creationTimestamp"]?.stringValue.flatMap(Timestamp.parse) != nil)
            #expect(created.json["kind"] == .string("Secret"))
            #expect(created.json["stringData"] == nil)
            #expect(created.json["data"]?["password"] == .string(Data("hunter2".utf8).base64EncodedString()))

            let fetched = try await wire.call("GET", "/api/v1/namespaces/default/secrets/s1")
            #expect(fetched.status == 200)
            #expect(fetched.json == created.json)
            #expect(server.object("secrets", namespace: "default", name: "s1") == created.json)
        }
    }

    @Test func notFoundAndAlreadyExistsCarryRealStatusBodies() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            let wire = TestServerWire(server)
            let missing = try await wire.call("GET", "/api/v1/namespaces/default/secrets/nope")
            #expect(missing.status == 404)
            #expect(
                missing.json == .literal(
                    """
                    {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
                     "message":"secrets \\"nope\\" not found","reason":"NotFound",
                     "details":{"name":"nope","kind":"secrets"},"code":404}
                    """))
            try await wire.call("POST", "/api/v1/namespaces/default/secrets", .literal(sampleSecretJSON))
            let again = try await wire.call("POST", "/api/v1/namespaces/default/secrets", .literal(sampleSecretJSON))
            #expect(again.status == 409)
            #expect(again.json["reason"] == .string("AlreadyExists"))
            #expect(again.json["message"] == .string("secrets \"s1\" already exists"))
            #expect(again.json["details"] == .literal(#"{"name":"s1","kind":"secrets"}"#))
            let lease = try await wire.call("GET", "/apis/coordination.k8s.io/v1/namespaces/default/leases/x")
            #expect(lease.json["message"] == .string("leases.coordination.k8s.io \"x\" not found"))
            #expect(lease.json["details"]?["group"] == .string("coordination.k8s.io"))
        }
    }

    @Test func staleResourceVersionIsA409WithTheRealMessage() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            let wire = TestServerWire(server)
            let created = try await wire.call("POST", "/api/v1/namespaces/default/secrets", .literal(sampleSecretJSON)).json
            var first = created
            first["metadata"]?["labels"] = .object(["app": .string("b")])
            let updated = try await wire.call("PUT", "/api/v1/namespaces/default/secrets/s1", first)
            #expect(updated.status == 200)
            #expect(updated.json["metadata"]?["resourceVersion"] != created["metadata"]?["resourceVersion"])
            // The same (now stale) resourceVersion again.
            let stale = try await wire.call("PUT", "/api/v1/namespaces/default/secrets/s1", first)
            #expect(stale.status == 409)
            #expect(
                stale.json == .literal(
                    """
                    {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
                     "message":"Operation cannot be fulfilled on secrets \\"s1\\": the object has been modified; please apply your changes to the latest version and try again",
                     "reason":"Conflict","details":{"name":"s1","kind":"secrets"},"code":409}
                    """))
            // Built-ins accept an update without resourceVersion (unconditional).
            var unconditional = first
            unconditional["metadata"]?["resourceVersion"] = nil
            unconditional["metadata"]?["labels"] = .object(["app": .string("c")])
            let forced = try await wire.call("PUT", "/api/v1/namespaces/default/secrets/s1", unconditional)
            #expect(forced.status == 200)
            #expect(server.object("secrets", namespace: "default", name: "s1")?["metadata"]?["labels"]?["app"] == .string("c"))
        }
    }

    @Test func noOpUpdateKeepsTheResourceVersion() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            let wire = TestServerWire(server)
            let created = try await wire.call("POST", "/api/v1/namespaces/default/secrets", .literal(sampleSecretJSON)).json
            let same = try await wire.call("PUT", "/api/v1/namespaces/default/secrets/s1", created)
            #expect(same.status == 200)
            #expect(same.json["metadata"]?["resourceVersion"] == created["metadata"]?["resourceVersion"])
        }
    }

    @Test func generateNameAndNameValidation() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            let wire = TestServerWire(server)
            let generated = try await wire.call(
                "POST", "/api/v1/namespaces/default/secrets", .literal(#"{"metadata":{"generateName":"pull-"}}"#))
            #expect(generated.status == 201)
            let name = try #require(generated.json["metadata"]?["name"]?.stringValue)
            #expect(name.hasPrefix("pull-") && name.count == 10)
            let unnamed = try await wire.call("POST", "/api/v1/namespaces/default/secrets", .literal(#"{"metadata":{}}"#))
            #expect(unnamed.status == 422)
            #expect(unnamed.json["reason"] == .string("Invalid"))
            #expect(
                unnamed.json["message"]
                    == .string("Secret \"\" is invalid: metadata.name: Required value: name or generateName is required"))
            #expect(unnamed.json["details"]?["causes"]?.arrayValue?.first?["field"] == .string("metadata.name"))
            let bad = try await wire.call("POST", "/api/v1/namespaces/default/secrets", .literal(#"{"metadata":{"name":"Bad_Name"}}"#))
            #expect(bad.status == 422)
            let immutable = try await wire.call(
                "PUT", "/api/v1/namespaces/default/secrets/\(name)",
                .literal(#"{"metadata":{"name":"\#(name)"},"type":"kubernetes.io/dockerconfigjson"}"#))
            #expect(immutable.status == 422)
            #expect(immutable.json["message"]?.stringValue?.contains("type: Invalid value") == true)
        }
    }

    @Test func namespaceMustExistAndNotBeTerminating() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            let wire = TestServerWire(server)
            let missing = try await wire.call("POST", "/api/v1/namespaces/ghost/secrets", .literal(#"{"metadata":{"name":"x"}}"#))
            #expect(missing.status == 404)
            #expect(missing.json["message"] == .string("namespaces \"ghost\" not found"))
            #expect(missing.json["details"] == .literal(#"{"name":"ghost","kind":"namespaces"}"#))

            try await wire.call("POST", "/api/v1/namespaces", .literal(#"{"metadata":{"name":"team-a"}}"#))
            let namespace = try #require(server.object("namespaces", name: "team-a"))
            #expect(namespace["status"]?["phase"] == .string("Active"))
            #expect(namespace["metadata"]?["labels"]?["kubernetes.io/metadata.name"] == .string("team-a"))
            #expect(server.object("serviceaccounts", namespace: "team-a", name: "default") != nil)
            // A finalizer keeps a Secret, so the namespace stays Terminating while we probe it.
            try await wire.call(
                "POST", "/api/v1/namespaces/team-a/secrets",
                .literal(#"{"metadata":{"name":"held","finalizers":["test/hold"]}}"#))
            let deleted = try await wire.call("DELETE", "/api/v1/namespaces/team-a")
            #expect(deleted.status == 200)
            #expect(deleted.json["status"]?["phase"] == .string("Terminating"))
            let refused = try await wire.call("POST", "/api/v1/namespaces/team-a/secrets", .literal(#"{"metadata":{"name":"y"}}"#))
            #expect(refused.status == 403)
            #expect(refused.json["reason"] == .string("Forbidden"))
            #expect(
                refused.json["message"]
                    == .string(
                        "secrets \"y\" is forbidden: unable to create new content in namespace team-a because it is being terminated"))
            // Content goes first; the held Secret waits for its finalizer; then the namespace goes.
            try await expectServerEventually { server.object("serviceaccounts", namespace: "team-a", name: "default") == nil }
            #expect(server.object("secrets", namespace: "team-a", name: "held")?["metadata"]?["deletionTimestamp"] != nil)
            #expect(server.object("namespaces", name: "team-a") != nil)
            try await wire.call(
                "PATCH", "/api/v1/namespaces/team-a/secrets/held", .literal(#"{"metadata":{"finalizers":null}}"#),
                contentType: "application/merge-patch+json")
            try await expectServerEventually { server.object("namespaces", name: "team-a") == nil }
        }
    }

    @Test func bearerTokenIsRequired() async throws {
        let server = try await KubeAPITestServer.start(token: "s3cret")
        try await withTeardown({ await server.shutdown() }) {
            // No token is system:anonymous, whom RBAC refuses (403, as kube-apiserver); a wrong token is 401.
            let anonymous = try await TestServerWire(server, token: "").call("GET", "/api/v1/namespaces")
            #expect(anonymous.status == 403)
            let wrong = try await TestServerWire(server, token: "guess").call("GET", "/api/v1/namespaces")
            #expect(wrong.status == 401)
            #expect(
                wrong.json == .literal(
                    #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#
                ))
            let right = try await TestServerWire(server).call("GET", "/api/v1/namespaces")
            #expect(right.status == 200)
            #expect(try await TestServerWire(server, token: "").call("GET", "/version").status == 200)
        }
    }
}
