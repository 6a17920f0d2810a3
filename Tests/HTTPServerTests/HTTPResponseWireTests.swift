import AsyncTestSupport
import Foundation
import HTTPServer
import KubeTestSupport
import Testing

/// The bytes of responses as real clients read them, from both kinds of handler: framing, keep-alive, `HEAD`
/// and pipelining over TLS, with Python's `http.client` and raw sockets (curl and libcurl read them in the
/// TLS and webhook suites).
@Suite(.serialized)
struct HTTPResponseWireTests {
    /// Echoes the body; sets framing headers of its own, which the server must replace with the true ones.
    static let answer: HTTPServer.SynchronousHandler = { request in
        var response = HTTPServerResponse.text(.ok, "\(request.method) \(request.path) \(request.body.count)")
        response.headers.add(name: "X-Handler", value: "yes")
        response.headers.add(name: "content-length", value: "999")
        response.headers.add(name: "Connection", value: "close")
        response.headers.add(name: "Transfer-Encoding", value: "chunked")
        if request.path == "/missing" { response.status = .notFound }
        if request.path == "/empty" { response.status = .noContent }
        return response
    }

    static func withServer(
        _ responder: HTTPServer.Responder, _ body: (TLSFixture, RunningServer) async throws -> Void
    ) async throws {
        let fixture = try TLSFixture.make()
        defer { fixture.certificates.remove() }
        let server = try await RunningServer.start(.testTLS(try fixture.store()), responder: responder)
        try await withTeardown({ await server.stop() }) { try await body(fixture, server) }
    }

    static let responders: [(String, HTTPServer.Responder)] = [
        ("synchronous", .synchronous(answer)),
        ("asynchronous", .asynchronous { request in answer(request) }),
    ]

