import CRDModels
import Dispatch
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

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

        let child = try spawn(executable, arguments: config.args, environment: environment, command: config.command)
        let (output, errorOutput, exitStatus) = try await withThrowingTaskGroup(
            of: (Data, Data, Int32)?.self
        ) { group in
            group.addTask { try await collect(child, command: config.command) }
            group.addTask {
                try await Task.sleep(for: config.timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                kill(child.pid, SIGKILL)
                throw KubeConfigError(
                    code: .execFailed, message: "exec plugin \(config.command) did not finish within \(config.timeout)")
            }
            return result
        }
        guard exitStatus == 0 else {
            let detail = String(decoding: errorOutput.prefix(512), as: UTF8.self)
                .trimmingWhitespace()
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

    /// A started plugin: its pid and the read ends of its stdout and stderr pipes.
    struct Child: Sendable {
        var pid: pid_t
        var stdout: Int32
        var stderr: Int32
    }

    /// Starts `executable` with stdin from /dev/null and stdout and stderr on pipes (posix_spawn: Foundation's
    /// `Process` is not in FoundationEssentials).
    static func spawn(
        _ executable: String, arguments: [String], environment: [String: String], command: String
    ) throws -> Child {
        var output: [Int32] = [-1, -1]
        var errors: [Int32] = [-1, -1]
        guard makePipe(&output) else { throw spawnError(command, errno) }
        guard makePipe(&errors) else {
            let code = errno
            output.forEach { close($0) }
            throw spawnError(command, code)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // dup2 clears close-on-exec on the copies; the originals close at exec.
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        var status = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        // ETXTBSY: another thread's child still holds a write descriptor of a just-written plugin until its
        // exec closes it; the window is short.
        for _ in 0..<10 where status == ETXTBSY {
            usleep(10_000)
            status = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        }
        close(output[1])
        close(errors[1])
        guard status == 0 else {
            close(output[0])
            close(errors[0])
            throw spawnError(command, status)
        }
        return Child(pid: pid, stdout: output[0], stderr: errors[0])
    }

    /// A pipe whose ends close on exec (the child gets its copies through dup2).
    private static func makePipe(_ ends: inout [Int32]) -> Bool {
        guard pipe(&ends) == 0 else { return false }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return true
    }

    private static func spawnError(_ command: String, _ code: Int32) -> KubeConfigError {
        KubeConfigError(
            code: .execFailed, message: "cannot start exec plugin \(command): \(String(cString: strerror(code)))")
    }

    /// Collects both pipes on a background thread (so a chatty plugin never blocks on a full pipe) and reaps
    /// the process, resuming when it exits. Cancellation kills it.
    private static func collect(_ child: Child, command: String) async throws -> (Data, Data, Int32) {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global().async {
                    let (outputData, errorData) = readBounded(child.stdout, child.stderr)
                    var status: Int32 = 0
                    while waitpid(child.pid, &status, 0) < 0, errno == EINTR {}
                    // Exit code, or 128 + the signal that ended it (as a shell reports it).
                    let exitStatus = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + status & 0x7F
                    if outputData.count > maxOutputBytes {
                        continuation.resume(
                            throwing: KubeConfigError(
                                code: .execFailed, message: "exec plugin \(command) printed more than 1 MiB"))
                    } else {
                        continuation.resume(returning: (outputData, errorData, exitStatus))
                    }
                }
            }
        } onCancel: {
            kill(child.pid, SIGKILL)
        }
    }

    /// Reads both descriptors to end of file and closes them, keeping at most `maxOutputBytes + 1` bytes of
    /// each (the rest is drained).
    private static func readBounded(_ stdout: Int32, _ stderr: Int32) -> (Data, Data) {
        var descriptors = [stdout, stderr].map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        var collected = [Data(), Data()]
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while descriptors.contains(where: { $0.fd >= 0 }) {
            guard poll(&descriptors, 2, -1) >= 0 || errno == EINTR else { break }
            for index in descriptors.indices where descriptors[index].fd >= 0 && descriptors[index].revents != 0 {
                let count = read(descriptors[index].fd, &buffer, buffer.count)
                if count > 0 {
                    let room = max(0, maxOutputBytes + 1 - collected[index].count)
                    collected[index].append(contentsOf: buffer[0..<min(count, room)])
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    close(descriptors[index].fd)
                    descriptors[index].fd = -1
                }
            }
        }
        descriptors.filter { $0.fd >= 0 }.forEach { close($0.fd) }
        return (collected[0], collected[1])
    }
}
