import AsyncTestSupport
import Foundation
import HTTPServer
import KubeTestSupport
import Logging
import NIOHTTP1
import Testing

/// The limits that bound a webhook's memory, over real TLS connections from Python's `ssl` clients: the
/// defaults, the global body budget, and the body timer while a response is pending.
@Suite(.serialized)
struct HTTPServerBudgetTests {
    @Test func defaultsFitAnAdmissionWebhook() {
        let configuration = HTTPServerConfiguration()
        #expect(configuration.maxBodyBytes == 256 * 1024)
        #expect(configuration.maxConnections == 128)
        #expect(configuration.maxPipelinedRequests == 1)
        #expect(configuration.maxInFlightBodyBytes == 16 * 1024 * 1024)
    }

    /// One connection holds 60 KB of a 100 KB budget with a stalled body; a second asking for 60 KB is refused
    /// at once with 503 and Retry-After, unread; when the first completes, the budget is free again. The same
    /// for a synchronous handler (the webhook's), which answers inside the read.
    @Test(arguments: [false, true])
    func requestBeyondTheBodyBudgetIsRefusedUnreadAndTheBudgetReturns(synchronous: Bool) async throws {
        let responder: HTTPServer.Responder = synchronous
            ? .synchronous { request in RunningServer.describe(request) } : .asynchronous(RunningServer.echo)
        try await withTLSServer(configure: {
            $0.maxBodyBytes = 64 * 1024
            $0.maxInFlightBodyBytes = 100_000
        }, responder: responder) { fixture, server in
            let script = #"""
                import socket, ssl, sys, time
                port, ca = int(sys.argv[1]), sys.argv[2]
                ctx = ssl.create_default_context(cafile=ca)
                def connect():
                    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                           server_hostname="localhost")
                def head(n):
                    return b"POST /b HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n" % n
                def answer(s):
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = s.recv(4096)
                        if not chunk: break
                        data += chunk
                    return data
                def until_close(s):
                    data = b""
                    while True:
                        chunk = s.recv(4096)
                        if not chunk: return data
                        data += chunk
                a = connect()
                a.sendall(head(60000) + b"x" * 1000)
                time.sleep(1.5)  # the test reads the server's budget meanwhile
                b = connect()
                start = time.time()
                b.sendall(head(60000))
                refused = until_close(b)
                print("refused %.2f %s" % (time.time() - start, refused.split(b"\r\n")[0].decode()))
                print("retry-after", b"retry-after: 1" in refused.lower())
                print("message", b"server busy" in refused)
                a.sendall(b"x" * 59000)
                print("first", answer(a).split(b"\r\n")[0].decode())
                c = connect()
                c.sendall(head(60000) + b"y" * 60000)
                print("later", answer(c).split(b"\r\n")[0].decode())
                """#
            async let run = Command.python(script, [String(server.port), fixture.caPath])
            await expectEventually("the stalled body holds its bytes") { server.server.inFlightBodyBytes == 60000 }
            let output = try await run.stdout
            let lines = output.split(separator: "\n").map(String.init)
            let refused = try #require(lines.first { $0.hasPrefix("refused") }).split(separator: " ", maxSplits: 2)
            #expect(refused.count == 3 && refused[2] == "HTTP/1.1 503 Service Unavailable", "\(output)")
            #expect(Double(refused[1]) ?? 99 < 1, "refused at once")
            #expect(lines.contains("retry-after True"))
            #expect(lines.contains("message True"))
            #expect(lines.contains("first HTTP/1.1 200 OK"))
            #expect(lines.contains("later HTTP/1.1 200 OK"))
            await expectEventually { server.server.inFlightBodyBytes == 0 }
        }
    }

    /// A request that declares 5,000 body bytes and sends 100.
    static func stalledBody(_ path: String) -> String {
        "POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\n\r\n" + String(repeating: "z", count: 100)
    }

    /// A client that answers one request and then stalls inside the next request's body is closed when the
    /// body timer runs out, even though the first response is still being computed; its budget is returned.
    @Test func stalledBodyIsClosedWhileAResponseIsPending() async throws {
        let slow: HTTPServer.Handler = { request in
            if request.path == "/slow" { try? await Task.sleep(for: .seconds(4)) }
            return .text(.ok, "done")
        }
        try await withTLSServer(configure: { $0.bodyReadTimeout = .seconds(1) }, handler: slow) { fixture, server in
            let answered = "POST /slow HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}"
            let pipelined = answered + Self.stalledBody("/next")
            let exchange = try await rawExchange(Data(pipelined.utf8), port: server.port, caPath: fixture.caPath)
            let elapsed = exchange.elapsed
            #expect(elapsed >= 0.8 && elapsed < 3, "closed after \(elapsed) s, before the 4 s answer")
            await expectEventually { server.server.inFlightBodyBytes == 0 }
        }
    }

    /// A stalled body with nothing pending is answered 408 at the body deadline.
    @Test func stalledBodyIsAnswered408() async throws {
        try await withTLSServer(configure: { $0.bodyReadTimeout = .seconds(1) }) { fixture, server in
            let stalled = Data(Self.stalledBody("/b").utf8)
            let exchange = try await rawExchange(stalled, port: server.port, caPath: fixture.caPath)
            #expect(exchange.elapsed >= 0.8 && exchange.elapsed < 3)
            #expect(exchange.statusLine == "HTTP/1.1 408 Request Timeout")
            await expectEventually { server.server.inFlightBodyBytes == 0 }
        }
    }
}
