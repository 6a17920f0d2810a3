import CRDModels
import Foundation
import HTTPClient
import Testing

@testable import KubeTestSupport

/// Starts a test server with the project's CRDs, runs `body`, and always awaits the shutdown.
private func withRBACServer(_ body: (KubeAPITestServer) async throws -> Void) async throws {
    let server = try await KubeAPITestServer.start()
    do {
        try server.installCRDs(fromDirectory: TestServerTLSTests.packageRoot + "/config/crd")
        try await body(server)
    } catch {
        await server.shutdown()
        throw error
    }
    await server.shutdown()
}

private func forbiddenBody(_ message: String, name: String? = nil, group: String? = nil, kind: String) -> JSONValue {
    var details: [String: JSONValue] = ["kind": .string(kind)]
    if let name { details["name"] = .string(name) }
    if let group { details["group"] = .string(group) }
    return .object([
        "kind": .string("Status"), "apiVersion": .string("v1"), "metadata": .object([:]), "status": .string("Failure"),
        "message": .string(message), "reason": .string("Forbidden"), "details": .object(details), "code": .number(403),
    ])
}

private let aeps = "/apis/ecr.pullsecrets.dev/v1alpha1"
private let rbacAPI = "/apis/rbac.authorization.k8s.io/v1"

/// A RoleBinding (with `namespace`) or ClusterRoleBinding of `roleKind`/`role` to one subject.
private func binding(
    _ name: String, namespace: String? = nil, roleKind: String = "ClusterRole", role: String, subject: String
) -> JSONValue {
    let kind = namespace == nil ? "ClusterRoleBinding" : "RoleBinding"
    let scope = namespace.map { #","namespace":"\#($0)""# } ?? ""
    return .literal(
        #"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"\#(kind)","metadata":{"name":"\#(name)"\#(scope)},"#
            + #""roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"\#(roleKind)","name":"\#(role)"},"#
            + #""subjects":[\#(subject)]}"#)
}

/// Authentication (static, ServiceAccount and anonymous) and RBAC authorization over HTTP, checked
/// against the answers kube-apiserver v1.26 gives (the corpus's `forbidden` case).
@Suite("Test server: authentication and RBAC")
struct TestServerRBACTests {
    @Test func unknownUsersAreForbiddenWithTheRealStatusBody() async throws {
        try await withRBACServer { server in
            server.addUser(token: "op-token", name: "ecr-operator")
            let wire = TestServerWire(server, token: "op-token")
            let list = try await wire.call("GET", "/api/v1/namespaces/team-a/secrets")
            #expect(list.status == 403)
            #expect(
                list.json == forbiddenBody(
                    "secrets is forbidden: User \"ecr-operator\" cannot list resource \"secrets\" in API group \"\" "
                        + "in the namespace \"team-a\"", kind: "secrets"))
            let status = try await wire.call(
                "PUT", "\(aeps)/namespaces/team-a/awsecrimagepullsecrets/a/status", .literal("{}"))
            #expect(
                status.json == forbiddenBody(
                    "awsecrimagepullsecrets.ecr.pullsecrets.dev \"a\" is forbidden: User \"ecr-operator\" cannot update "
                        + "resource \"awsecrimagepullsecrets/status\" in API group \"ecr.pullsecrets.dev\" in the "
                        + "namespace \"team-a\"", name: "a", group: "ecr.pullsecrets.dev",
                    kind: "awsecrimagepullsecrets"))
            let namespace = try await wire.call("GET", "/api/v1/namespaces/default")
            #expect(namespace.json["message"] == .string(
                "namespaces \"default\" is forbidden: User \"ecr-operator\" cannot get resource \"namespaces\" in API "
                    + "group \"\" in the namespace \"default\""))
            let all = try await wire.call("GET", "/api/v1/secrets")
            #expect(all.json["message"]?.stringValue?.hasSuffix("at the cluster scope") == true)
            let watch = try await wire.call("GET", "/api/v1/namespaces/default/secrets?watch=1")
            #expect(watch.status == 403)
            #expect(watch.json["message"]?.stringValue?.contains("cannot watch resource") == true)
            let collection = try await wire.call("DELETE", "/api/v1/namespaces/default/secrets")
            #expect(collection.json["message"]?.stringValue?.contains("cannot deletecollection resource") == true)
            // Discovery and health stay open to every authenticated user (system:discovery).
            #expect(try await wire.call("GET", "\(aeps)").status == 200)
            #expect(try await wire.call("GET", "/api").status == 200)
            #expect(try await wire.call("GET", "/healthz").status == 200)
            #expect(
                server.rbacDenials.map(\.verb) == ["list", "update", "get", "list", "watch", "deletecollection"])
            #expect(server.rbacDenials[1].resource == "awsecrimagepullsecrets/status")
            #expect(server.rbacDenials[1].user == "ecr-operator")
        }
    }

    @Test func anonymousAndUnknownTokens() async throws {
        try await withRBACServer { server in
            let anonymous = TestServerWire(server, token: "")
            let list = try await anonymous.call("GET", "/api/v1/namespaces")
            #expect(list.status == 403)
            #expect(list.json["message"] == .string(
                "namespaces is forbidden: User \"system:anonymous\" cannot list resource \"namespaces\" in API group "
                    + "\"\" at the cluster scope"))
            #expect(try await anonymous.call("GET", "/healthz").text == "ok")
            #expect(try await anonymous.call("GET", "/version").status == 200)
            let discovery = try await anonymous.call("GET", "/apis")
            #expect(discovery.status == 403)
            #expect(discovery.json == .literal(
                #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: User "#
                    + #"\"system:anonymous\" cannot get path \"/apis\"","reason":"Forbidden","details":{},"code":403}"#))

            let stranger = TestServerWire(server, token: "nobody-knows-me")
            for path in ["/healthz", "/api/v1/namespaces"] {
                let reply = try await stranger.call("GET", path)
                #expect(reply.status == 401)
                #expect(reply.json == .literal(
                    #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","#
                        + #""reason":"Unauthorized","code":401}"#))
            }
        }
    }

    @Test func roleBindingsGrantVerbsResourceNamesAndSubresourcesInTheirNamespace() async throws {
        try await withRBACServer { server in
            let admin = TestServerWire(server)
            for name in ["team-a", "team-b"] {
                try await admin.call("POST", "/api/v1/namespaces", .literal(#"{"metadata":{"name":"\#(name)"}}"#))
            }
            try await admin.call(
                "POST", "\(rbacAPI)/namespaces/team-a/roles",
                .literal(
                    #"{"metadata":{"name":"r"},"rules":[{"apiGroups":[""],"resources":["secrets"],"verbs":["list"]},"#
                        + #"{"apiGroups":[""],"resources":["secrets"],"verbs":["get","update"],"resourceNames":["s1"]},"#
                        + #"{"apiGroups":["ecr.pullsecrets.dev"],"resources":["*/status"],"verbs":["*"]}]}"#))
            let created = try await admin.call(
                "POST", "\(rbacAPI)/namespaces/team-a/rolebindings",
                binding("b", namespace: "team-a", roleKind: "Role", role: "r", subject: #"{"kind":"User","name":"alice"}"#))
            #expect(created.status == 201)
            server.addUser(token: "alice-token", name: "alice", groups: ["developers"])
            let alice = TestServerWire(server, token: "alice-token")
            #expect(try await alice.call("GET", "/api/v1/namespaces/team-a/secrets").status == 200)
            #expect(try await alice.call("GET", "/api/v1/namespaces/team-b/secrets").status == 403)
            #expect(try await alice.call("GET", "/api/v1/secrets").status == 403)
            // resourceNames: only the named object, never a create; a list or watch only when it names the object.
            #expect(try await alice.call("GET", "/api/v1/namespaces/team-a/secrets/s1").status == 404)
            #expect(try await alice.call("GET", "/api/v1/namespaces/team-a/secrets/s2").status == 403)
            #expect(try await alice.call("POST", "/api/v1/namespaces/team-a/secrets", .literal("{}")).status == 403)
            #expect(try await alice.call("DELETE", "/api/v1/namespaces/team-a/secrets/s1").status == 403)
            #expect(
                try await alice.call("GET", "/api/v1/namespaces/team-a/secrets?watch=1&fieldSelector=metadata.name%3Ds2")
                    .status == 403)
            // `*/status` covers the status subresource of every resource in the group, not the resource itself.
            #expect(try await alice.call("GET", "\(aeps)/namespaces/team-a/awsecrimagepullsecrets/x/status").status == 404)
            #expect(try await alice.call("GET", "\(aeps)/namespaces/team-a/awsecrimagepullsecrets/x").status == 403)

            // A group subject and a ClusterRole bound in one namespace only.
            try await admin.call(
                "POST", "\(rbacAPI)/clusterroles",
                .literal(
                    #"{"metadata":{"name":"sa-reader"},"rules":[{"apiGroups":[""],"resources":["serviceaccounts","namespaces"],"#
                        + #""verbs":["get","list","watch"]}]}"#))
            try await admin.call(
                "POST", "\(rbacAPI)/namespaces/team-b/rolebindings",
                binding("devs", namespace: "team-b", role: "sa-reader", subject: #"{"kind":"Group","name":"developers"}"#))
            #expect(try await alice.call("GET", "/api/v1/namespaces/team-b/serviceaccounts").status == 200)
            #expect(try await alice.call("GET", "/api/v1/namespaces/team-a/serviceaccounts").status == 403)
            #expect(try await alice.call("GET", "/api/v1/namespaces").status == 403)
            #expect(try await alice.call("GET", "/api/v1/namespaces/team-b").status == 200)
        }
    }

    @Test func aMissingRoleIsNamedInTheDenial() async throws {
        try await withRBACServer { server in
            try server.seed(binding("b", role: "gone", subject: #"{"kind":"User","name":"bob"}"#))
            server.addUser(token: "bob-token", name: "bob")
            let reply = try await TestServerWire(server, token: "bob-token").call("GET", "/api/v1/namespaces")
            #expect(reply.json["message"] == .string(
                "namespaces is forbidden: User \"bob\" cannot list resource \"namespaces\" in API group \"\" at the "
                    + "cluster scope: RBAC: clusterrole.rbac.authorization.k8s.io \"gone\" not found"))
        }
    }

    @Test func allowedRequestsAreRecordedOncePerVerbResourceAndScope() async throws {
        try await withRBACServer { server in
            try server.seed(
                .literal(
                    #"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"r"},"#
                        + #""rules":[{"apiGroups":[""],"resources":["secrets"],"verbs":["get","list"]}]}"#))
            try server.seed(binding("b", role: "r", subject: #"{"kind":"User","name":"carol"}"#))
            server.addUser(token: "carol-token", name: "carol")
            let carol = TestServerWire(server, token: "carol-token")
            #expect(try await carol.call("GET", "/api/v1/namespaces/default/secrets").status == 200)
            #expect(try await carol.call("GET", "/api/v1/namespaces/kube-system/secrets").status == 200)
            #expect(try await carol.call("GET", "/api/v1/secrets").status == 200)
            #expect(try await carol.call("GET", "/api/v1/namespaces/default/secrets/x").status == 404)
            #expect(try await carol.call("DELETE", "/api/v1/namespaces/default/secrets/x").status == 403)
            func allowed(_ verb: String, namespaced: Bool) -> AuthorizedRequest {
                AuthorizedRequest(
                    user: "carol", verb: verb, apiGroup: "", resource: "secrets", namespaced: namespaced, path: "")
            }
            #expect(server.authorizedRequests.filter { $0.user == "carol" } == [
                allowed("get", namespaced: true), allowed("list", namespaced: false), allowed("list", namespaced: true),
            ])
        }
    }

    /// The decoded policy is kept between requests: every RBAC write takes effect with the next request
    /// (a binding created after a denial, its Role created after it, the Role narrowed, the binding deleted),
    /// and writes of other objects do not decode it again.
    @Test func rbacWritesTakeEffectAtOnceAndOtherWritesKeepThePolicy() async throws {
        try await withRBACServer { server in
            let admin = TestServerWire(server)
            server.addUser(token: "dave-token", name: "dave")
            let dave = TestServerWire(server, token: "dave-token")
            let secrets = "/api/v1/namespaces/default/secrets"
            let roles = "\(rbacAPI)/namespaces/default/roles"
            #expect(try await dave.call("GET", secrets).status == 403)

            let bound = try await admin.call(
                "POST", "\(rbacAPI)/namespaces/default/rolebindings",
                binding("b", namespace: "default", roleKind: "Role", role: "reader",
                        subject: #"{"kind":"User","name":"dave"}"#))
            #expect(bound.status == 201)
            let missing = try await dave.call("GET", secrets)
            #expect(missing.status == 403)
            #expect(missing.json["message"]?.stringValue?.hasSuffix(
                "RBAC: role.rbac.authorization.k8s.io \"reader\" not found") == true)

            let rules = #"[{"apiGroups":[""],"resources":["secrets"],"verbs":["list","create"]}]"#
            let role = try await admin.call(
                "POST", roles, .literal(#"{"metadata":{"name":"reader"},"rules":\#(rules)}"#))
            #expect(role.status == 201)
            #expect(try await dave.call("GET", secrets).status == 200)

            // Writes of other kinds, by the admin and by dave, reuse the policy.
            let builds = server.access.policyBuilds
            for index in 0..<5 {
                let secret = JSONValue.literal(#"{"metadata":{"name":"s\#(index)"}}"#)
                #expect(try await admin.call("POST", secrets, secret).status == 201)
                #expect(try await dave.call("GET", secrets).status == 200)
            }
            #expect(try await dave.call("POST", secrets, .literal(#"{"metadata":{"name":"d"}}"#)).status == 201)
            #expect(server.access.policyBuilds == builds)

            // Narrowed: list stays, create goes.
            var narrowed = try await admin.call("GET", roles + "/reader").json
            narrowed["rules"] = .literal(#"[{"apiGroups":[""],"resources":["secrets"],"verbs":["list"]}]"#)
            #expect(try await admin.call("PUT", roles + "/reader", narrowed).status == 200)
            #expect(try await dave.call("POST", secrets, .literal(#"{"metadata":{"name":"e"}}"#)).status == 403)
            #expect(try await dave.call("GET", secrets).status == 200)

            #expect(try await admin.call("DELETE", "\(rbacAPI)/namespaces/default/rolebindings/b").status == 200)
            #expect(try await dave.call("GET", secrets).status == 403)
        }
    }

    @Test func aggregatedClusterRolesPickUpLabelledRoles() async throws {
        try await withRBACServer { server in
            try server.seed(binding("v", role: "view", subject: #"{"kind":"User","name":"viewer"}"#))
            server.addUser(token: "viewer-token", name: "viewer")
            let viewer = TestServerWire(server, token: "viewer-token")
            let path = "\(aeps)/namespaces/default/awsecrimagepullsecrets"
            #expect(try await viewer.call("GET", path).status == 403)
            // A ClusterRole labelled to aggregate into `view`: `view` now includes it.
            try server.seed(
                .literal(
                    #"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","#
                        + #""metadata":{"name":"ecr-view","labels":{"rbac.authorization.k8s.io/aggregate-to-view":"true"}},"#
                        + #""rules":[{"apiGroups":["ecr.pullsecrets.dev"],"resources":["awsecrimagepullsecrets"],"#
                        + #""verbs":["get","list","watch"]}]}"#))
            #expect(try await viewer.call("GET", path).status == 200)
            #expect(try await viewer.call("GET", "/api/v1/namespaces/default/serviceaccounts").status == 200)
            #expect(try await viewer.call("POST", path, .literal("{}")).status == 403)
            #expect(try await viewer.call("GET", "/api/v1/namespaces/default/secrets").status == 403)
            let user = UserInfo(name: "viewer", groups: [])
            #expect(server.isAllowed(user, verb: "watch", group: "ecr.pullsecrets.dev", resource: "awsecrimagepullsecrets"))
        }
    }

    @Test func serviceAccountTokensFromTheTokenRequestAPI() async throws {
        try await withRBACServer { server in
            let admin = TestServerWire(server)
            try await admin.call(
                "POST", "/api/v1/namespaces/default/serviceaccounts", .literal(#"{"metadata":{"name":"operator"}}"#))
            let issued = try await admin.call(
                "POST", "/api/v1/namespaces/default/serviceaccounts/operator/token",
                .literal(#"{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"audiences":null}}"#))
            #expect(issued.status == 201)
            #expect(issued.json["kind"] == .string("TokenRequest"))
            #expect(issued.json["metadata"] == .literal(
                #"{"name":"operator","namespace":"default","creationTimestamp":null}"#))
            #expect(issued.json["spec"] == .literal(
                #"{"audiences":["https://kubernetes.default.svc.cluster.local"],"expirationSeconds":3600,"#
                    + #""boundObjectRef":null}"#))
            let expiry = try #require(issued.json["status"]?["expirationTimestamp"]?.stringValue.flatMap(Timestamp.parse))
            #expect(abs(expiry.timeIntervalSinceNow - 3600) < 60)
            let token = try #require(issued.json["status"]?["token"]?.stringValue)
            #expect(token.split(separator: ".").count == 3)

            let operatorWire = TestServerWire(server, token: token)
            let denied = try await operatorWire.call("GET", "/api/v1/namespaces/default/secrets")
            #expect(denied.json["message"]?.stringValue?.contains(
                "User \"system:serviceaccount:default:operator\" cannot list") == true)
            // A ServiceAccount subject without a namespace means the RoleBinding's namespace.
            try server.seed(
                binding("sa", namespace: "default", role: "edit", subject: #"{"kind":"ServiceAccount","name":"operator"}"#))
            #expect(try await operatorWire.call("GET", "/api/v1/namespaces/default/secrets").status == 200)
            // The groups of a ServiceAccount token.
            try server.seed(
                binding("sas", role: "view", subject: #"{"kind":"Group","name":"system:serviceaccounts:default"}"#))
            #expect(try await operatorWire.call("GET", "/api/v1/namespaces").status == 200)

            let review = try await operatorWire.call(
                "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                .literal(
                    #"{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","#
                        + #""spec":{"resourceAttributes":{"namespace":"default","verb":"create","resource":"secrets"}}}"#))
            #expect(review.status == 201)
            #expect(review.json["status"] == .literal(
                #"{"allowed":true,"reason":"RBAC: allowed by RoleBinding \"sa/default\" of ClusterRole \"edit\" to "#
                    + #"ServiceAccount \"operator/default\""}"#))

            let short = try await admin.call(
                "POST", "/api/v1/namespaces/default/serviceaccounts/operator/token",
                .literal(#"{"spec":{"expirationSeconds":60}}"#))
            #expect(short.status == 422)
            #expect(short.json["message"] == .string(
                "TokenRequest.authentication.k8s.io \"operator\" is invalid: spec.expirationSeconds: Invalid value: 60: "
                    + "may not specify a duration less than 10 minutes"))
            let missing = try await admin.call(
                "POST", "/api/v1/namespaces/default/serviceaccounts/ghost/token", .literal("{}"))
            #expect(missing.status == 404)

            // The token dies with its ServiceAccount, also when one of the same name comes back.
            try await admin.call("DELETE", "/api/v1/namespaces/default/serviceaccounts/operator")
            try await admin.call(
                "POST", "/api/v1/namespaces/default/serviceaccounts", .literal(#"{"metadata":{"name":"operator"}}"#))
            #expect(try await operatorWire.call("GET", "/api/v1/namespaces/default/secrets").status == 401)
            let fresh = try server.serviceAccountToken(namespace: "default", name: "operator")
            #expect(try await TestServerWire(server, token: fresh).call("GET", "/api/v1/namespaces/default/secrets")
                .status == 200)
        }
    }

    @Test func clientCertificatesCarryTheirGroups() async throws {
        let server = try await KubeAPITestServer.start(tls: true)
        do {
            let caPEM = try #require(server.caPEM)
            for (user, groups, expected) in [("root", ["system:masters"], 200), ("carol", [], 403)] {
                let pair = try server.clientCertificate(user: user, groups: groups)
                let client = CurlHTTPClient(
                    configuration: .init(
                        tls: TLSConfiguration(
                            caPEM: caPEM, clientCertificatePEM: pair.certificatePEM, clientKeyPEM: pair.keyPEM)))
                let response = try await client.send(HTTPRequest(url: server.baseURL + "/api/v1/namespaces"))
                #expect(response.status == expected, "\(user)")
            }
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }
}

/// kube-apiserver's request-info rules, which give RBAC its verb, resource and scope.
@Suite("Test server: request attributes")
struct RequestAttributesTests {
    @Test(arguments: [
        ("GET", "/api/v1/namespaces/a/secrets", [:], "list", "a", "secrets", "", ""),
        ("GET", "/api/v1/namespaces/a/secrets", ["watch": "1"], "watch", "a", "secrets", "", ""),
        ("GET", "/api/v1/namespaces/a/secrets", ["watch": "false"], "list", "a", "secrets", "", ""),
        ("GET", "/api/v1/namespaces/a/secrets", ["fieldSelector": "metadata.name=s"], "list", "a", "secrets", "", "s"),
        ("GET", "/api/v1/watch/namespaces/a/secrets", [:], "watch", "a", "secrets", "", ""),
        ("DELETE", "/api/v1/namespaces/a/secrets", [:], "deletecollection", "a", "secrets", "", ""),
        ("DELETE", "/api/v1/namespaces/a/secrets/s", [:], "delete", "a", "secrets", "", "s"),
        ("PATCH", "/apis/g.io/v1/namespaces/a/things/t/status", [:], "patch", "a", "things", "status", "t"),
        ("GET", "/api/v1/namespaces/a", [:], "get", "a", "namespaces", "", "a"),
        ("PUT", "/api/v1/namespaces/a/finalize", [:], "update", "a", "namespaces", "finalize", "a"),
        ("GET", "/api/v1/namespaces", [:], "list", "", "namespaces", "", ""),
        ("POST", "/api/v1/namespaces/a/serviceaccounts/sa/token", [:], "create", "a", "serviceaccounts", "token", "sa"),
        ("GET", "/apis/g.io/v1/things", [:], "list", "", "things", "", ""),
    ] as [(String, String, [String: String], String, String, String, String, String)])
    func resourceRequests(
        method: String, path: String, query: [String: String], verb: String, namespace: String, resource: String,
        subresource: String, name: String
    ) {
        let attributes = RequestAttributes(method: method, path: path, query: query)
        #expect(attributes.isResourceRequest)
        #expect(attributes.verb == verb)
        #expect(attributes.namespace == namespace)
        #expect(attributes.resource == resource)
        #expect(attributes.subresource == subresource)
        #expect(attributes.name == name)
    }

    @Test(arguments: ["/api", "/api/v1", "/apis", "/apis/g.io", "/apis/g.io/v1", "/healthz", "/openapi/v3"])
    func nonResourceRequests(path: String) {
        let attributes = RequestAttributes(method: "GET", path: path, query: [:])
        #expect(!attributes.isResourceRequest)
        #expect(attributes.verb == "get")
        #expect(attributes.path == path)
    }
}

/// Discovery, version and Table output as kube-apiserver v1.26 writes them.
@Suite("Test server: discovery and Table output")
struct TestServerDiscoveryTableTests {
    static let tableAccept =
        "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"

    @Test func discoveryDocumentsAndNotFoundAnswers() async throws {
        try await withRBACServer { server in
            let wire = TestServerWire(server)
            #expect(try await wire.call("GET", "/version").json["gitVersion"] == .string("v1.26.1"))
            let core = try await wire.call("GET", "/api/v1")
            #expect(core.json["apiVersion"] == nil)
            let resources = core.json["resources"]?.arrayValue ?? []
            let token = resources.first { $0["name"] == .string("serviceaccounts/token") }
            #expect(token == .literal(
                #"{"name":"serviceaccounts/token","singularName":"","namespaced":true,"group":"authentication.k8s.io","#
                    + #""version":"v1","kind":"TokenRequest","verbs":["create"]}"#))
            let secrets = resources.first { $0["name"] == .string("secrets") }
            #expect(secrets?["storageVersionHash"] == .string("S6u1pOWzb84="))
            let names = resources.compactMap { $0["name"]?.stringValue }
            #expect(names == names.sorted())
            let custom = try await wire.call("GET", aeps)
            let first = custom.json["resources"]?.arrayValue?.first
            #expect(first?["singularName"] == .string("awsecrimagepullsecret"))
            #expect(first?["storageVersionHash"] == .string("Kxt3syRFCQg="))
            let groups = try await wire.call("GET", "/apis")
            let order = groups.json["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(order == [
                "authorization.k8s.io", "rbac.authorization.k8s.io", "admissionregistration.k8s.io",
                "apiextensions.k8s.io", "coordination.k8s.io", "ecr.pullsecrets.dev",
            ])
            for path in [
                "/apis/nothing.example.com", "/apis/ecr.pullsecrets.dev/v9", "\(aeps)/nothings",
                "\(aeps)/namespaces/default/clusterawsecrimagepullsecrets",
            ] {
                let missing = try await wire.call("GET", path)
                #expect(missing.status == 404)
                #expect(missing.text == "404 page not found\n", "\(path)")
            }
            let version = try await wire.call("GET", "/api/v2")
            #expect(version.status == 404)
            #expect(version.json["details"] == .object([:]))
            let openapi = try await wire.call("GET", "/openapi/v3")
            #expect(openapi.header("Content-Type") == "text/plain; charset=utf-8")
            #expect(openapi.json["paths"]?["apis/ecr.pullsecrets.dev/v1alpha1"] != nil)
        }
    }

    @Test func tablesOfCustomResourcesUseTheirPrinterColumns() async throws {
        try await withRBACServer { server in
            let wire = TestServerWire(server)
            try await wire.call("POST", "/api/v1/namespaces", .literal(#"{"metadata":{"name":"t"}}"#))
            for (name, region) in [("a", "us-west-2"), ("b", "eu-west-1")] {
                let created = try await wire.call(
                    "POST", "\(aeps)/namespaces/t/awsecrimagepullsecrets",
                    .literal(
                        #"{"apiVersion":"ecr.pullsecrets.dev/v1alpha1","kind":"AWSECRImagePullSecret","#
                            + #""metadata":{"name":"\#(name)"},"spec":{"secretName":"s-\#(name)","#
                            + #""awsAccess":{"region":"\#(region)"}}}"#))
                #expect(created.status == 201)
            }
            try await wire.call(
                "PATCH", "\(aeps)/namespaces/t/awsecrimagepullsecrets/a/status",
                .literal(
                    #"{"status":{"conditions":[{"type":"Degraded","status":"False","reason":"AsExpected","message":"","#
                        + #""lastTransitionTime":"2021-03-04T05:06:07Z"},{"type":"Ready","status":"True","#
                        + #""reason":"Synced","message":"ok","lastTransitionTime":"2021-03-04T05:06:07Z"}]}}"#),
                contentType: "application/merge-patch+json")
            let table = try await wire.call(
                "GET", "\(aeps)/namespaces/t/awsecrimagepullsecrets?limit=1", accept: Self.tableAccept)
            #expect(table.json["kind"] == .string("Table"))
            #expect(table.json["apiVersion"] == .string("meta.k8s.io/v1"))
            #expect(table.json["metadata"]?["remainingItemCount"]?.testInt == 1)
            let columns = table.json["columnDefinitions"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
            #expect(columns == ["Name", "Secret", "Ready", "Reason", "Expires", "Next Refresh", "Age"])
            let row = try #require(table.json["rows"]?.arrayValue?.first)
            let cells = row["cells"]?.arrayValue ?? []
            #expect(Array(cells.prefix(6)) == [.string("a"), .string("s-a"), .string("True"), .string("Synced"), .null, .null])
            #expect(cells.last?.stringValue?.hasSuffix("s") == true)  // Age, e.g. "0s"
            #expect(row["object"]?["kind"] == .string("PartialObjectMetadata"))

            let none = try await wire.call(
                "GET", "\(aeps)/namespaces/t/awsecrimagepullsecrets?includeObject=None",
                accept: "application/json;as=Table;v=v1beta1;g=meta.k8s.io")
            #expect(none.json["apiVersion"] == .string("meta.k8s.io/v1beta1"))
            #expect(none.json["rows"]?.arrayValue?.map { $0["object"] } == [.null, .null])
            let single = try await wire.call("GET", "/api/v1/namespaces/t", accept: Self.tableAccept)
            #expect(single.json["rows"]?.arrayValue?.first?["cells"]?.arrayValue?.prefix(2) == [.string("t"), .string("Active")])
            let plain = try await wire.call("GET", "/api/v1/namespaces/t", accept: "application/json")
            #expect(plain.json["kind"] == .string("Namespace"))
        }
    }
}

/// The RBAC registry's defaults and validation of roles and bindings.
@Suite("Test server: RBAC object validation")
struct RBACValidationTests {
    @Test func bindingsAreDefaultedAndTheirRoleRefIsImmutable() async throws {
        try await withRBACServer { server in
            let admin = TestServerWire(server)
            let created = try await admin.call(
                "POST", "\(rbacAPI)/clusterrolebindings",
                .literal(
                    #"{"metadata":{"name":"b"},"roleRef":{"kind":"ClusterRole","name":"view"},"#
                        + #""subjects":[{"kind":"User","name":"u"}]}"#))
            #expect(created.status == 201)
            #expect(created.json["roleRef"]?["apiGroup"] == .string("rbac.authorization.k8s.io"))
            #expect(created.json["subjects"]?.arrayValue?.first?["apiGroup"] == .string("rbac.authorization.k8s.io"))
            var changed = created.json
            changed["roleRef"]?["name"] = .string("edit")
            let refused = try await admin.call("PUT", "\(rbacAPI)/clusterrolebindings/b", changed)
            #expect(refused.status == 422)
            #expect(refused.json["message"] == .string(
                #"ClusterRoleBinding.rbac.authorization.k8s.io "b" is invalid: roleRef: Invalid value: "#
                    + #"rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: "#
                    + "cannot change roleRef"))
            let wrongKind = try await admin.call(
                "POST", "\(rbacAPI)/clusterrolebindings",
                .literal(
                    #"{"metadata":{"name":"c"},"roleRef":{"kind":"Role","name":"r"},"#
                        + #""subjects":[{"kind":"ServiceAccount","name":"sa"}]}"#))
            #expect(wrongKind.json["message"] == .string(
                #"ClusterRoleBinding.rbac.authorization.k8s.io "c" is invalid: [roleRef.kind: Unsupported value: "#
                    + #""Role": supported values: "ClusterRole", subjects[0].namespace: Required value]"#))
        }
    }

    @Test func rulesNeedVerbsAndResources() async throws {
        try await withRBACServer { server in
            let reply = try await TestServerWire(server).call(
                "POST", "\(rbacAPI)/namespaces/default/roles",
                .literal(
                    #"{"metadata":{"name":"r"},"rules":[{"apiGroups":[""],"resources":["secrets"]},"#
                        + #"{"nonResourceURLs":["/healthz"],"verbs":["get"]}]}"#))
            #expect(reply.status == 422)
            #expect(reply.json["message"] == .string(
                #"Role.rbac.authorization.k8s.io "r" is invalid: [rules[0].verbs: Required value: verbs must contain "#
                    + #"at least one value, rules[1].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced "#
                    + #"rules cannot apply to non-resource URLs]"#))
        }
    }
}

/// The project's own RBAC (`config/rbac`, the chart's rules) on the test server: it validates, and it
/// gives the operator's ServiceAccount what the operator does, users of `edit`/`admin` the namespaced custom
/// resource through aggregation, and users of `view` nothing of it (`spec.awsAccess` may hold keys).
@Suite("Test server: the project's RBAC")
struct ProjectRBACTests {
    @Test func configRBACGrantsTheOperatorAndAggregatesIntoEditNotView() async throws {
        try await withRBACServer { server in
            try server.seed(.literal(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"system"}}"#))
            let manifests = try CRDLoader.documents(inDirectory: TestServerTLSTests.packageRoot + "/config/rbac")
                .filter { $0["kind"]?.stringValue != "Kustomization" }
            #expect(manifests.count == 6)
            for manifest in manifests {
                var object = manifest
                if object["kind"] == .string("ServiceAccount") || object["kind"] == .string("Role")
                    || object["kind"] == .string("RoleBinding")
                {
                    object["metadata"]?["namespace"] = .string("system")
                }
                try server.seed(object)
            }
            let operatorUser = UserInfo.serviceAccount(namespace: "system", name: "ecr-pullsecret-operator")
            let group = "ecr.pullsecrets.dev"
            for (verb, resourceGroup, resource, namespace) in [
                ("watch", "", "secrets", ""), ("create", "", "secrets", "team-a"), ("patch", "", "serviceaccounts", "a"),
                ("create", "", "events", "a"), ("list", "", "namespaces", ""), ("update", group, "awsecrimagepullsecrets/status", "a"),
                ("patch", group, "clusterawsecrimagepullsecrets", ""), ("create", "coordination.k8s.io", "leases", "system"),
            ] {
                #expect(
                    server.isAllowed(operatorUser, verb: verb, group: resourceGroup, resource: resource, namespace: namespace),
                    "\(verb) \(resource)")
            }
            #expect(!server.isAllowed(operatorUser, verb: "create", group: "coordination.k8s.io", resource: "leases", namespace: "a"))
            #expect(!server.isAllowed(operatorUser, verb: "delete", group: group, resource: "awsecrimagepullsecrets", namespace: "a"))
            #expect(!server.isAllowed(operatorUser, verb: "update", group: "", resource: "serviceaccounts", namespace: "a"))
            #expect(!server.isAllowed(operatorUser, verb: "patch", group: "", resource: "secrets", namespace: "a"))

            let viewer = UserInfo(name: "v", groups: ["viewers"])
            let editor = UserInfo(name: "e", groups: ["editors"])
            try server.seed(binding("viewers", role: "view", subject: #"{"kind":"Group","name":"viewers"}"#))
            try server.seed(binding("editors", role: "edit", subject: #"{"kind":"Group","name":"editors"}"#))
            #expect(!server.isAllowed(viewer, verb: "list", group: group, resource: "awsecrimagepullsecrets"))
            #expect(!server.isAllowed(viewer, verb: "get", group: group, resource: "awsecrimagepullsecrets/status"))
            #expect(!server.isAllowed(viewer, verb: "create", group: group, resource: "awsecrimagepullsecrets", namespace: "a"))
            #expect(server.isAllowed(editor, verb: "create", group: group, resource: "awsecrimagepullsecrets", namespace: "a"))
            // edit aggregates into admin: the chart's edit role reaches admin users too.
            let admin = UserInfo(name: "a", groups: [])
            try server.seed(binding("a", namespace: "default", role: "admin", subject: #"{"kind":"User","name":"a"}"#))
            #expect(server.isAllowed(admin, verb: "delete", group: group, resource: "awsecrimagepullsecrets", namespace: "default"))
            #expect(!server.isAllowed(admin, verb: "delete", group: group, resource: "awsecrimagepullsecrets", namespace: "a"))
        }
    }
}
