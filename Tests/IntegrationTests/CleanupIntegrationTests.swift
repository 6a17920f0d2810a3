import AsyncTestSupport
import CRDModels
import Foundation
import KubeClient
import KubeTestSupport
import Operator
import OperatorTestSupport
import Testing

/// Uninstalling: the operator adds its finalizer and ServiceAccount entries, stops (as `helm uninstall` stops it),
/// and then a namespace holding a resource hangs in Terminating until `cleanup` runs. Over the real wire: the API
/// test server over HTTP, the libcurl client, the real operator runtime, and the built binary.
@Suite(.serialized) struct CleanupIntegrationTests {
    /// The state an uninstall leaves: `team/reg` (namespaced, ServiceAccount `deployer`) and `shared-reg` (cluster,
    /// namespace `shared`, ServiceAccounts `builder` and `manual`) with the finalizer, written by a real operator
    /// that has then stopped. `builder` also lists `other-registry`; `manual` listed `ecr-login` before the
    /// operator came, so that entry is not the operator's.
    func uninstalledState(_ harness: OperatorHarness) async throws {
        let client = harness.client
        for namespace in ["ops", "team", "shared"] { try await harness.createNamespace(namespace) }
        try await harness.createCredentials(namespace: "ops")
        try await harness.createCredentials(namespace: "team")
        _ = try await client.create(ServiceAccount(metadata: ObjectMeta(name: "deployer", namespace: "team")))
        _ = try await client.create(
            ServiceAccount(
                metadata: ObjectMeta(name: "builder", namespace: "shared"),
                imagePullSecrets: [LocalObjectReference(name: "other-registry")]))
        _ = try await client.create(
            ServiceAccount(
                metadata: ObjectMeta(name: "manual", namespace: "shared"),
                imagePullSecrets: [LocalObjectReference(name: "ecr-login")]))

        let running = harness.startOperator(tokens: FakeTokenSource())
        _ = try await client.create(
            AWSECRImagePullSecret(
                metadata: ObjectMeta(name: "reg", namespace: "team"),
                spec: .init(
                    secretName: "ecr-login", awsAccess: .init(region: "us-west-2", secretRef: .init(name: "aws-creds")),
                    serviceAccounts: ["deployer"])))
        _ = try await client.create(
            ClusterAWSECRImagePullSecret(
                metadata: ObjectMeta(name: "shared-reg"),
                spec: .init(
                    secretName: "ecr-login",
                    awsAccess: .init(region: "us-west-2", secretRef: .init(name: "aws-creds", namespace: "ops")),
                    serviceAccounts: ["builder", "manual"], namespaces: ["shared"])))
        let written = await eventually(timeout: .seconds(20)) {
            let team = try await client.get(ServiceAccount.self, name: "deployer", namespace: "team")
            let builder = try await client.get(ServiceAccount.self, name: "builder", namespace: "shared")
            let namespaced = try await client.get(AWSECRImagePullSecret.self, name: "reg", namespace: "team")
            let cluster = try await client.get(ClusterAWSECRImagePullSecret.self, name: "shared-reg")
            return names(team) == ["ecr-login"] && names(builder) == ["other-registry", "ecr-login"]
                && namespaced.metadata.finalizers == [Finalizers.serviceAccounts]
                && cluster.metadata.finalizers == [Finalizers.serviceAccounts]
        }
        await running.stop()
        try #require(written, "the operator did not add its finalizers and ServiceAccount entries")
        let manual = try await client.get(ServiceAccount.self, name: "manual", namespace: "shared")
        #expect(names(manual) == ["ecr-login"])
        #expect(AddedPullSecrets.recorded(manual).isEmpty, "an entry that was already there is not the operator's")
    }

