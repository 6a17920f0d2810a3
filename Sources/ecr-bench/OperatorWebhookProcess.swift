import ArgumentParser
import CRDModels
import Foundation
import KubeTestSupport

/// The real operator binary serving only its webhook (`--controllers=false`) in a child process, against the
/// API test server (CRDs installed, `existingResources` resources seeded for the claim cache).
struct OperatorWebhookProcess {
    let api: KubeAPITestServer
    let child: Process
    let webhookPort: Int
    let probePort: Int

    var pid: Int32 { child.processIdentifier }

    /// Starts both and waits until the operator reports ready (its claim cache has synced).
    static func start(
        binary: String?, certDirectory: String, workDirectory: String, webhookPort: Int? = nil,
        existingResources: Int = 100, extraFlags: [String] = []
    ) async throws -> OperatorWebhookProcess {
        let binary = binary
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
                .appendingPathComponent("ecr-pullsecret-operator").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ValidationError("operator binary not found at \(binary); build it or pass --operator-binary")
        }
        let api = try await KubeAPITestServer.start(tls: false, token: "bench-token")
        try api.installCRDs(fromDirectory: ReconcileBenchmark.crdDirectory)
        for index in 0..<10 {
            try api.seed(try JSONValue.parse(Data(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-\#(index)"}}"#.utf8)))
        }
        for index in 0..<existingResources {
            try api.seed(
                try JSONValue.parse(
                    Data(
                        """
                        {"apiVersion":"ecr.pullsecrets.dev/v1alpha1","kind":"AWSECRImagePullSecret",
                        "metadata":{"name":"existing-\(index)","namespace":"team-\(index % 10)"},
                        "spec":{"secretName":"ecr-login-\(index)",
                        "awsAccess":{"region":"us-west-2","secretRef":{"name":"aws-creds"}}}}
                        """.utf8)))
        }
        let kubeconfig = workDirectory + "/kubeconfig"
        try api.kubeconfigYAML().write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        var port = webhookPort ?? 0
        if port == 0 { port = try await freePort() }
        let probePort = try await freePort()

        let child = Process()
        child.executableURL = URL(fileURLWithPath: binary)
        child.arguments = [
            "--kubeconfig", kubeconfig, "--controllers=false", "--log-level", "error",
            "--webhook-bind-address", "127.0.0.1", "--webhook-port", String(port), "--webhook-cert-dir", certDirectory,
            "--metrics-bind-address", "127.0.0.1:\(probePort)", "--health-probe-bind-address", "127.0.0.1:\(probePort)",
        ] + extraFlags
        try child.run()
        let started = OperatorWebhookProcess(api: api, child: child, webhookPort: port, probePort: probePort)
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, child.isRunning {
            let probe = try await Command.run(
                "curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(probePort)/readyz"])
            if probe.stdout == "200" { return started }
            try await Task.sleep(for: .milliseconds(200))
        }
        await started.stop()
        throw ValidationError("the operator's webhook did not become ready within 60 s")
    }

    func stop() async {
        if child.isRunning { child.terminate() }
        while child.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        await api.shutdown()
    }

    /// Resident set size of the child in bytes, from /proc (0 when it cannot be read).
    func rss() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            return kilobytes * 1024
        }
        return 0
    }

    static func freePort() async throws -> Int {
        let result = try await Command.python(
            "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
        guard let port = Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ValidationError("cannot find a free port")
        }
        return port
    }
}

/// `ecr-bench webhook-serve`: the real operator's webhook (as `webhook-attack` starts it) on a given port and
/// certificate directory until stdin closes or SIGTERM; `hack/bench-webhook.sh` drives it with wrk.
struct WebhookServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook-serve", abstract: "Run the operator's webhook against the API test server.")

    @Option(help: "Webhook port.")
    var port: Int

    @Option(help: "Directory holding tls.crt and tls.key.")
    var certDir: String

    @Option(help: "Existing resources in the claim cache.")
    var existingResources: Int = 100

    @Option(help: "The operator binary (default: next to this executable).")
    var operatorBinary: String?

    func run() async throws {
        let work = NSTemporaryDirectory() + "webhook-serve-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let process = try await OperatorWebhookProcess.start(
            binary: operatorBinary, certDirectory: certDir, workDirectory: work, webhookPort: port,
            existingResources: existingResources)
        FileHandle.standardOutput.write(Data("ready pid=\(process.pid) port=\(process.webhookPort)\n".utf8))
        // Until stdin closes (the driving script ends) or this process is terminated.
        while FileHandle.standardInput.availableData.count > 0 {}
        await process.stop()
    }
}
