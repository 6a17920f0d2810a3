import CRDModels
import Foundation

/// `ExecCredential.status`: what a `client.authentication.k8s.io` plugin prints.
public struct ExecCredentialStatus: Codable, Sendable, Hashable {
    public var token: String?
    /// RFC 3339; absent means "valid until the server rejects it".
    public var expirationTimestamp: String?
    public var clientCertificateData: String?
    public var clientKeyData: String?

    public init(
        token: String? = nil, expirationTimestamp: String? = nil, clientCertificateData: String? = nil,
        clientKeyData: String? = nil
    ) {
        self.token = token
        self.expirationTimestamp = expirationTimestamp
        self.clientCertificateData = clientCertificateData
        self.clientKeyData = clientKeyData
    }

    public var expiration: Date? { expirationTimestamp.flatMap(Timestamp.parse) }
}

/// Runs exec credential plugins (client-go `plugin/pkg/client/auth/exec`).
public enum ExecPlugin {
    /// Largest plugin output read; a credential is a few kilobytes.
    static let maxOutputBytes = 1 << 20

    /// The `KUBERNETES_EXEC_INFO` document for `config`.
    static func execInfo(_ config: ExecConfig) throws -> String {
        var spec: [String: JSONValue] = ["interactive": .bool(false)]
        if config.provideClusterInfo {
            var cluster: [String: JSONValue] = ["server": .string(config.clusterServer)]
            if let ca = config.clusterCAPEM { cluster["certificate-authority-data"] = .string(ca.base64EncodedString()) }
            if config.clusterInsecureSkipVerify { cluster["insecure-skip-tls-verify"] = .bool(true) }
            if let name = config.clusterTLSServerName { cluster["tls-server-name"] = .string(name) }
            spec["cluster"] = .object(cluster)
        }
        let info = JSONValue.object([
            "apiVersion": .string(config.apiVersion), "kind": .string("ExecCredential"), "spec": .object(spec),
        ])
        return String(decoding: try info.serialized(), as: UTF8.self)
    }

    /// Finds the executable: absolute paths as given, relative paths with a `/` against the
    /// kubeconfig's directory, bare names on `PATH` from the passed-in environment.
    static func resolveCommand(_ config: ExecConfig) throws -> String {
        let command = config.command
        if command.hasPrefix("/") { return command }
        if command.contains("/") { return KubeConfig.resolvePath(command, in: config.directory) }
        let searchPath = config.env["PATH"] ?? config.baseEnvironment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in searchPath.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(command)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        var message = "exec plugin command \"\(command)\" was not found on PATH"
        if let hint = config.installHint, !hint.isEmpty { message += ". \(hint)" }
        throw KubeConfigError(code: .execFailed, message: message)
    }

    /// Runs the plugin once and parses its `ExecCredential`. The plugin is killed after `config.timeout`.
    public static func run(_ config: ExecConfig) async throws -> ExecCredentialStatus {
        let executable = try resolveCommand(config)
        var environment = config.baseEnvironment
        for (name, value) in config.env { environment[name] = value }
        environment["KUBERNETES_EXEC_INFO"] = try execInfo(config)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = config.args
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice

        let (output, errorOutput, exitStatus) = try await withThrowingTaskGroup(
            of: (Data, Data, Int32)?.self
        ) { group in
            group.addTask {
                try await runToCompletion(process, stdout: stdout, stderr: stderr, command: config.command)
            }
            group.addTask {
                try await Task.sleep(for: config.timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                kill(process.processIdentifier, SIGKILL)
                throw KubeConfigError(
                    code: .execFailed, message: "exec plugin \(config.command) did not finish within \(config.timeout)")
            }
            return result
        }
        guard exitStatus == 0 else {
            let detail = String(decoding: errorOutput.prefix(512), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            throw KubeConfigError(
                code: .execFailed, message: "exec plugin \(config.command) exited with status \(exitStatus): \(detail)")
        }
        return try parseCredential(output, apiVersion: config.apiVersion, command: config.command)
    }

    /// Parses and checks the plugin's stdout.
    static func parseCredential(_ output: Data, apiVersion: String, command: String) throws -> ExecCredentialStatus {
        struct ExecCredential: Decodable {
            var apiVersion: String?
            var kind: String?
            var status: ExecCredentialStatus?
        }
        let credential: ExecCredential
        do {
            credential = try JSONDecoder().decode(ExecCredential.self, from: output)
        } catch {
            throw KubeConfigError(
                code: .execFailed,
                message: "exec plugin \(command) printed no valid ExecCredential: \(describeDecodingError(error))")
        }
        guard credential.kind == "ExecCredential", credential.apiVersion == apiVersion else {
            throw KubeConfigError(
                code: .execFailed,
                message: "exec plugin \(command) returned \(credential.apiVersion ?? "?")/\(credential.kind ?? "?"), "
                    + "want \(apiVersion)/ExecCredential")
        }
        guard let status = credential.status,
            status.token?.isEmpty == false || (status.clientCertificateData != nil && status.clientKeyData != nil)
        else {
            throw KubeConfigError(
                code: .execFailed,
                message: "exec plugin \(command) returned neither status.token nor a client certificate and key")
        }
        if status.expirationTimestamp != nil, status.expiration == nil {
            throw KubeConfigError(
                code: .execFailed, message: "exec plugin \(command): status.expirationTimestamp is not RFC 3339")
        }
        return status
    }

    /// Starts the process and collects both pipes on a background queue (so a chatty plugin never
    /// blocks on a full pipe), resuming when it exits. Cancellation terminates it.
    private static func runToCompletion(
        _ process: Process, stdout: Pipe, stderr: Pipe, command: String
    ) async throws -> (Data, Data, Int32) {
        do {
            try process.run()
        } catch {
            throw KubeConfigError(code: .execFailed, message: "cannot start exec plugin \(command)", cause: error)
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global().async {
                    let group = DispatchGroup()
                    nonisolated(unsafe) var errorData = Data()
                    group.enter()
                    DispatchQueue.global().async {
                        errorData = readBounded(stderr.fileHandleForReading)
                        group.leave()
                    }
                    let outputData = readBounded(stdout.fileHandleForReading)
                    group.wait()
                    process.waitUntilExit()
                    if outputData.count > maxOutputBytes {
                        continuation.resume(
                            throwing: KubeConfigError(
                                code: .execFailed, message: "exec plugin \(command) printed more than 1 MiB"))
                    } else {
                        continuation.resume(returning: (outputData, errorData, process.terminationStatus))
                    }
                }
            }
        } onCancel: {
            kill(process.processIdentifier, SIGKILL)
        }
    }

    /// Reads to end of file, keeping at most `maxOutputBytes + 1` bytes (the rest is drained).
    private static func readBounded(_ handle: FileHandle) -> Data {
        var data = Data()
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            if data.count <= maxOutputBytes { data.append(chunk.prefix(maxOutputBytes + 1 - data.count)) }
        }
        return data
    }
}