    @Test func cleanupLetsATerminatingNamespaceGoAndRemovesOnlyTheOperatorsEntries() async throws {
        try await withOperatorHarness { harness in
            let client = harness.client
            try await uninstalledState(harness)

            // Without cleanup the namespace hangs: the resource keeps the finalizer nobody will remove.
            try await client.delete(Namespace.self, name: "team")
            await expectEventually {
                try await client.get(AWSECRImagePullSecret.self, name: "reg", namespace: "team")
                    .metadata.deletionTimestamp != nil
            }
            try await Task.sleep(for: .seconds(1))
            let stuck = try await client.getIfPresent(Namespace.self, name: "team")
            #expect(stuck?.status?.phase == "Terminating", "the test server must model a namespace kept by a finalizer")
            #expect(try await client.getIfPresent(AWSECRImagePullSecret.self, name: "reg", namespace: "team") != nil)

            let report = await OperatorCleanup(client: client, namespace: nil, logger: harness.logger).run()
            #expect(report.failures == [])
            #expect(report.finalizersRemoved.sorted() == ["AWSECRImagePullSecret team/reg", "ClusterAWSECRImagePullSecret shared-reg"])
            #expect(report.serviceAccountsCleaned.contains("shared/builder"))

            await expectEventually("the namespace must finish terminating once the finalizer is gone") {
                try await client.getIfPresent(Namespace.self, name: "team") == nil
            }

            let builder = try await client.get(ServiceAccount.self, name: "builder", namespace: "shared")
            #expect(names(builder) == ["other-registry"])
            #expect(builder.metadata.annotations?[AddedPullSecrets.annotation] == nil)
            let manual = try await client.get(ServiceAccount.self, name: "manual", namespace: "shared")
            #expect(names(manual) == ["ecr-login"], "an entry the operator did not add stays")
            let cluster = try await client.get(ClusterAWSECRImagePullSecret.self, name: "shared-reg")
            #expect(cluster.metadata.finalizers ?? [] == [])
            #expect(await harness.secret("shared", "ecr-login") != nil, "resources and their Secrets are kept")

            let again = await OperatorCleanup(client: client, namespace: nil, logger: harness.logger).run()
            #expect(again == OperatorCleanup.Report(), "a second run changes nothing")
        }
    }

    @Test func namespacedCleanupLeavesOtherNamespacesAndTheClusterKind() async throws {
        try await withOperatorHarness { harness in
            let client = harness.client
            try await uninstalledState(harness)
            let report = await OperatorCleanup(client: client, namespace: "team", logger: harness.logger).run()
            #expect(report.failures == [])
            #expect(report.finalizersRemoved == ["AWSECRImagePullSecret team/reg"])
            #expect(report.serviceAccountsCleaned == ["team/deployer"])
            #expect(names(try await client.get(ServiceAccount.self, name: "deployer", namespace: "team")) == [])
            #expect(
                names(try await client.get(ServiceAccount.self, name: "builder", namespace: "shared"))
                    == ["other-registry", "ecr-login"])
            let cluster = try await client.get(ClusterAWSECRImagePullSecret.self, name: "shared-reg")
            #expect(cluster.metadata.finalizers == [Finalizers.serviceAccounts])
        }
    }

    /// The subcommand as the chart's hook runs it: the built binary, exit 0 when clean, non-zero when the API
    /// server refuses a write, and a re-run finishes the job.
    @Test func theBinarysCleanupSubcommandExitsNonZeroOnFailureAndSucceedsWhenRunAgain() async throws {
        let binary = try #require(operatorBinary(), "build the ecr-pullsecret-operator product first")
        try await withOperatorHarness { harness in
            let client = harness.client
            try await uninstalledState(harness)
            let kubeconfig = FileManager.default.temporaryDirectory
                .appendingPathComponent("cleanup-\(UUID().uuidString).yaml").path
            try harness.server.writeKubeconfig(to: kubeconfig)
            defer { try? FileManager.default.removeItem(atPath: kubeconfig) }

            harness.server.injectFault(
                method: "PATCH", pathContains: "/clusterawsecrimagepullsecrets/shared-reg", status: 500, count: 10)
            let failed = try await Command.run(binary, ["cleanup", "--kubeconfig", kubeconfig])
            #expect(failed.status != 0)
            #expect(failed.stderr.contains("shared-reg"), "the log names what could not be cleaned")
            #expect(failed.stderr.contains("cleanup incomplete"))

            harness.server.clearFaults()
            let succeeded = try await Command.run(binary, ["cleanup", "--kubeconfig", kubeconfig])
            #expect(succeeded.status == 0, "\(succeeded.stderr)")
            #expect(succeeded.stderr.contains("cleanup done"))
            let cluster = try await client.get(ClusterAWSECRImagePullSecret.self, name: "shared-reg")
            #expect(cluster.metadata.finalizers ?? [] == [])
            let namespaced = try await client.get(AWSECRImagePullSecret.self, name: "reg", namespace: "team")
            #expect(namespaced.metadata.finalizers ?? [] == [])

            let help = try await Command.run(binary, ["cleanup", "--help"])
            #expect(help.status == 0)
            #expect(help.stdout.contains("--namespace"))
        }
    }

    /// The chart's hook, rendered by the real Helm engine: its ServiceAccount, ClusterRole and binding applied to
    /// the test server (which enforces RBAC), the Job's arguments run by the built binary authenticated as that
    /// ServiceAccount. Unbound, every call is refused; bound, cleanup finishes and RBAC refuses nothing.
    @Test func theChartsHookRBACAllowsEverythingCleanupCalls() async throws {
        let binary = try #require(operatorBinary(), "build the ecr-pullsecret-operator product first")
        let hooks = try await renderedCleanupHooks()
        try await withOperatorHarness { harness in
            let client = harness.client
            let server = harness.server
            try await uninstalledState(harness)
            let namespace = "ecr-pullsecret-operator-system"
            try await harness.createNamespace(namespace)
            let account = try #require(hooks.first { $0["kind"]?.stringValue == "ServiceAccount" })
            _ = try server.seed(account)
            let name = try #require(account["metadata"]?["name"]?.stringValue)
            let kubeconfig = FileManager.default.temporaryDirectory
                .appendingPathComponent("cleanup-\(UUID().uuidString).yaml").path
            let token = try server.serviceAccountToken(namespace: namespace, name: name)
            try Data(
                """
                apiVersion: v1
                kind: Config
                clusters: [{name: test, cluster: {server: "\(server.baseURL)"}}]
                users: [{name: cleanup, user: {token: "\(token)"}}]
                contexts: [{name: test, context: {cluster: test, user: cleanup}}]
                current-context: test
                """.utf8
            ).write(to: URL(fileURLWithPath: kubeconfig))
            defer { try? FileManager.default.removeItem(atPath: kubeconfig) }
            let job = try #require(hooks.first { $0["kind"]?.stringValue == "Job" })
            let container = job["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first
            let arguments = (container?["args"]?.arrayValue ?? []).compactMap { $0.stringValue }
            #expect(arguments.first == "cleanup")
            #expect(job["spec"]?["template"]?["spec"]?["serviceAccountName"]?.stringValue == name)

            let unbound = try await Command.run(binary, arguments + ["--kubeconfig", kubeconfig])
            #expect(unbound.status != 0, "without the hook's RBAC every call must be refused")
            #expect(!server.rbacDenials.isEmpty)

            for object in hooks where ["ClusterRole", "ClusterRoleBinding"].contains(object["kind"]?.stringValue) {
                _ = try server.seed(object)
            }
            server.clearRBACDenials()
            let bound = try await Command.run(binary, arguments + ["--kubeconfig", kubeconfig])
            #expect(bound.status == 0, "\(bound.stderr)")
            #expect(server.rbacDenials.isEmpty, "refused: \(server.rbacDenials)")
            let cluster = try await client.get(ClusterAWSECRImagePullSecret.self, name: "shared-reg")
            #expect(cluster.metadata.finalizers ?? [] == [])
            let builder = try await client.get(ServiceAccount.self, name: "builder", namespace: "shared")
            #expect(names(builder) == ["other-registry"])
        }
    }
}

