import CRDModels
import FoundationEssentials

/// Produces the `Authorization` header for each request and refreshes rotating credentials.
///
/// - token file: re-read when older than its refresh interval (client-go reads every minute), and on
///   the next request after a 401. A failed re-read keeps the last good token (the kubelet may be
///   mid-swap), as client-go's `CachedFileTokenSource` does; with no token at all the error surfaces.
/// - exec plugin: cached until `expirationTimestamp`, re-run after a 401; concurrent callers share
///   one run.
public actor CredentialProvider {
    public typealias ExecRunner = @Sendable (ExecConfig) async throws -> ExecCredentialStatus

    private let auth: AuthMethod
    private let now: @Sendable () -> Date
    private let runExec: ExecRunner

    private var fileToken: String?
    private var fileReadAt: Date?
    private var execCredential: ExecCredentialStatus?
    private var execRun: Task<ExecCredentialStatus, any Error>?

    public init(
        auth: AuthMethod, now: @escaping @Sendable () -> Date = { Date() },
        runExec: @escaping ExecRunner = { try await ExecPlugin.run($0) }
    ) {
        self.auth = auth
        self.now = now
        self.runExec = runExec
    }

    /// The header value, e.g. `Bearer …`, or nil when the method is none / client certificate only.
    public func authorization() async throws -> String? {
        switch auth {
        case .none:
            return nil
        case .token(let token):
            return "Bearer \(token)"
        case .basic(let username, let password):
            return "Basic \(Data("\(username):\(password)".utf8).base64EncodedString())"
        case .tokenFile(let path, let interval):
            return "Bearer \(try readTokenFile(path: path, interval: interval))"
        case .exec(let config):
            let credential = try await execCredential(config)
            return credential.token.map { "Bearer \($0)" }
        }
    }

    /// Runs the exec plugin (if any) and returns the client certificate and key PEM it printed.
    public func execClientCertificate() async throws -> (Data, Data)? {
        guard case .exec(let config) = auth else { return nil }
        let credential = try await execCredential(config)
        guard let certificate = credential.clientCertificateData, let key = credential.clientKeyData else { return nil }
        return (Data(certificate.utf8), Data(key.utf8))
    }

    /// Called after a 401: forget cached credentials so the next request re-reads or re-executes.
    public func invalidate() {
        fileReadAt = nil
        execCredential = nil
    }

    /// Whether a 401 can be cured by refreshing (false for fixed tokens and certificates).
    public nonisolated var canRefresh: Bool {
        switch auth {
        case .tokenFile, .exec: true
        default: false
        }
    }

    private func readTokenFile(path: String, interval: Duration) throws -> String {
        let current = now()
        if let token = fileToken, let readAt = fileReadAt,
            current.timeIntervalSince(readAt) < Double(interval.components.seconds)
        {
            return token
        }
        do {
            let token = try String(contentsOfFile: path, encoding: .utf8)
                .trimmingWhitespace()
            guard !token.isEmpty else {
                throw KubeConfigError(code: .malformed, message: "token file \(path) is empty")
            }
            fileToken = token
            fileReadAt = current
            return token
        } catch {
            if let token = fileToken { return token }
            if let configError = error as? KubeConfigError { throw configError }
            throw KubeConfigError(code: .unreadable, message: "cannot read token file \(path)", cause: error)
        }
    }

    private func execCredential(_ config: ExecConfig) async throws -> ExecCredentialStatus {
        if let credential = execCredential {
            if let expiration = credential.expiration {
                if expiration > now() { return credential }
            } else {
                return credential
            }
        }
        if let running = execRun { return try await running.value }
        let run = Task { try await runExec(config) }
        execRun = run
        defer { execRun = nil }
        let credential = try await run.value
        execCredential = credential
        return credential
    }
}
