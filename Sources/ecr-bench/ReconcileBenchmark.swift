import ArgumentParser
import CRDModels
import Foundation
import KubeClient
import KubeTestSupport
import Logging
import Operator
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// `ecr-bench reconcile`: time from creating a `ClusterAWSECRImagePullSecret` that selects N
/// namespaces to all N Secrets written (and to its status reporting N/N), against the in-process
/// Kubernetes API test server over HTTP. Tokens come from a fixed in-process source so the figure
/// is the operator's Kubernetes fan-out, not AWS latency (one token serves every namespace anyway).
struct ReconcileBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile", abstract: "Cluster resource → Secrets in N namespaces: time and memory.")

    @Option(help: "Namespace counts to measure, comma-separated.")
    var namespaces: String = "100,1000"

    @Option(help: "Concurrent Secret writes per reconcile.")
    var parallelism: Int = 16

    @Option(help: "Test server garbage-collection delay in seconds (its default is 0.02).")
    var gcDelay: Double = 5

    @Option(help: "Give up on one measurement after this many seconds.")
    var timeout: Int = 300

    /// The CRDs the product ships, found from this source file (the benchmark runs in a checkout).
    static let crdDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/crd").path

    func run() async throws {
        var logger = Logger(label: "ecr-bench")
        logger.logLevel = .error
        let counts = namespaces.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        print(
            "reconcile benchmark: cluster resource → Secrets (KubeAPITestServer over HTTP, fixed tokens, "
                + "test-server GC delay \(gcDelay) s)")
        for count in counts {
            let result = try await measure(count: count, logger: logger)
            print(
                String(
                    format: "  %5d namespaces: all Secrets written in %.3f s (%.2f ms/namespace), status %d/%d after %.3f s, API requests %d",
                    count, result.secrets, result.secrets * 1000 / Double(count), result.synced, count, result.status,
                    result.requests))
        }
        print("  max RSS: \(Self.maxRSSMegabytes()) MB")
    }

    struct Result {
        var secrets: Double
        var status: Double
        var synced: Int
        var requests: Int
    }

    func measure(count: Int, logger: Logger) async throws -> Result {
        // The test server's garbage collector rescans every object after writes (O(objects) under its
        // lock); at its 20 ms default that scan, not the operator, dominates past a few hundred
        // namespaces. Nothing here is garbage-collected, so it runs every 5 s instead.
        var options = KubeAPITestServerOptions()
        options.garbageCollectionDelay = .seconds(gcDelay)
        let server = try await KubeAPITestServer.start(
            tls: false, token: "bench-token", options: options, logger: logger)
        defer { Task { await server.shutdown() } }
        try server.installCRDs(fromDirectory: Self.crdDirectory)
        for index in 0..<count {
            try server.seed(
                try JSONValue(
                    encoding: Namespace(metadata: ObjectMeta(name: "bench-\(index)", labels: ["ecr-pull": "true"]))))
        }
        try server.seed(
            try JSONValue(encoding: Namespace(metadata: ObjectMeta(name: "ops"))))
        try server.seed(
            try JSONValue(
                encoding: Secret(
                    metadata: ObjectMeta(name: "aws-creds", namespace: "ops"),
                    data: ["AWS_ACCESS_KEY_ID": Data("AKIABENCH".utf8), "AWS_SECRET_ACCESS_KEY": Data("x".utf8)])))
        let config = try KubeConfig.parse(yaml: try server.kubeconfigYAML(), directory: "/tmp")
        let client = KubeClient(config: config, maxConcurrentRequests: 64, logger: logger)
        let runtime = OperatorRuntime(
            client: client, tokens: FixedTokenSource(), events: nil,
            configuration: RuntimeConfiguration(
                concurrency: 4, settings: OperatorSettings(namespaceParallelism: parallelism)),
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: runtime)], gracefulShutdownSignals: [], logger: logger))
        let running = Task { try await group.run() }
        defer { running.cancel() }
        while !runtime.isReady { try await Task.sleep(for: .milliseconds(10)) }
        let requestsBefore = server.requestCount()

        let start = ContinuousClock.now
        _ = try await client.create(
            ClusterAWSECRImagePullSecret(
                metadata: ObjectMeta(name: "bench"),
                spec: .init(
                    secretName: "ecr-login",
                    awsAccess: .init(region: "us-west-2", secretRef: .init(name: "aws-creds", namespace: "ops")),
                    namespaceSelector: LabelSelector(matchLabels: ["ecr-pull": "true"]))))
        let deadline = start + .seconds(timeout)
        var secretsAt: Duration?
        var statusAt: Duration?
        var synced = 0
        // Poll cheaply (one object per namespace, by key) so the poller does not starve the server.
        var checked = 0
        while ContinuousClock.now < deadline, statusAt == nil {
            if secretsAt == nil {
                while checked < count, server.object("secrets", namespace: "bench-\(checked)", name: "ecr-login") != nil {
                    checked += 1
                }
                if checked >= count { secretsAt = ContinuousClock.now - start }
            }
            if let status = server.object("clusterawsecrimagepullsecrets", name: "bench")?["status"],
                case .number(let value)? = status["namespaces"]?["synced"], Int(value) >= count
            {
                synced = Int(value)
                statusAt = ContinuousClock.now - start
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let requests = server.requestCount() - requestsBefore
        await group.triggerGracefulShutdown()
        _ = await running.result
        guard let secretsAt, let statusAt else {
            throw ValidationError("\(count) namespaces: not all Secrets written within \(timeout) s")
        }
        return Result(secrets: secretsAt.seconds, status: statusAt.seconds, synced: synced, requests: requests)
    }

    static func maxRSSMegabytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) / 1024
    }
}

/// One fixed token, 12 h lifetime: AWS is not what this benchmark measures.
struct FixedTokenSource: TokenSource {
    func tokens(for requests: TokenRequests, credentials: ResolvedCredentials, notBefore: Date?) async throws
        -> [IssuedToken]
    {
        let now = Date()
        return requests.regional.map {
            IssuedToken(
                credential: RegistryCredential(
                    host: "123456789012.dkr.ecr.\($0.region).amazonaws.com", username: "AWS", password: "bench-token"),
                expiresAt: now.addingTimeInterval(12 * 3600), obtainedAt: now)
        }
    }
}

extension Duration {
    fileprivate var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