    @Test(arguments: [0, 1])
    func pythonHTTPClientReadsEveryAnswerOnOneConnection(responder: Int) async throws {
        let (name, chosen) = Self.responders[responder]
        try await Self.withServer(chosen) { fixture, server in
            let script = #"""
                import http.client, json, ssl, sys
                port, ca = int(sys.argv[1]), sys.argv[2]
                conn = http.client.HTTPSConnection("localhost", port, context=ssl.create_default_context(cafile=ca))
                out, socks = [], set()
                for method, path, body in [("GET", "/a", None), ("HEAD", "/h", None), ("POST", "/p", b"x" * 3000),
                                           ("GET", "/missing", None), ("DELETE", "/empty", None),
                                           ("GET", "/last", None)]:
                    conn.request(method, path, body=body)
                    r = conn.getresponse()
                    data = r.read()
                    socks.add(id(conn.sock))
                    out.append({"status": r.status, "body": data.decode(), "length": r.getheader("Content-Length"),
                                "connection": r.getheader("Connection"), "te": r.getheader("Transfer-Encoding"),
                                "handler": r.getheader("X-Handler"),
                                "lengths": len(r.headers.get_all("Content-Length") or [])})
                print(json.dumps({"answers": out, "connections": len(socks)}))
                """#
            let result = try await Command.python(script, [String(server.port), fixture.caPath])
            #expect(result.status == 0, "\(name): \(result.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect(json["connections"] as? Int == 1, "\(name): one keep-alive connection for every request")
            #expect(server.server.acceptedConnectionCount == 1)
            let answers = try #require(json["answers"] as? [[String: Any]])
            #expect(answers.map { $0["status"] as? Int } == [200, 200, 200, 404, 204, 200], "\(name)")
            #expect(answers.map { $0["body"] as? String } == ["GET /a 0\n", "", "POST /p 3000\n", "GET /missing 0\n",
                                                            "", "GET /last 0\n"], "\(name)")
            // HEAD announces the length of the body it does not send; 204 has neither body nor length.
            #expect(answers.map { $0["length"] as? String } == ["9", "10", "13", "15", nil, "12"], "\(name)")
            #expect(answers.map { $0["lengths"] as? Int } == [1, 1, 1, 1, 0, 1], "\(name)")
            #expect(answers.allSatisfy { $0["connection"] as? String == "keep-alive" }, "\(name)")
            #expect(answers.allSatisfy { $0["te"] is NSNull }, "\(name)")
            #expect(answers.allSatisfy { $0["handler"] as? String == "yes" }, "\(name)")
        }
    }

    /// A body that arrives in pieces (three TLS records, apart in time) reaches the handler whole and in order, and
    /// an answer given as bytes (`.json(_:bytes:)`, as the webhook answers) is framed like any other, `HEAD` too.
    @Test func bodiesInPiecesAreWholeAndBytesAnswersAreFramed() async throws {
        let echo: HTTPServer.SynchronousHandler = { request in
            .json(.ok, bytes: Array(request.body) + Array(" \(request.method)".utf8))
        }
        try await Self.withServer(.synchronous(echo)) { fixture, server in
            let script = #"""
                import socket, ssl, sys, time
                port, ca = int(sys.argv[1]), sys.argv[2]
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                s = ssl.create_default_context(cafile=ca).wrap_socket(s, server_hostname="localhost")
                pieces = [b"{\"a\": \"" + b"x" * 1500, b"y" * 2500, b"z\"}"]
                s.sendall(b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % sum(map(len, pieces)))
                for piece in pieces:
                    time.sleep(0.05)
                    s.sendall(piece)
                s.sendall(b"HEAD /e HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk: break
                    data += chunk
                sys.stdout.buffer.write(data)
                """#
            let result = try await Command.python(script, [String(server.port), fixture.caPath])
            #expect(result.status == 0, "\(result.stderr)")
            let body = #"{"a": ""# + String(repeating: "x", count: 1500) + String(repeating: "y", count: 2500) + #"z"}"#
            let post = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count + 5)\r\n"
                + "Connection: keep-alive\r\n\r\n\(body) POST"
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n"
                + "Connection: close\r\n\r\n"
            #expect(result.stdout == post + head)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrderThenClosed() async throws {
        try await Self.withServer(.synchronous(Self.answer)) { fixture, server in
            let payload = "GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
            let script = #"""
                import socket, ssl, sys
                port, ca = int(sys.argv[1]), sys.argv[2]
                s = ssl.create_default_context(cafile=ca).wrap_socket(
                    socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="localhost")
                s.sendall(sys.argv[3].encode())
                data = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk: break
                    data += chunk
                sys.stdout.write(data.decode())
                """#
            let result = try await Command.python(script, [String(server.port), fixture.caPath, payload])
            #expect(result.status == 0, "\(result.stderr)")
            let expected = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nX-Handler: yes\r\n"
                + "Content-Length: 11\r\nConnection: keep-alive\r\n\r\nGET /one 0\n"
                + "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nX-Handler: yes\r\n"
                + "Content-Length: 12\r\nConnection: close\r\n\r\nPOST /two 5\n"
            #expect(result.stdout == expected)
        }
    }

    /// Requests sent together on many keep-alive connections reach the server in one pass of its event loops,
    /// whose answers are flushed together at the pass's end: every connection gets its own answer, round after
    /// round, and a client that shuts its sending side right after its request still reads the answer.
    @Test(arguments: responders)
    func requestsArrivingTogetherOnManyConnectionsAreEachAnswered(_ name: String, _ responder: HTTPServer.Responder)
        async throws
    {
        try await Self.withServer(responder) { fixture, server in
            let script = #"""
                import os, socket, ssl, sys
                port, ca = int(sys.argv[1]), sys.argv[2]
                context = ssl.create_default_context(cafile=ca)
                def connect():
                    return context.wrap_socket(
                        socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="localhost")
                def answer(s, size):
                    data = b""
                    while len(data) < size:
                        chunk = s.recv(4096)
                        if not chunk: break
                        data += chunk
                    return data
                connections = [connect() for _ in range(16)]
                for round in range(20):
                    bodies = [("c%d-r%d" % (i, round)).encode() for i in range(len(connections))]
                    for s, body in zip(connections, bodies):
                        s.sendall(b"POST /n HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                    for s, body in zip(connections, bodies):
                        data = answer(s, 1)
                        head, _, text = data.partition(b"\r\n\r\n")
                        length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
                        text += answer(s, length - len(text)) if len(text) < length else b""
                        expected = b"POST /n %d\n" % len(body)
                        if not head.startswith(b"HTTP/1.1 200") or text != expected:
                            print("round %d: %r %r" % (round, head, text)); sys.exit(1)
                # The sending side is shut right after the request (through a duplicate of the descriptor:
                # the TLS socket's own shutdown would drop its TLS state too).
                s = connect()
                s.sendall(b"GET /last HTTP/1.1\r\nHost: x\r\n\r\n")
                duplicate = socket.socket(fileno=os.dup(s.fileno()))
                duplicate.shutdown(socket.SHUT_WR)
                duplicate.close()
                data = b""
                try:
                    while b"GET /last 0" not in data:
                        chunk = s.recv(4096)
                        if not chunk: break
                        data += chunk
                except (ssl.SSLError, ConnectionResetError):
                    pass
                print(data.split(b"\r\n")[0].decode(), data.endswith(b"GET /last 0\n"))
                """#
            let result = try await Command.python(script, [String(server.port), fixture.caPath])
            #expect(result.status == 0, "\(name): \(result.stdout) \(result.stderr.suffix(600))")
            #expect(result.stdout == "HTTP/1.1 200 OK True\n", "\(name)")
        }
    }

    /// Responses larger than the socket takes at once, to a client that reads nothing for a while: the
    /// second (pipelined, `Connection: close`) is answered only after the first has reached the socket, and
    /// the close after it loses none of its bytes.
    @Test func largeResponsesToASlowReaderArriveWholeAndInOrder() async throws {
        // Well beyond what the kernel buffers for one socket (Linux's tcp_wmem maximum is 4 MiB by default).
        let size = 12 * 1024 * 1024
        let large: HTTPServer.SynchronousHandler = { request in
            let fill = UInt8(ascii: request.path == "/one" ? "a" : "b")
            return HTTPServerResponse(status: .ok, body: Data(repeating: fill, count: size))
        }
        try await Self.withServer(.synchronous(large)) { fixture, server in
            let payload = "GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            let script = #"""
                import socket, ssl, sys, time
                port, ca = int(sys.argv[1]), sys.argv[2]
                raw = socket.create_connection(("127.0.0.1", port), timeout=20)
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
                s = ssl.create_default_context(cafile=ca).wrap_socket(raw, server_hostname="localhost")
                s.sendall(sys.argv[3].encode())
                time.sleep(1.0)  # reads nothing: the server's socket fills and the channel holds the rest
                chunks = []
                while True:
                    chunk = s.recv(1 << 20)
                    if not chunk: break
                    chunks.append(chunk)
                data = b"".join(chunks)
                answers = []
                while data:
                    head, _, rest = data.partition(b"\r\n\r\n")
                    length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0]
                                 .split(b":")[1])
                    body, data = rest[:length], rest[length:]
                    answers.append("%s %d %s" % (head.split(b"\r\n")[0].decode(), len(body),
                                                 "".join(sorted(set(body.decode())))))
                print("|".join(answers))
                """#
            let result = try await Command.python(
                script, [String(server.port), fixture.caPath, payload], timeout: .seconds(60))
            #expect(result.status == 0, "\(result.stderr)")
            #expect(
                result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                    == "HTTP/1.1 200 OK \(size) a|HTTP/1.1 200 OK \(size) b")
        }
    }
}
