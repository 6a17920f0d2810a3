import ArgumentParser
import CRDModels
import FoundationEssentials
import Logging
import Operator

/// `ecr-pullsecret-operator`: runs the controllers, the webhook and the probe/metrics endpoints.
@main
struct OperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ecr-pullsecret-operator",
        abstract: "Keeps AWS ECR image pull Secrets fresh in Kubernetes namespaces.",
        version: BuildInfo.description,
        subcommands: [CleanupCommand.self, SelftestCommand.self])

    @Option(help: "Path to a kubeconfig file; default: $KUBECONFIG, then the in-cluster config, then ~/.kube/config.")
    var kubeconfig: String?

    @Option(help: "kubeconfig context to use (default: current-context).")
    var context: String?

    @Option(help: "Only watch and write in this namespace (empty: all namespaces).")
    var watchNamespace: String = ""

    @Option(help: "Reconciles running at once, per kind.")
    var concurrency: Int = 4

    @Option(help: "Address of the Prometheus /metrics endpoint.")
    var metricsBindAddress: String = ":8080"

    @Option(help: "Address of the /healthz and /readyz endpoints.")
    var healthProbeBindAddress: String = ":8081"

    @Option(help: "Use leader election on a Lease so only one replica reconciles (true or false).")
    var leaderElect: Bool = false

    @Option(help: "Namespace of the leader election Lease (default: $POD_NAMESPACE, else the config's namespace).")
    var leaderElectionNamespace: String?

    @Option(help: "Name of the leader election Lease.")
    var leaderElectionId: String = "ecr-pullsecret-operator"

    @Option(help: "Who may use the operator's own AWS identity: cluster-only, all or none.")
    var allowAmbientCredentials: AmbientCredentialsPolicy = .clusterOnly

    @Option(help: "Refresh interval for resources that set none (Go duration, 10m..11h).")
    var defaultRefreshInterval: String = "6h"

    @Option(help: "Log format: json or text.")
    var logFormat: LogFormat = .json

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(help: "Run the controllers (false: webhook only).")
    var controllers: Bool = true

    @Option(
        help: """
            Watch Secrets' metadata (needs list/watch on Secrets) to notice edits of managed and credential \
            Secrets at once (false: only get/create/update/delete are needed; such edits are noticed at the \
            next refresh, and pruning covers Secrets written since the operator started).
            """)
    var watchSecrets: Bool = true

    @OptionGroup(title: "Webhook")
    var webhook: WebhookOptions

    mutating func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1, got \(concurrency)") }
        let interval = try parseRefreshInterval(defaultRefreshInterval)
        guard interval >= .seconds(600), interval <= .seconds(11 * 3600) else {
            throw ValidationError("--default-refresh-interval must be between 10m and 11h, got \(defaultRefreshInterval)")
        }
        _ = try parseBind(metricsBindAddress, flag: "--metrics-bind-address")
        _ = try parseBind(healthProbeBindAddress, flag: "--health-probe-bind-address")
    }

    func run() async throws {
        try await OperatorMain(options: self, environment: ProcessInfo.processInfo.environment).run()
    }
}

enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case json, text
}

extension AmbientCredentialsPolicy: ExpressibleByArgument {}

extension Logger.Level: @retroactive ExpressibleByArgument {}

func parseRefreshInterval(_ text: String) throws -> Duration {
    do {
        return try GoDuration.parse(text)
    } catch {
        throw ValidationError("--default-refresh-interval: \(error)")
    }
}

func parseBind(_ address: String, flag: String) throws -> (host: String, port: Int) {
    do {
        return try ProbeServer.parseBindAddress(address)
    } catch {
        throw ValidationError("\(flag): \(error)")
    }
}
