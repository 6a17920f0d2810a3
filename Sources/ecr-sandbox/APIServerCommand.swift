import ArgumentParser
import Foundation
import KubeTestSupport
import Logging
import UnixSignals

/// `ecr-sandbox apiserver`: the Kubernetes API test server as its own process, over HTTPS on loopback,
/// for tests that run the operator binary as a separate process (the deployment smoke test).
///
/// Writes what a client needs into `--out-dir`: `ca.crt` (the serving CA), `token` (the admin token,
/// user `admin` in `system:masters`) and `kubeconfig` (both together), then prints one line,
/// `ready https://127.0.0.1:<port>`, and serves until SIGTERM or SIGINT. On the way out it writes
/// `denials.json`: every request RBAC refused, one sentence each, and `requests.json`: every distinct request RBAC
/// allowed (user, verb, apiGroup, resource[/subresource], namespaced, path), to derive least privilege from.
struct APIServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apiserver",
        abstract: "Run the Kubernetes API test server (HTTPS on loopback) until SIGTERM.")

    @Option(help: "Loopback port to listen on (0: a free one).")
    var port: Int = 0

    @Option(help: "Directory with the CustomResourceDefinitions to install.")
    var crdDirectory: String = "config/crd"

    @Flag(inversion: .prefixedNo, help: "Install the CustomResourceDefinitions from --crd-directory.")
    var crds = true

    @Option(help: "Directory to write ca.crt, token and kubeconfig into (created if missing).")
    var outDir: String

    @Option(
        help: ArgumentHelp(
            "Fail the first request with METHOD whose path contains PATH with STATUS (repeatable), e.g. to reach a "
                + "client's conflict path.", valueName: "METHOD:STATUS:PATH"))
    var failOnce: [String] = []

    @Option(help: "Log level of the test server (on stderr).")
    var logLevel: Logger.Level = .warning

    func validate() throws {
        guard (0...65535).contains(port) else {
            throw ValidationError("--port must be between 0 and 65535, got \(port)")
        }
        for fault in failOnce where Self.fault(fault) == nil {
            throw ValidationError("--fail-once must be METHOD:STATUS:PATH with a status of 400-599, got \(fault)")
        }
    }

    static func fault(_ text: String) -> (method: String, status: Int, path: String)? {
        let parts = text.split(separator: ":", maxSplits: 2).map(String.init)
        guard parts.count == 3, !parts[0].isEmpty, let status = Int(parts[1]), (400...599).contains(status) else {
            return nil
        }
        return (parts[0].uppercased(), status, parts[2])
    }

    func run() async throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        // Trap the signals before anything starts, so a SIGTERM sent right after the ready line is not lost.
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let token = UUID().uuidString
        let server = try await KubeAPITestServer.start(tls: true, token: token, port: port)
        do {
            if crds { try server.installCRDs(fromDirectory: crdDirectory) }
            for case let (method, status, path)? in failOnce.map(Self.fault) {
                server.injectFault(method: method, pathContains: path, status: status)
            }
            try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
            try write(server.caPEM ?? Data(), to: "ca.crt", mode: 0o644)
            try write(Data(token.utf8), to: "token", mode: 0o600)
            try server.writeKubeconfig(to: outDir + "/kubeconfig")
        } catch {
            await server.shutdown()
            throw error
        }
        // Unbuffered: the parent waits for this line on a pipe.
        FileHandle.standardOutput.write(Data("ready \(server.baseURL)\n".utf8))
        for await _ in signals { break }
        // What RBAC refused, for the smoke test's "no request was denied" (each is also logged as it happens).
        let denials = try JSONSerialization.data(withJSONObject: server.rbacDenials.map(\.description))
        let requests = try JSONEncoder().encode(server.authorizedRequests)
        await server.shutdown()
        try write(denials, to: "denials.json", mode: 0o644)
        try write(requests, to: "requests.json", mode: 0o644)
    }

    private func write(_ data: Data, to name: String, mode: Int) throws {
        let path = outDir + "/" + name
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: mode]) else {
            throw WriteError(description: "cannot write \(path)")
        }
    }

    struct WriteError: Error, CustomStringConvertible {
        var description: String
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
