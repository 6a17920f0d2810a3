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
        var logger = Logger(label: "test.http")
        logger.logLevel = .warning
        let server = HTTPServer(configuration: configuration, logger: logger, handler: handler)
        let task = Task { try await server.run() }
        let port = try await server.localPort()
        return RunningServer(server: server, task: task, port: port)
    }

    func stop() async {
        server.shutdownGracefully()
        _ = try? await task.value
    }

    /// Answers with a small JSON description of what it received.
    static let echo: HTTPServer.Handler = { request in
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
    let fixture = try TLSFixture.make()
    defer { fixture.certificates.remove() }
    var configuration = HTTPServerConfiguration.testTLS(try fixture.store())
    configure(&configuration)
    let server = try await RunningServer.start(configuration, handler: handler)
    try await withTeardown({ await server.stop() }) { try await body(fixture, server) }
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
