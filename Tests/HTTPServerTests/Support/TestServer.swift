import AsyncTestSupport
import Foundation
import HTTPServer
import KubeTestSupport
import Logging
import NIOHTTP1

/// A server running in a task for one test, stopped with `stop()`.
struct RunningServer {
    let server: HTTPServer
    let task: Task<Void, any Error>
    let port: Int

    var httpsURL: String { "https://127.0.0.1:\(port)" }
    var httpURL: String { "http://127.0.0.1:\(port)" }

    static func start(
        _ configuration: HTTPServerConfiguration,
        handler: @escaping HTTPServer.Handler = echo
    ) async throws -> RunningServer {
        try await start(configuration, responder: .asynchronous(handler))
    }

    static func start(
        _ configuration: HTTPServerConfiguration, responder: HTTPServer.Responder
    ) async throws -> RunningServer {
        var logger = Logger(label: "test.http")
        logger.logLevel = .warning
        let server = HTTPServer(configuration: configuration, logger: logger, responder: responder)
        let task = Task { try await server.run() }
        let port = try await server.localPort()
        return RunningServer(server: server, task: task, port: port)
    }

    func stop() async {
        server.shutdownGracefully()
        _ = try? await task.value
    }

    /// Answers with a small JSON description of what it received.
    static let echo: HTTPServer.Handler = { request in describe(request) }

    static func describe(_ request: HTTPServerRequest) -> HTTPServerResponse {
        let description: [String: String] = [
            "method": request.method,
            "path": request.path,
            "bodyBytes": String(request.body.count),
            "peerCN": request.peerCommonName ?? "",
            "tls": request.tls?.protocolVersion ?? "",
            "alpn": request.tls?.negotiatedProtocol ?? "",
        ]
        let body = (try? JSONSerialization.data(withJSONObject: description, options: [.sortedKeys])) ?? Data()
        return .json(.ok, body)
    }
}

/// Runs `body` against a TLS server on fresh certificates (`configure` adjusts its configuration), then
/// stops the server (awaited; a failure to stop fails the test) and removes the certificates.
func withTLSServer(
    configure: (inout HTTPServerConfiguration) -> Void = { _ in },
    handler: @escaping HTTPServer.Handler = RunningServer.echo,
    _ body: (TLSFixture, RunningServer) async throws -> Void
) async throws {
    try await withTLSServer(configure: configure, responder: .asynchronous(handler), body)
}

func withTLSServer(
    configure: (inout HTTPServerConfiguration) -> Void = { _ in },
    responder: HTTPServer.Responder,
    _ body: (TLSFixture, RunningServer) async throws -> Void
) async throws {
    let fixture = try TLSFixture.make()
    defer { fixture.certificates.remove() }
    var configuration = HTTPServerConfiguration.testTLS(try fixture.store())
    configure(&configuration)
    let server = try await RunningServer.start(configuration, responder: responder)
    try await withTeardown({ await server.stop() }) { try await body(fixture, server) }
}

/// What a raw client saw of one exchange: it sent its payload at once, then read until the server closed.
struct RawExchange {
    /// Seconds from the send to the close.
    var elapsed: Double
    var bytes: Int
    /// The answer's first line ("" when nothing came).
    var statusLine: String
}

/// Sends `payload` on one new connection to `port` (TLS trusting `caPath` when given) from Python's socket
/// and ssl modules, with no HTTP library between the test and the bytes, and reads until the server closes
/// (a TLS error or a reset on the way counts as the close).
func rawExchange(_ payload: Data, port: Int, caPath: String? = nil) async throws -> RawExchange {
    let script = #"""
        import socket, ssl, sys, time
        port, payload, ca = int(sys.argv[1]), bytes.fromhex(sys.argv[2]), sys.argv[3]
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        if ca:
            s = ssl.create_default_context(cafile=ca).wrap_socket(s, server_hostname="localhost")
        start = time.time()
        s.sendall(payload)
        data = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk: break
                data += chunk
        except (ssl.SSLError, ConnectionResetError):
            pass
        print("%.3f %d %s" % (time.time() - start, len(data), data.split(b"\r\n")[0].decode("latin-1")))
        """#
    let hex = payload.map { String(format: "%02x", $0) }.joined()
    let result = try await Command.python(script, [String(port), hex, caPath ?? ""])
    let fields = result.stdout.trimmingCharacters(in: .newlines)
        .split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
    guard fields.count == 3, let elapsed = Double(fields[0]), let bytes = Int(fields[1]) else {
        throw RawExchangeFailed(output: result.stdout + result.stderr)
    }
    return RawExchange(elapsed: elapsed, bytes: bytes, statusLine: String(fields[2]))
}

struct RawExchangeFailed: Error, CustomStringConvertible {
    var output: String
    var description: String { "raw exchange failed: \(output)" }
}

/// One CA, one serving pair written to a cert directory, shared by a test.
struct TLSFixture {
    let certificates: TestCertificates
    let serverPair: TestCertificates.Issued
    let certDirectory: String

    static func make(serverName: String = "localhost") throws -> TLSFixture {
        let certificates = try TestCertificates.makeCA()
        let pair = try certificates.server(commonName: serverName)
        let directory = certificates.directory + "/serving"
        try pair.writeTLSPair(to: directory)
        return TLSFixture(certificates: certificates, serverPair: pair, certDirectory: directory)
    }

    var caPath: String { certificates.ca.certificatePath }

    func store(
        options: TLSServerOptions = TLSServerOptions(), pollInterval: Duration = .seconds(5)
    ) throws -> CertificateStore {
        var logger = Logger(label: "test.tls")
        logger.logLevel = .critical
        return try CertificateStore(directory: certDirectory, options: options, pollInterval: pollInterval, logger: logger)
    }
}

extension HTTPServerConfiguration {
    static func testTLS(_ store: CertificateStore) -> HTTPServerConfiguration {
        HTTPServerConfiguration(host: "127.0.0.1", port: 0, tls: store, name: "test")
    }
}
