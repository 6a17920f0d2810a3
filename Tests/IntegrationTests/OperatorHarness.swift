import AsyncTestSupport
import CRDModels
import Foundation
import HTTPClient
import KubeClient
import KubeTestSupport
import Logging
import Operator
import ServiceLifecycle
import Synchronization
import Testing

/// Runs `body` with a fresh API test server, and stops the server when `body` ends (awaited; a failure
/// to stop fails the test).
func withOperatorHarness<T>(_ body: (OperatorHarness) async throws -> T) async throws -> T {
    let harness = try await OperatorHarness.start()
    return try await withTeardown({ await harness.shutdown() }) { try await body(harness) }
}

/// The Kubernetes API test server with both CRDs, a client, and operators run in-process.
final class OperatorHarness: Sendable {
    let server: KubeAPITestServer
    let client: KubeClient
    let logger: Logger

    static func start() async throws -> OperatorHarness {
        var logger = Logger(label: "it")
        logger.logLevel = .warning
        let server = try await KubeAPITestServer.start(tls: false, token: "test-token")
        try server.installCRDs(fromDirectory: crdDirectory)
        let config = try KubeConfig.parse(yaml: try server.kubeconfigYAML(), directory: "/tmp")
        let client = KubeClient(config: config, logger: logger)
        return OperatorHarness(server: server, client: client, logger: logger)
    }

    private init(server: KubeAPITestServer, client: KubeClient, logger: Logger) {
        self.server = server
        self.client = client
        self.logger = logger
    }

    /// A running operator; `stop()` shuts it down gracefully.
    final class Running: Sendable {
        let runtime: OperatorRuntime
        let group: ServiceGroup
        let task: Task<Void, any Error>

        init(runtime: OperatorRuntime, group: ServiceGroup, task: Task<Void, any Error>) {
            self.runtime = runtime
            self.group = group
            self.task = task
        }

        func stop() async {
            await group.triggerGracefulShutdown()
            _ = await task.result
        }
    }

    func startOperator(
        tokens: any TokenSource, settings: OperatorSettings = OperatorSettings(),
        leaderElection: LeaderElectionConfiguration? = nil, client: KubeClient? = nil
    ) -> Running {
        let client = client ?? self.client
        let events = EventRecorder(client: client, configuration: .init(component: "ecr-pullsecret-operator"), logger: logger)
        let runtime = OperatorRuntime(
            client: client, tokens: tokens, events: events,
            configuration: RuntimeConfiguration(
                concurrency: 4, settings: settings, leaderElection: leaderElection,
                backoff: .init(base: .milliseconds(50), cap: .seconds(2))),
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: runtime)], gracefulShutdownSignals: [], logger: logger))
        let task = Task { try await group.run() }
        return Running(runtime: runtime, group: group, task: task)
    }

    /// Runs `body` with an operator started on this server, and stops it gracefully when `body` ends.
    func withOperator<T>(
        tokens: any TokenSource, settings: OperatorSettings = OperatorSettings(),
        leaderElection: LeaderElectionConfiguration? = nil, _ body: (Running) async throws -> T
    ) async throws -> T {
        let running = startOperator(tokens: tokens, settings: settings, leaderElection: leaderElection)
        return try await withTeardown({ await running.stop() }) { try await body(running) }
    }

    func shutdown() async {
        await server.shutdown()
    }

    // MARK: Fixtures

    func createNamespace(_ name: String, labels: [String: String] = [:]) async throws {
        _ = try await client.create(Namespace(metadata: ObjectMeta(name: name, labels: labels)))
    }

    func createCredentials(namespace: String, name: String = "aws-creds", keyID: String = "AKIAEXAMPLE0001") async throws {
        _ = try await client.create(
            Secret(
                metadata: ObjectMeta(name: name, namespace: namespace),
                data: [
                    "AWS_ACCESS_KEY_ID": Data(keyID.utf8),
                    "AWS_SECRET_ACCESS_KEY": Data("secret-\(keyID)".utf8),
                ]))
    }

    /// A namespaced resource `reg` writing `ecr-login` with keys from `aws-creds` in its namespace.
    func createNamespacedResource(namespace: String, name: String = "reg") async throws {
        _ = try await client.create(
            AWSECRImagePullSecret(
                metadata: ObjectMeta(name: name, namespace: namespace),
                spec: .init(
                    secretName: "ecr-login", awsAccess: .init(region: "us-west-2", secretRef: .init(name: "aws-creds")))))
    }

    /// A cluster resource `shared` writing `ecr-login` into `namespaces`, with keys from `ops/aws-creds`.
    func createSharedResource(namespaces: [String]) async throws {
        _ = try await client.create(
            ClusterAWSECRImagePullSecret(
                metadata: ObjectMeta(name: "shared"),
                spec: .init(
                    secretName: "ecr-login",
                    awsAccess: .init(region: "us-west-2", secretRef: .init(name: "aws-creds", namespace: "ops")),
                    namespaces: namespaces)))
    }

    func secret(_ namespace: String, _ name: String) async -> Secret? { await read(Secret.self, namespace, name) }

    func namespaced(_ namespace: String, _ name: String) async -> AWSECRImagePullSecret? {
        await read(AWSECRImagePullSecret.self, namespace, name)
    }

    func cluster(_ name: String) async -> ClusterAWSECRImagePullSecret? {
        await read(ClusterAWSECRImagePullSecret.self, nil, name)
    }

    /// The object, or nil when it does not exist. Any other failure is recorded as an issue of the test
    /// (a poll that swallowed it would look like an old or missing object).
    private func read<R: KubeResource>(_ type: R.Type, _ namespace: String?, _ name: String) async -> R? {
        do {
            return try await client.getIfPresent(R.self, name: name, namespace: namespace)
        } catch {
            Issue.record("GET \(R.resource.kind) \(namespace.map { "\($0)/" } ?? "")\(name) failed: \(error)")
            return nil
        }
    }
}

/// Stops moto on its own thread: `MotoServer.shutdown()` waits for the process to exit, and blocking the
/// cooperative pool from a test stalls every other task.
func stopInBackground(_ moto: MotoServer) {
    Thread { moto.shutdown() }.start()
}

/// The CRDs the product ships: the tests run against the same manifests users install.
let crdDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("config/crd").path
