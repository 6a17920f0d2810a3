import AsyncTestSupport
import Foundation
import HTTPServer
import KubeTestSupport
import Testing

/// Handshakes with real TLS clients: the `openssl` and `curl` commands and Python's `ssl`.
@Suite(.serialized)
struct TLSHandshakeTests {
    /// The start of the Python clients' scripts: `port` and `ca` from the arguments, `out` for the results, `versions`
    /// (TLS 1.2 and 1.3, by name) and `verifying(version)`, a client context that verifies the server with `ca` and
    /// speaks only `version`.
    static let pythonPrelude = #"""
        import json, socket, ssl, sys
        port, ca = int(sys.argv[1]), sys.argv[2]
        out = {}
        versions = [("1.2", ssl.TLSVersion.TLSv1_2), ("1.3", ssl.TLSVersion.TLSv1_3)]
        def verifying(version):
            ctx = ssl.create_default_context(cafile=ca)
            ctx.minimum_version = version
            ctx.maximum_version = version
            return ctx

        """#

    @Test(arguments: ["-tls1_2", "-tls1_3"])
    func opensslClientNegotiatesModernVersions(flag: String) async throws {
        try await withTLSServer { fixture, server in
            let request = "GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            let result = try await Command.run(
                "openssl",
                ["s_client", "-connect", "127.0.0.1:\(server.port)", flag, "-alpn", "http/1.1",
                 "-CAfile", fixture.caPath, "-verify_return_error", "-servername", "localhost", "-ign_eof"],
                stdin: Data(request.utf8), timeout: .seconds(20))
            let expected = flag == "-tls1_2" ? "TLSv1.2" : "TLSv1.3"
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("Protocol  : \(expected)") || result.stdout.contains("New, \(expected)"))
            #expect(result.stdout.contains("ALPN protocol: http/1.1"))
            #expect(result.stdout.contains("Verify return code: 0 (ok)"))
            #expect(result.stdout.contains("HTTP/1.1 200 OK"))
            #expect(result.stdout.contains(#""tls":"\#(expected)""#))
            // The server closed with close_notify after `Connection: close`, which s_client reports.
            #expect(result.stdout.contains("closed") || result.stderr.contains("closed"))
        }
    }

    @Test(arguments: ["-tls1", "-tls1_1"])
    func opensslClientWithOldVersionIsRefused(flag: String) async throws {
        try await withTLSServer { fixture, server in
            // SECLEVEL=0 lets the client offer the old version, so the refusal comes from the server.
            let result = try await Command.run(
                "openssl",
                ["s_client", "-connect", "127.0.0.1:\(server.port)", flag, "-cipher", "DEFAULT@SECLEVEL=0"],
                stdin: Data(), timeout: .seconds(20))
            #expect(result.status != 0)
            #expect(result.stderr.contains("alert protocol version"), "\(result.stderr)")
            #expect(!result.stdout.contains("BEGIN CERTIFICATE"))
        }
    }

    @Test func curlFetchesOverTLS12AndTLS13() async throws {
        try await withTLSServer { fixture, server in
            for (flags, version) in [(["--tlsv1.2", "--tls-max", "1.2"], "TLSv1.2"), (["--tlsv1.3"], "TLSv1.3")] {
                let result = try await Command.run(
                    "curl",
                    ["-sS", "--cacert", fixture.caPath, "-w", "\\n%{http_code}"] + flags
                        + ["\(server.httpsURL)/v?x=1", "-d", "abc"])
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stdout.hasSuffix("\n200"))
                #expect(result.stdout.contains(#""tls":"\#(version)""#))
                #expect(result.stdout.contains(#""bodyBytes":"3""#))
                #expect(result.stdout.contains(#""path":"\/v""#))
            }
        }
    }

    @Test func pythonSSLHandshakesAndOldVersionsAreRefused() async throws {
        try await withTLSServer { fixture, server in
            let script = Self.pythonPrelude + #"""
                for name, version in versions:
                    ctx = verifying(version)
                    ctx.set_alpn_protocols(["h2", "http/1.1"])
                    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                        # Without ragged EOFs suppressed, a close without close_notify raises SSLEOFError.
                        with ctx.wrap_socket(raw, server_hostname="localhost", suppress_ragged_eofs=False) as s:
                            s.sendall(b"GET /py HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                            data = b""
                            while True:
                                chunk = s.recv(65536)
                                if not chunk: break
                                data += chunk
                            out[name] = {"version": s.version(), "alpn": s.selected_alpn_protocol(),
                                         "status": data.split(b"\r\n")[0].decode()}
                for name, version in [("1.0", ssl.TLSVersion.TLSv1), ("1.1", ssl.TLSVersion.TLSv1_1)]:
                    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                    ctx.check_hostname = False
                    ctx.verify_mode = ssl.CERT_NONE
                    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
                    ctx.minimum_version = version
                    ctx.maximum_version = version
                    try:
                        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                            with ctx.wrap_socket(raw) as s:
                                out[name] = {"error": None}
                    except ssl.SSLError as e:
                        out[name] = {"error": e.reason}
                print(json.dumps(out))
                """#
            let result = try await Command.python(script, [String(server.port), fixture.caPath])
            #expect(result.status == 0, "\(result.stderr)")
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [String: String?]])
            #expect(json["1.2"]?["version"] == "TLSv1.2")
            #expect(json["1.3"]?["version"] == "TLSv1.3")
            #expect(json["1.3"]?["alpn"] == "http/1.1")
            #expect(json["1.3"]?["status"] == "HTTP/1.1 200 OK")
            #expect(json["1.0"]?["error"] == "TLSV1_ALERT_PROTOCOL_VERSION")
            #expect(json["1.1"]?["error"] == "TLSV1_ALERT_PROTOCOL_VERSION")
        }
    }

    /// Sessions are resumed from a cache of `sessionCacheSize`, the oldest evicted first (OpenSSL's default held
    /// 20,480, two per TLS 1.3 handshake, so that any client able to connect could grow the process); 0 keeps none.
    /// Per TLS version: six new connections, then one offering the first one's session (evicted from a cache of
    /// three), then one offering the last one's. (OpenSSL 3.0 evicts when the cache reaches its size, so it holds one
    /// fewer; six connections evict the first either way.)
    @Test(arguments: [3, 0])
    func sessionsAreResumedFromABoundedCache(size: Int) async throws {
        let fixture = try TLSFixture.make()
        defer { fixture.certificates.remove() }
        let server = try await RunningServer.start(
            .testTLS(try fixture.store(options: TLSServerOptions(sessionCacheSize: size))))
        try await withTeardown({ await server.stop() }) {
            let script = Self.pythonPrelude + #"""
                for name, version in versions:
                    ctx = verifying(version)
                    def connect(session):
                        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                            with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as s:
                                s.sendall(b"GET /s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                                data = b""
                                while chunk := s.recv(65536):  # TLS 1.3 tickets come after the handshake
                                    data += chunk
                                assert data.startswith(b"HTTP/1.1 200 OK"), data[:100]
                                return s.session, s.session_reused
                    sessions = [connect(None)[0] for _ in range(6)]
                    out[name] = {"first": connect(sessions[0])[1], "last": connect(sessions[-1])[1]}
                print(json.dumps(out))
                """#
            let result = try await Command.python(script, [String(server.port), fixture.caPath])
            #expect(result.status == 0, "\(result.stderr)")
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [String: Bool]])
            for version in ["1.2", "1.3"] {
                #expect(json[version]?["first"] == false, "TLS \(version), cache of \(size): \(result.stdout)")
                #expect(json[version]?["last"] == (size > 0), "TLS \(version), cache of \(size): \(result.stdout)")
            }
        }
    }

    @Test func garbageInsteadOfTLSIsClosedAndServerKeepsServing() async throws {
        try await withTLSServer { fixture, server in
            func random(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255) } }
            let payloads = [
                Data("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), Data(random(4096)),
                Data([0x16, 0x03, 0x01, 0xff, 0xff] + random(64)),
            ]
            // Each connection ends (a short alert at most, no HTTP) well before the client's timeout.
            for payload in payloads {
                let exchange = try await rawExchange(payload, port: server.port)
                #expect(exchange.bytes < 64)
                #expect(exchange.elapsed < 2)
            }
            let after = try await Command.run("curl", ["-sS", "--cacert", fixture.caPath, "\(server.httpsURL)/after"])
            #expect(after.status == 0)
            #expect(after.stdout.contains(#""path":"\/after""#))
        }
    }

    @Test func clientCertificateCommonNameReachesTheHandler() async throws {
        let fixture = try TLSFixture.make()
        defer { fixture.certificates.remove() }
        let client = try fixture.certificates.client(commonName: "system:admin", organizations: ["system:masters"])
        let options = TLSServerOptions(clientCAPEM: fixture.certificates.ca.certificatePEM, requireClientCertificate: true)
        let server = try await RunningServer.start(.testTLS(try fixture.store(options: options)))
        try await withTeardown({ await server.stop() }) {

            let withCert = try await Command.run(
                "curl",
                ["-sS", "--cacert", fixture.caPath, "--cert", client.certificatePath, "--key", client.keyPath,
                 "\(server.httpsURL)/whoami"])
            #expect(withCert.status == 0, "\(withCert.stderr)")
            #expect(withCert.stdout.contains(#""peerCN":"system:admin""#))

            let withoutCert = try await Command.run("curl", ["-sS", "--cacert", fixture.caPath, "\(server.httpsURL)/whoami"])
            #expect(withoutCert.status != 0)
            #expect(!withoutCert.stdout.contains("peerCN"))

            // A certificate from another CA is refused too.
            let stranger = try TestCertificates.makeCA(commonName: "other-ca")
            defer { stranger.remove() }
            let foreign = try stranger.client(commonName: "mallory")
            let withForeign = try await Command.run(
                "curl",
                ["-sS", "--cacert", fixture.caPath, "--cert", foreign.certificatePath, "--key", foreign.keyPath,
                 "\(server.httpsURL)/whoami"])
            #expect(withForeign.status != 0)
            #expect(!withForeign.stdout.contains("mallory"))
        }
    }

    @Test func optionalClientCertificateLeavesCommonNameEmpty() async throws {
        let fixture = try TLSFixture.make()
        defer { fixture.certificates.remove() }
        let options = TLSServerOptions(clientCAPEM: fixture.certificates.ca.certificatePEM)
        let server = try await RunningServer.start(.testTLS(try fixture.store(options: options)))
        try await withTeardown({ await server.stop() }) {
            let result = try await Command.run("curl", ["-sS", "--cacert", fixture.caPath, "\(server.httpsURL)/anon"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains(#""peerCN":"""#))
        }
    }

    @Test func invalidPairsAreRejectedWithTheReason() throws {
        let fixture = try TLSFixture.make()
        defer { fixture.certificates.remove() }
        let other = try fixture.certificates.server(commonName: "other")
        #expect(throws: TLSServerError.self) {
            try TLSServerContext(certificatePEM: Data("garbage".utf8), privateKeyPEM: fixture.serverPair.keyPEM)
        }
        do {
            _ = try TLSServerContext(certificatePEM: fixture.serverPair.certificatePEM, privateKeyPEM: other.keyPEM)
            Issue.record("a mismatched key was accepted")
        } catch let error as TLSServerError {
            #expect(error.code == .keyMismatch)
        }
        do {
            _ = try TLSServerContext(certificatePEM: fixture.serverPair.certificatePEM, privateKeyPEM: Data())
            Issue.record("an empty key was accepted")
        } catch let error as TLSServerError {
            #expect(error.code == .invalidPrivateKey)
        }
        let good = try TLSServerContext(
            certificatePEM: fixture.serverPair.certificatePEM, privateKeyPEM: fixture.serverPair.keyPEM)
        #expect(good.leafSubject.contains("CN=localhost"))
    }
}
