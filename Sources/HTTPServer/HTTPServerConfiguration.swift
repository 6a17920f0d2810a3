/// Where a server listens and the limits it enforces on every connection.
///
/// The defaults suit an admission webhook or a probe endpoint: AdmissionReviews of a few KB (256 KiB
/// allowed), a bounded number of connections, one request waiting behind the one being answered, and a
/// budget for the request bytes all connections may hold at once. With the defaults the worst case a
/// stalling client can pin is about `maxInFlightBodyBytes` of bodies, whatever the number of connections.
public struct HTTPServerConfiguration: Sendable {
    /// Address to bind, e.g. `0.0.0.0`, `::` or `127.0.0.1`.
    public var host: String
    /// Port to bind; 0 picks a free port, reported by `HTTPServer.localPort()`.
    public var port: Int
    /// TLS from this store; nil serves plain HTTP.
    public var tls: CertificateStore?
    /// Largest request body accepted; a larger one is answered 413 and the connection closed.
    public var maxBodyBytes: Int
    /// Time allowed from a connection's start (TLS handshake included), or from the first byte of a later
    /// request, until its headers are complete. Exceeded: 408 and close.
    public var headerReadTimeout: Duration
    /// Time allowed from the end of the headers to the end of the body. Exceeded: 408 and close.
    public var bodyReadTimeout: Duration
    /// How long a kept-alive connection may sit between requests before the server closes it.
    public var idleTimeout: Duration
    /// Connections beyond this number are closed as soon as they are accepted.
    public var maxConnections: Int
    /// Requests a client may pipeline ahead of the one being answered; more closes the connection.
    public var maxPipelinedRequests: Int
    /// Request body bytes that all connections together may hold (being read, queued or being answered).
    /// A request that would exceed it is answered 503 with `Retry-After` and its connection closed, before
    /// its body is read: an attacker's stalled bodies cannot grow memory beyond this bound.
    public var maxInFlightBodyBytes: Int
    /// How long graceful shutdown waits for requests in flight before closing connections.
    public var shutdownTimeout: Duration
    /// A name for logs (`webhook`, `probes`, `kube-api`).
    public var name: String

    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        tls: CertificateStore? = nil,
        maxBodyBytes: Int = 256 * 1024,
        headerReadTimeout: Duration = .seconds(10),
        bodyReadTimeout: Duration = .seconds(30),
        idleTimeout: Duration = .seconds(90),
        maxConnections: Int = 128,
        maxPipelinedRequests: Int = 1,
        maxInFlightBodyBytes: Int = 16 * 1024 * 1024,
        shutdownTimeout: Duration = .seconds(10),
        name: String = "http"
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.maxBodyBytes = maxBodyBytes
        self.headerReadTimeout = headerReadTimeout
        self.bodyReadTimeout = bodyReadTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.maxPipelinedRequests = maxPipelinedRequests
        self.maxInFlightBodyBytes = maxInFlightBodyBytes
        self.shutdownTimeout = shutdownTimeout
        self.name = name
    }
}

/// Why the server could not start or run.
public struct HTTPServerError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        case bindFailed, notRunning, alreadyStarted
    }

    public var code: Code
    public var message: String
    public var cause: String?

    public init(code: Code, message: String, cause: String? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        "HTTP server \(code.rawValue): \(message)" + (cause.map { " (\($0))" } ?? "")
    }
}
