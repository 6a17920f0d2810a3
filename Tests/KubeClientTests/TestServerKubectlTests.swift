import AsyncTestSupport
import CRDModels
import Foundation
import KubeTestSupport
import Testing

/// kubectl is the reference client: if it works against the test server, discovery, lists
/// without Table support, and client-side apply are faithful enough.
@Suite("Test server: kubectl and curl as clients")
struct TestServerKubectlTests {
    static let crdYAML = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.example.test
        spec:
          group: example.test
          names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget, shortNames: [wd], categories: [toys]}
          scope: Namespaced
          versions:
          - name: v1
            served: true
            storage: true
            subresources: {status: {}}
            schema:
              openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
        """

    static let widgetYAML = """
        apiVersion: example.test/v1
        kind: Widget
        metadata:
          name: gear
          namespace: default
        spec:
          size: 3
        """

    /// Runs `body` with a test server, a scratch directory and the environment that points kubectl at the
    /// server. clientcmd only sends bearer tokens over TLS (kubernetes/kubectl#744), so kubectl over plain
    /// HTTP runs against a server without token authentication; the TLS suite covers credentials.
    func withKubectl(_ body: (KubeAPITestServer, String, [String: String]) async throws -> Void) async throws {
        let server = try await KubeAPITestServer.start(token: nil)
        try await withTeardown({ await server.shutdown() }) {
            let directory = try makeServerTestDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let kubeconfig = directory + "/kubeconfig"
            try server.writeKubeconfig(to: kubeconfig)
            try await body(server, directory, ["KUBECONFIG": kubeconfig, "HOME": directory])
        }
    }

    @Test func kubectlListsNamespacesAndAppliesSecrets() async throws {
        try await withKubectl { server, directory, env in

            let namespaces = try await runServerTool(["kubectl", "get", "namespaces"], environment: env)
            #expect(namespaces.status == 0, "\(namespaces.stderr)")
            #expect(namespaces.stdout.contains("kube-system"))
            #expect(namespaces.stdout.contains("default"))

            let manifest = directory + "/secret.yaml"
            func apply(tier: String) async throws -> ServerToolResult {
                try """
                    apiVersion: v1
                    kind: Secret
                    metadata: {name: from-kubectl, namespace: default, labels: {tier: \(tier)}}
                    stringData: {token: abc}
                    """.write(toFile: manifest, atomically: true, encoding: .utf8)
                return try await runServerTool(["kubectl", "apply", "-f", manifest], environment: env)
            }
            let created = try await apply(tier: "web")
            #expect(created.status == 0, "\(created.stderr)")
            #expect(created.stdout.contains("secret/from-kubectl created"))
            let secret = try #require(server.object("secrets", namespace: "default", name: "from-kubectl"))
            #expect(secret["data"]?["token"] == .string("YWJj"))
            #expect(secret["metadata"]?["annotations"]?["kubectl.kubernetes.io/last-applied-configuration"] != nil)

            let configured = try await apply(tier: "api")
            #expect(configured.status == 0, "\(configured.stderr)")
            #expect(configured.stdout.contains("secret/from-kubectl configured"))
            #expect(
                server.object("secrets", namespace: "default", name: "from-kubectl")?["metadata"]?["labels"]?["tier"]
                    == .string("api"))

            let selected = try await runServerTool(["kubectl", "get", "secrets", "-l", "tier in (api)", "-o", "name"], environment: env)
            #expect(selected.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "secret/from-kubectl")
            let deleted = try await runServerTool(["kubectl", "delete", "secret", "from-kubectl"], environment: env)
            #expect(deleted.status == 0, "\(deleted.stderr)")
            #expect(server.object("secrets", namespace: "default", name: "from-kubectl") == nil)
        }
    }

    @Test func kubectlAppliesACustomResourceAfterItsCRD() async throws {
        try await withKubectl { server, directory, env in
            try FileManager.default.createDirectory(atPath: directory + "/crd", withIntermediateDirectories: true)
            try Self.crdYAML.write(toFile: directory + "/crd/widgets.yaml", atomically: true, encoding: .utf8)
            try Self.widgetYAML.write(toFile: directory + "/widget.yaml", atomically: true, encoding: .utf8)

            let crd = try await runServerTool(["kubectl", "apply", "-f", directory + "/crd/widgets.yaml"], environment: env)
            #expect(crd.status == 0, "\(crd.stderr)")
            let established = try await runServerTool(
                ["kubectl", "wait", "--for", "condition=Established", "crd/widgets.example.test", "--timeout=10s"],
                environment: env)
            #expect(established.status == 0, "\(established.stderr)")
            let applied = try await runServerTool(["kubectl", "apply", "-f", directory + "/widget.yaml"], environment: env)
            #expect(applied.status == 0, "\(applied.stderr)")
            #expect(applied.stdout.contains("widget.example.test/gear created"))
            let widget = try #require(server.object("widgets", namespace: "default", name: "gear"))
            #expect(widget["spec"]?["size"]?.testInt == 3)
            #expect(widget["metadata"]?["generation"]?.testInt == 1)

            try Self.widgetYAML.replacingOccurrences(of: "size: 3", with: "size: 4")
                .write(toFile: directory + "/widget.yaml", atomically: true, encoding: .utf8)
            let reapplied = try await runServerTool(["kubectl", "apply", "-f", directory + "/widget.yaml"], environment: env)
            #expect(reapplied.status == 0, "\(reapplied.stderr)")
            let changed = try #require(server.object("widgets", namespace: "default", name: "gear"))
            #expect(changed["spec"]?["size"]?.testInt == 4)
            #expect(changed["metadata"]?["generation"]?.testInt == 2)

            let listed = try await runServerTool(["kubectl", "get", "toys", "-A"], environment: env)
            #expect(listed.status == 0, "\(listed.stderr)")
            #expect(listed.stdout.contains("gear"))
            let short = try await runServerTool(["kubectl", "get", "wd", "gear", "-o", "jsonpath={.spec.size}"], environment: env)
            #expect(short.stdout == "4", "\(short.stderr)")

            // The same CRD installed from a directory by the helper registers the same resource.
            let other = try await KubeAPITestServer.start()
            try await withTeardown({ await other.shutdown() }) {
                try other.installCRDs(fromDirectory: directory + "/crd")
                #expect(other.object("customresourcedefinitions", name: "widgets.example.test") != nil)
                let wire = TestServerWire(other)
                let list = try await wire.call("GET", "/apis/example.test/v1/namespaces/default/widgets")
                #expect(list.status == 200)
                #expect(list.json["kind"] == .string("WidgetList"))
            }
        }
    }

    @Test func kubectlWatchStreamsChanges() async throws {
        try await withKubectl { server, directory, env in
            async let watched = runServerTool(
                ["kubectl", "get", "secrets", "-w", "-o", "name"], environment: env,
                timeout: .seconds(30))
            // kubectl's first request can take seconds to arrive on a loaded machine (2.2 s was seen).
            try await expectServerEventually(timeout: .seconds(15)) { server.openWatchCount == 1 }
            try server.seed(.literal(#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"late","namespace":"default"}}"#))
            try await Task.sleep(for: .seconds(1))  // time for kubectl to print the event under load
            server.closeWatches()
            let output = try await watched
            #expect(output.stdout.contains("secret/late"), "\(output.stdout) \(output.stderr)")
        }
    }

    @Test func curlSeesChunkedWatchAndStatusBodies() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            let auth = "Authorization: Bearer \(server.token ?? "")"
            let missing = try await runServerTool(
                ["curl", "-sS", "-H", auth, server.baseURL + "/api/v1/namespaces/default/secrets/none"])
            #expect(try JSONValue.parse(Data(missing.stdout.utf8))["code"]?.testInt == 404)
            let watch = try await runServerTool(
                ["curl", "-sS", "-i", "-H", auth, server.baseURL + "/api/v1/namespaces?watch=1&timeoutSeconds=1"])
            #expect(watch.stdout.lowercased().contains("transfer-encoding: chunked"))
            #expect(watch.stdout.contains(#""type":"ADDED""#))
            #expect(watch.stdout.contains("kube-node-lease"))
            // A larger body makes curl send `Expect: 100-continue`; the server answers at once. curl is told to
            // wait 30 s for that interim answer, so a server that never sends it is told apart from a slow machine.
            let big = String(repeating: "x", count: 8000)
            let started = ContinuousClock.now
            let posted = try await runServerTool(
                ["curl", "-sS", "--expect100-timeout", "30", "-H", auth, "-H", "Content-Type: application/json", "-d",
                 #"{"metadata":{"name":"big"},"stringData":{"blob":"\#(big)"}}"#,
                 server.baseURL + "/api/v1/namespaces/default/secrets"])
            #expect(try JSONValue.parse(Data(posted.stdout.utf8))["metadata"]?["name"] == .string("big"), "\(posted.stderr)")
            #expect(ContinuousClock.now - started < .seconds(15))
            let openapi = try await runServerTool(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", auth, server.baseURL + "/openapi/v2"])
            #expect(openapi.stdout == "404")
        }
    }
}
