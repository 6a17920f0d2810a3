import AsyncTestSupport
import CRDModels
import Foundation
import HTTPClient
import KubeTestSupport
import Testing

/// Strategic merge patch directives the corpus does not record, and validating admission webhooks
/// beyond the corpus's `admission-deny` case (failurePolicy, selectors, DELETE), over the wire.
@Suite("Test server: strategic merge patch directives, validating admission webhooks")
struct TestServerAdmissionTests {
    static let serviceAccount = "/api/v1/namespaces/default/serviceaccounts"

    @Test func setElementOrderOwnerReferencesByUIDAndBadDirectives() async throws {
        let server = try await KubeAPITestServer.start()
        let wire = TestServerWire(server)
        try await withTeardown({ await server.shutdown() }) {
            try await wire.call(
                "POST", Self.serviceAccount,
                .literal(#"{"metadata":{"name":"sa"},"secrets":[{"name":"a"},{"name":"b"},{"name":"c"}]}"#))
            let smp = "application/strategic-merge-patch+json"
            // New element d, order given for c, d, a: b (server-only) keeps its place before c, as on the server.
            let ordered = try await wire.call(
                "PATCH", Self.serviceAccount + "/sa",
                .literal(
                    #"{"$setElementOrder/secrets":[{"name":"c"},{"name":"d"},{"name":"a"}],"#
                        + #""secrets":[{"name":"d"}]}"#),
                contentType: smp)
            #expect(ordered.status == 200)
            #expect(ordered.json["secrets"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["b", "c", "d", "a"])
            // ownerReferences merge by uid (owners that exist, or the garbage collector takes the account).
            var uids: [String] = []
            for name in ["x", "y"] {
                let owner = try await wire.call(
                    "POST", "/api/v1/namespaces/default/configmaps", .literal(#"{"metadata":{"name":"\#(name)"}}"#))
                uids.append(owner.json["metadata"]?["uid"]?.stringValue ?? "")
                let patched = try await wire.call(
                    "PATCH", Self.serviceAccount + "/sa",
                    .literal(
                        #"{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","#
                            + #""name":"\#(name)","uid":"\#(uids.last!)"}]}}"#),
                    contentType: smp)
                #expect(patched.status == 200)
            }
            let account = try await wire.call("GET", Self.serviceAccount + "/sa")
            let owners = account.json["metadata"]?["ownerReferences"]?.arrayValue?.compactMap { $0["uid"]?.stringValue }
            #expect(owners == [uids[1], uids[0]])
            let bad = try await wire.call(
                "PATCH", Self.serviceAccount + "/sa", .literal(#"{"secrets":[{"name":"a","$patch":"explode"}]}"#),
                contentType: smp)
            #expect(bad.status == 400)
            #expect(bad.json["message"] == .string("unknown patch type: explode in map: map[$patch:explode name:a]"))
        }
    }

    static func configuration(
        _ webhook: ScriptedAdmissionWebhook?, url: String? = nil, failurePolicy: String
    ) -> JSONValue {
        .object([
            "apiVersion": .string("admissionregistration.k8s.io/v1"), "kind": .string("ValidatingWebhookConfiguration"),
            "metadata": .object(["name": .string("test")]),
            "webhooks": .array([
                .object([
                    "name": .string("check.example.test"),
                    "clientConfig": .object([
                        "url": .string(url ?? webhook?.url ?? ""), "caBundle": .string(webhook?.caBundle ?? ""),
                    ]),
                    "rules": .array([
                        .object([
                            "apiGroups": .array([.string("")]), "apiVersions": .array([.string("v1")]),
                            "operations": .array([.string("CREATE"), .string("DELETE")]),
                            "resources": .array([.string("configmaps")]),
                        ])
                    ]),
                    "namespaceSelector": .object([
                        "matchLabels": .object(["kubernetes.io/metadata.name": .string("default")])
                    ]),
                    "failurePolicy": .string(failurePolicy), "sideEffects": .string("None"),
                    "admissionReviewVersions": .array([.string("v1")]), "timeoutSeconds": .number(2),
                ])
            ]),
        ])
    }

    @Test func webhookSeesMatchingWritesOnlyAndItsDenialReachesTheClient() async throws {
        let server = try await KubeAPITestServer.start()
        let webhook = try await ScriptedAdmissionWebhook.start()
        let wire = TestServerWire(server)
        try await withTeardown({
            await server.shutdown()
            await webhook.shutdown()
        }) {
            let registered = try await wire.call(
                "POST", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
                Self.configuration(webhook, failurePolicy: "Fail"))
            #expect(registered.status == 201)
            let configMap = JSONValue.literal(#"{"metadata":{"name":"c"}}"#)
            // Another namespace: the namespaceSelector does not match, the webhook is not called.
            #expect(try await wire.call("POST", "/api/v1/namespaces/kube-public/configmaps", configMap).status == 201)
            #expect(webhook.received.isEmpty)
            webhook.answer(.init(allowed: true, warnings: ["careful"]))
            let created = try await wire.call("POST", "/api/v1/namespaces/default/configmaps", configMap)
            #expect(created.status == 201)
            #expect(created.header("Warning") == #"299 - "careful""#)
            #expect(webhook.received.last?["request"]?["operation"] == .string("CREATE"))
            #expect(webhook.received.last?["request"]?["userInfo"]?["username"] == .string("admin"))
            webhook.answer(.init(allowed: false, status: .literal(#"{"code":409,"reason":"Conflict","message":"no"}"#)))
            let refused = try await wire.call("DELETE", "/api/v1/namespaces/default/configmaps/c")
            #expect(refused.status == 409)
            #expect(
                refused.json["message"] == .string(#"admission webhook "check.example.test" denied the request: no"#))
            let review = webhook.received.last?["request"]
            #expect(review?["operation"] == .string("DELETE"))
            #expect(review?["object"] == .null)
            #expect(review?["oldObject"]?["metadata"]?["name"] == .string("c"))
            #expect(try await wire.call("GET", "/api/v1/namespaces/default/configmaps/c").status == 200)
        }
    }

    @Test func unreachableWebhookFollowsFailurePolicy() async throws {
        let server = try await KubeAPITestServer.start()
        let wire = TestServerWire(server)
        try await withTeardown({ await server.shutdown() }) {
            let path = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"
            // Port 9 (discard) on loopback: nothing listens, the connection is refused.
            let unreachable = "https://127.0.0.1:9/"
            let configMaps = "/api/v1/namespaces/default/configmaps"
            try await wire.call("POST", path, Self.configuration(nil, url: unreachable, failurePolicy: "Fail"))
            let refused = try await wire.call("POST", configMaps, .literal(#"{"metadata":{"name":"a"}}"#))
            #expect(refused.status == 500)
            let message = refused.json["message"]?.stringValue ?? ""
            #expect(message.hasPrefix(#"Internal error occurred: failed calling webhook "check.example.test""#))
            try await wire.call("DELETE", path + "/test")
            try await wire.call("POST", path, Self.configuration(nil, url: unreachable, failurePolicy: "Ignore"))
            let allowed = try await wire.call("POST", configMaps, .literal(#"{"metadata":{"name":"a"}}"#))
            #expect(allowed.status == 201)
        }
    }
}
