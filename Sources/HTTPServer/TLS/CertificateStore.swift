import FoundationEssentials
import Logging
import Synchronization

/// The current TLS context of a server, loaded from `tls.crt` and `tls.key` in a directory and reloaded when
/// their contents change.
///
/// cert-manager and the kubelet rotate a mounted Secret by swapping a `..data` symlink, so the files are
/// re-read by path (following links) and compared by content, not by mtime. A pair that fails to load (half
/// written, key and certificate mismatched, garbage) keeps the last good context and logs an error once per
/// distinct broken content. New handshakes use `current`; open connections keep the context they began with.
public final class CertificateStore: Sendable {
    /// Where the pair comes from.
    public enum Source: Sendable, Hashable {
        /// `tls.crt` and `tls.key` (names configurable) in a directory, reloaded by `runReloading()`.
        case directory(path: String, certificateFile: String = "tls.crt", keyFile: String = "tls.key")
        /// A fixed pair given in memory (tests, the API test server); never reloaded.
        case memory(certificatePEM: Data, privateKeyPEM: Data)
    }

    private struct Loaded {
        var context: TLSServerContext
        var certificatePEM: Data
        var keyPEM: Data
        /// The contents of a pair that failed to load, so each broken version is reported once.
        var rejectedFingerprint: Int?
        var generation: Int
    }

    public let source: Source
    public let options: TLSServerOptions
    /// How often `runReloading()` re-reads the files.
    public let pollInterval: Duration
    private let logger: Logger
    private let state: Mutex<Loaded>

    /// Loads the pair now; throws if it is missing or invalid, because a server must not start without one.
    public init(
        source: Source, options: TLSServerOptions = TLSServerOptions(), pollInterval: Duration = .seconds(5),
        logger: Logger = Logger(label: "tls.certificates")
    ) throws {
        self.source = source
        self.options = options
        self.pollInterval = pollInterval
        self.logger = logger
        let (cert, key) = try Self.read(source)
        let context = try TLSServerContext(certificatePEM: cert, privateKeyPEM: key, options: options)
        self.state = Mutex(
            Loaded(context: context, certificatePEM: cert, keyPEM: key, rejectedFingerprint: nil, generation: 1))
        logger.info(
            "loaded TLS certificate",
            metadata: ["tls.subject": "\(context.leafSubject)", "tls.notAfter": "\(context.leafNotAfter)"])
    }

    /// Convenience for `.directory(path:)`.
    public convenience init(
        directory: String, options: TLSServerOptions = TLSServerOptions(), pollInterval: Duration = .seconds(5),
        logger: Logger = Logger(label: "tls.certificates")
    ) throws {
        try self.init(source: .directory(path: directory), options: options, pollInterval: pollInterval, logger: logger)
    }

    /// The context for the next handshake.
    public var current: TLSServerContext {
        state.withLock { $0.context }
    }

    /// Increments each time a new pair is taken into use (1 after the first load).
    public var generation: Int {
        state.withLock { $0.generation }
    }

    /// What one reload did.
    public enum ReloadOutcome: Sendable, Equatable {
        case unchanged
        case reloaded
        /// The files changed but the new pair is unusable; the previous context stays.
        case rejected(TLSServerError)
    }

    /// Re-reads the files once and swaps the context if their contents changed and load cleanly.
    @discardableResult
    public func reload() -> ReloadOutcome {
        guard case .directory = source else { return .unchanged }
        let cert: Data
        let key: Data
        do {
            (cert, key) = try Self.read(source)
        } catch let error as TLSServerError {
            return reject(error, fingerprint: error.description.hashValue)
        } catch {
            let wrapped = TLSServerError(code: .fileRead, message: "cannot read the certificate files", cause: "\(error)")
            return reject(wrapped, fingerprint: wrapped.description.hashValue)
        }
        let same = state.withLock { loaded in loaded.certificatePEM == cert && loaded.keyPEM == key }
        if same { return .unchanged }
        let fingerprint = Self.fingerprint(cert, key)
        do {
            let context = try TLSServerContext(certificatePEM: cert, privateKeyPEM: key, options: options)
            state.withLock { loaded in
                loaded = Loaded(
                    context: context, certificatePEM: cert, keyPEM: key, rejectedFingerprint: nil,
                    generation: loaded.generation + 1)
            }
            logger.info(
                "reloaded TLS certificate",
                metadata: ["tls.subject": "\(context.leafSubject)", "tls.notAfter": "\(context.leafNotAfter)"])
            return .reloaded
        } catch let error as TLSServerError {
            return reject(error, fingerprint: fingerprint)
        } catch {
            return reject(TLSServerError(code: .configuration, message: "\(error)"), fingerprint: fingerprint)
        }
    }

    /// Polls the files every `pollInterval` until the task is cancelled. A memory source returns at once.
    public func runReloading() async {
        guard case .directory = source else { return }
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: pollInterval)
            } catch {
                return
            }
            reload()
        }
    }

    private func reject(_ error: TLSServerError, fingerprint: Int) -> ReloadOutcome {
        let first = state.withLock { loaded in
            defer { loaded.rejectedFingerprint = fingerprint }
            return loaded.rejectedFingerprint != fingerprint
        }
        if first {
            logger.error(
                "new TLS certificate pair rejected; still serving the previous one",
                metadata: ["tls.error": "\(error)"])
        }
        return .rejected(error)
    }

    private static func fingerprint(_ cert: Data, _ key: Data) -> Int {
        var hasher = Hasher()
        hasher.combine(cert)
        hasher.combine(key)
        return hasher.finalize()
    }

    private static func read(_ source: Source) throws -> (Data, Data) {
        switch source {
        case .memory(let cert, let key):
            return (cert, key)
        case .directory(let path, let certificateFile, let keyFile):
            let certPath = path + (path.hasSuffix("/") ? "" : "/") + certificateFile
            let keyPath = path + (path.hasSuffix("/") ? "" : "/") + keyFile
            do {
                let cert = try Data(contentsOf: URL(fileURLWithPath: certPath))
                let key = try Data(contentsOf: URL(fileURLWithPath: keyPath))
                return (cert, key)
            } catch {
                throw TLSServerError(
                    code: .fileRead, message: "cannot read \(certPath) and \(keyPath)", cause: "\(error)")
            }
        }
    }
}