private func names(_ account: ServiceAccount) -> [String] {
    (account.imagePullSecrets ?? []).compactMap(\.name)
}

/// The `ecr-pullsecret-operator` executable beside the test bundle (`swift build --build-tests` builds both).
private func operatorBinary() -> String? {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<3 {
        let candidate = directory.appendingPathComponent("ecr-pullsecret-operator").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    return nil
}

/// The chart's post-delete hook objects with default values, rendered by the real Helm engine (helm-python-sdk).
private func renderedCleanupHooks() async throws -> [JSONValue] {
    let chart = URL(fileURLWithPath: crdDirectory).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("chart/ecr-pullsecret-operator").path
    let script = """
        import json, sys, yaml, helm_python
        rendered = helm_python.Chart.load(sys.argv[1]).render(
            {}, name="ecr-pullsecret-operator", namespace="ecr-pullsecret-operator-system", is_install=True)
        hooks = [doc for path, text in sorted(rendered.items()) if not path.endswith("NOTES.txt")
                 for doc in yaml.safe_load_all(text)
                 if doc and "helm.sh/hook" in (doc["metadata"].get("annotations") or {})]
        print(json.dumps(hooks))
        """
    let result = try await Command.run("python3", ["-c", script, chart], timeout: .seconds(120))
    struct RenderFailed: Error, CustomStringConvertible { var description: String }
    guard result.status == 0 else { throw RenderFailed(description: "rendering the chart failed: \(result.stderr)") }
    return try JSONValue.parse(Data(result.stdout.utf8)).arrayValue ?? []
}
