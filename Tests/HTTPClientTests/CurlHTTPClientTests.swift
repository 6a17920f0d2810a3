import AsyncTestSupport
import Foundation
import HTTPClient
import Synchronization
import Testing

@Suite("CurlHTTPClient over the wire")
struct CurlHTTPClientTests {
    struct Echo: Decodable {
        var method: String
        var uri: String
        var headers: [String: String]
        var body: String
    }

    @Test("every method sends its body and headers and reads status, headers and body", arguments: [
        "GET", "POST", "PUT", "PATCH", "DELETE",
    ])
    func methods(method: String) async throws {
        let server = try await EchoServer()
        try await withTeardown({ try await server.shutdown() }) {
            let client = CurlHTTPClient()
            let body = method == "GET" ? Data() : Data(#"{"spec":{"a":1}}"#.utf8)
            let response = try await client.send(
                HTTPRequest(
                    method: method, url: server.baseURL + "/echo?x=1",
                    headers: [HTTPHeader("Content-Type", "application/merge-patch+json"), HTTPHeader("X-Custom", "v")],
                    body: body))
            #expect(response.status == 200)
            #expect(response.header("x-test") == "yes")
            let echo = try JSONDecoder().decode(Echo.self, from: response.body)
            #expect(echo.method == method)
            #expect(echo.uri == "/echo?x=1")
            #expect(echo.headers["x-custom"] == "v")
            #expect(echo.headers["expect"] == nil)
            #expect(echo.body == String(decoding: body, as: UTF8.self))
        }
    }

    /// Easy handles are reused (`curl_easy_reset` between requests): nothing one request set may reach the
    /// next. One connection and sequential requests, so each request gets the handle the previous one left.
    @Test("a reused handle keeps no method, header, body or timeout of the request before")
    func handleReuse() async throws {
        let server = try await EchoServer()
        try await withTeardown({ try await server.shutdown() }) {
            let client = CurlHTTPClient(configuration: .init(maxConnectionsPerHost: 1))
            let body = Data(#"{"spec":{"a":1}}"#.utf8)
            let first = try await client.send(
                HTTPRequest(
                    method: "PATCH", url: server.baseURL + "/echo?first",
                    headers: [HTTPHeader("Content-Type", "application/merge-patch+json"), HTTPHeader("X-Custom", "v")],
                    body: body, timeout: .milliseconds(1500)))
            let firstEcho = try JSONDecoder().decode(Echo.self, from: first.body)
            #expect(firstEcho.method == "PATCH")
            #expect(firstEcho.headers["x-custom"] == "v")
            #expect(firstEcho.body == String(decoding: body, as: UTF8.self))

            let second = try await client.send(HTTPRequest(url: server.baseURL + "/echo?second"))
            let echo = try JSONDecoder().decode(Echo.self, from: second.body)
            #expect(echo.method == "GET")
            #expect(echo.uri == "/echo?second")
            #expect(echo.headers["x-custom"] == nil)
            #expect(echo.headers["content-type"] == nil)
            #expect(echo.headers["content-length"] == nil)
            #expect(echo.body == "")
            // Still on the first request's connection (reset keeps connections), and the client's own options
            // (User-Agent, no `Expect`) set again.
            #expect(echo.headers["user-agent"] == "ecr-pullsecret-operator")
            #expect(echo.headers["expect"] == nil)

            // The first request's 1.5 s timeout is gone: a 2.4 s answer completes.
            let slow = try await client.send(HTTPRequest(url: server.baseURL + "/stream?chunks=3&delayMs=800"))
            #expect(String(decoding: slow.body, as: UTF8.self) == "chunk-0\nchunk-1\nchunk-2\n")

            // HEAD (CURLOPT_NOBODY) then GET: the GET gets its body.
            let head = try await client.send(HTTPRequest(method: "HEAD", url: server.baseURL + "/bytes/10"))
            #expect(head.status == 200 && head.body.isEmpty)
            let get = try await client.send(HTTPRequest(url: server.baseURL + "/bytes/10"))
            #expect(get.body == Data(repeating: UInt8(ascii: "x"), count: 10))

            // A failed request (its timeout, its error buffer) leaves nothing behind either.
            await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: server.baseURL + "/hang", timeout: .milliseconds(200)))
            }
            let after = try await client.send(HTTPRequest(method: "DELETE", url: server.baseURL + "/echo?after"))
            #expect(try JSONDecoder().decode(Echo.self, from: after.body).method == "DELETE")
        }
    }

    /// The name of the thread this runs on.
    static func threadName() -> String {
        let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
        return name.trimmingCharacters(in: .newlines)
    }

    actor ThreadNameReader {
        func read() -> String { CurlHTTPClientTests.threadName() }
    }

    /// The operator's tasks prefer its API client's loop (OperatorMain): a request is submitted, answered and its
    /// awaiting task resumed on that one thread.
    @Test("a task that prefers the client's executor runs on its loop thread: before and after each answer, after a sleep, in an actor")
    func tasksRunOnTheLoop() async throws {
        let server = try await EchoServer()
        try await withTeardown({ try await server.shutdown() }) {
            let client = CurlHTTPClient()
            let seen = try await withTaskExecutorPreference(client.taskExecutor) {
                var seen = [Self.threadName()]
                // After a suspension on the global pool's timer, and in a default actor's method.
                try await Task.sleep(for: .milliseconds(5))
                seen.append(Self.threadName())
                seen.append(await ThreadNameReader().read())
                try await withThrowingTaskGroup(of: (Int, String).self) { group in
                    for index in 0..<20 {
                        group.addTask {
                            let response = try await client.send(HTTPRequest(url: server.baseURL + "/echo?\(index)"))
                            return (response.status, Self.threadName())
                        }
                    }
                    for try await (status, thread) in group {
                        #expect(status == 200)
                        seen.append(thread)
                    }
                }
                seen.append(Self.threadName())
                return seen
            }
            #expect(seen.count == 24)
            #expect(Set(seen) == ["curl-loop"])
        }
    }

    /// The loop looks at its sockets on every pass, also while jobs keep coming: a task that never stops yielding
    /// (each yield queues a job) must not hold up the requests of the others. (When it did, each request waited for
    /// libcurl's next timer, its 10 s connect timeout: 50 s for the five, against milliseconds.)
    @Test("a task that keeps yielding on the loop does not starve the requests", .timeLimit(.minutes(1)))
    func yieldingDoesNotStarveRequests() async throws {
        let server = try await EchoServer()
        try await withTeardown({ try await server.shutdown() }) {
            let client = CurlHTTPClient()
            final class Flag: Sendable { let raised = Atomic(false) }
            let stop = Flag()
            let statuses = try await withTaskExecutorPreference(client.taskExecutor) {
                try await withThrowingTaskGroup(of: Int?.self) { group in
                    group.addTask {
                        while !stop.raised.load(ordering: .relaxed) { await Task.yield() }
                        return nil
                    }
                    var statuses: [Int] = []
                    let start = ContinuousClock.now
                    defer { #expect(ContinuousClock.now - start < .seconds(5)) }
                    for index in 0..<5 {
                        statuses.append(try await client.send(HTTPRequest(url: server.baseURL + "/echo?\(index)")).status)
                    }
                    stop.raised.store(true, ordering: .relaxed)
                    try await group.waitForAll()
                    return statuses
                }
            }
            #expect(statuses == [200, 200, 200, 200, 200])
        }
    }

    /// A task may still prefer the loop of a client that is gone (its loop stopped): its jobs then run on the
    /// global pool instead of never.
    @Test("once the client is released, tasks that prefer its loop run on the global pool")
    func executorAfterStop() async throws {
        var client: CurlHTTPClient? = CurlHTTPClient()
        let executor = client!.taskExecutor
        client = nil
        let thread = await withTaskExecutorPreference(executor) {
            await Task.yield()
            return Self.threadName()
        }
        #expect(thread != "curl-loop")
    }

    @Test("a body many times the upload buffer is sent whole")
    func largeBody() async throws {
        let server = try await EchoServer()
        try await withTeardown({ try await server.shutdown() }) {
            // 200 KiB of varying text against libcurl's 16 KiB upload buffer.
            let text = (0..<20_000).map { String(format: "%09d\n", $0) }.joined()
            let response = try await CurlHTTPClient().send(
                HTTPRequest(method: "PUT", url: server.baseURL + "/echo", body: Data(text.utf8)))
            let echo = try JSONDecoder().decode(Echo.self, from: response.body)
            #expect(echo.body.utf8.count == 200_000)
            #expect(echo.body == text)
        }
    }

    @Test("non-2xx statuses are responses, not errors")
    func errorStatus() async throws {
        let server = try await EchoServer()
        try await withTeardown({ try await server.shutdown() }) {
            let response = try await CurlHTTPClient().send(HTTPRequest(url: server.baseURL + "/status/409"))
            #expect(response.status == 409)
            #expect(String(decoding: response.body, as: UTF8.self) == "status 409")
        }
    }

    @Test("a stream delivers every chunk in order")
    func streaming() async throws {
        let server = try await EchoServer()
        try await withTeardown({ try await server.shutdown() }) {
            let response = try await CurlHTTPClient().stream(HTTPRequest(url: server.baseURL + "/stream?chunks=4&delayMs=20"))
            #expect(response.status == 200)
            var received = ""
            for try await chunk in response.body { received += String(decoding: chunk, as: UTF8.self) }
            #expect(received == "chunk-0\nchunk-1\nchunk-2\nchunk-3\n")
        }
    }

    /// `/forever` never ends its response, so reading its first chunk proves delivery before the end
    /// without any timing assumption.
    @Test("a chunk arrives before its response ends; abandoning the stream closes the connection")
    func abandonStream() async throws {
        let server = try await EchoServer()
        try await withTeardown({ try await server.shutdown() }) {
            let client = CurlHTTPClient()
            do {
                let response = try await client.stream(HTTPRequest(url: server.baseURL + "/forever"))
                for try await chunk in response.body {
                    #expect(String(decoding: chunk, as: UTF8.self) == "first\n")
                    break
                }
            }
            try await waitFor { server.disconnects.value == 1 }
            let response = try await client.send(HTTPRequest(url: server.baseURL + "/status/204"))
            #expect(response.status == 204)
        }
    }

    @Test("a cancelled task cancels its stream")
    func cancelStream() async throws {
        let server = try await EchoServer()
        try await withTeardown({ try await server.shutdown() }) {
            let client = CurlHTTPClient()
            let task = Task {
                let response = try await client.stream(HTTPRequest(url: server.baseURL + "/forever"))
                var count = 0
                for try await _ in response.body { count += 1 }
                return count
            }
            try await Task.sleep(for: .milliseconds(200))
            task.cancel()
            _ = try? await task.value
            try await waitFor { server.disconnects.value == 1 }
        }
    }

    @Test("a request that gets no answer times out at its deadline")
    func timeout() async throws {
        let server = try await EchoServer()
        try await withTeardown({ try await server.shutdown() }) {
            let client = CurlHTTPClient()
            let started = ContinuousClock.now
            await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: server.baseURL + "/hang", timeout: .milliseconds(300)))
            }
            do {
                _ = try await client.send(HTTPRequest(url: server.baseURL + "/hang", timeout: .milliseconds(300)))
            } catch let error as HTTPClientError {
                #expect(error.code == .timedOut)
            }
            #expect(started.duration(to: .now) < .seconds(3))
            // Streams time out on their headers too.
            do {
                _ = try await client.stream(HTTPRequest(url: server.baseURL + "/hang", timeout: .milliseconds(300)))
                Issue.record("stream without headers did not time out")
            } catch let error as HTTPClientError {
                #expect(error.code == .timedOut)
            }
        }
    }

    @Test("a refused connection is reported as connectFailed")
    func refused() async throws {
        let port = try freePort()
        do {
            _ = try await CurlHTTPClient().send(HTTPRequest(url: "http://127.0.0.1:\(port)/"))
            Issue.record("request to a closed port succeeded")
        } catch let error as HTTPClientError {
            #expect(error.code == .connectFailed)
        }
    }

    @Test("a body above the limit aborts the request")
    func responseLimit() async throws {
        let server = try await EchoServer()
        try await withTeardown({ try await server.shutdown() }) {
            let client = CurlHTTPClient(configuration: .init(maxResponseBytes: 1000))
            let small = try await client.send(HTTPRequest(url: server.baseURL + "/bytes/1000"))
            #expect(small.body.count == 1000)
            do {
                _ = try await client.send(HTTPRequest(url: server.baseURL + "/bytes/5000"))
                Issue.record("oversized body accepted")
            } catch let error as HTTPClientError {
                #expect(error.message.contains("exceeds 1000 bytes"))
            }
        }
    }

    @Test("two hundred concurrent requests all complete")
    func concurrency() async throws {
        let server = try await EchoServer()
        try await withTeardown({ try await server.shutdown() }) {
            let client = CurlHTTPClient()
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        try await client.send(HTTPRequest(url: server.baseURL + "/status/\(200 + index % 3)")).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.count == 200)
            #expect(Set(statuses) == [200, 201, 202])
        }
    }

    @Test("headers with line breaks are refused before anything is sent")
    func headerInjection() async throws {
        await #expect(throws: HTTPClientError.self) {
            try await CurlHTTPClient().send(
                HTTPRequest(url: "http://127.0.0.1:1/", headers: [HTTPHeader("X", "a\r\nInjected: 1")]))
        }
    }

    @Test("HTTP/1.1 servers get HTTP/1.1")
    func http1() async throws {
        let server = try await EchoServer()
        try await withTeardown({ try await server.shutdown() }) {
            let response = try await CurlHTTPClient().send(HTTPRequest(url: server.baseURL + "/status/200"))
            #expect(response.version == "HTTP/1.1")
        }
    }
}

@Suite("CurlHTTPClient TLS against openssl s_server", .serialized)
struct CurlHTTPClientTLSTests {
    @Test("verifies the server against the configured CA, and refuses an unknown one")
    func caVerification() async throws {
        let pki = try TestPKI()
        let server = try OpenSSLServer(certificate: pki.serverCertificate, key: pki.serverKey)
        defer { server.stop() }
        let url = "https://127.0.0.1:\(server.port)/"

        let trusted = CurlHTTPClient(configuration: .init(tls: TLSConfiguration(caPEM: try pki.data(pki.caCertificate))))
        #expect(try await trusted.send(HTTPRequest(url: url)).status == 200)

        let other = try TestPKI()
        let untrusted = CurlHTTPClient(configuration: .init(tls: TLSConfiguration(caPEM: try other.data(other.caCertificate))))
        do {
            _ = try await untrusted.send(HTTPRequest(url: url))
            Issue.record("a server signed by an unknown CA was accepted")
        } catch let error as HTTPClientError {
            #expect(error.code == .tls)
        }

        let insecure = CurlHTTPClient(configuration: .init(tls: TLSConfiguration(insecureSkipVerify: true)))
        #expect(try await insecure.send(HTTPRequest(url: url)).status == 200)
    }

    @Test("presents a client certificate when the server requires one")
    func clientCertificate() async throws {
        let pki = try TestPKI()
        let server = try OpenSSLServer(
            certificate: pki.serverCertificate, key: pki.serverKey, clientCA: pki.caCertificate)
        defer { server.stop() }
        let url = "https://127.0.0.1:\(server.port)/"
        let ca = try pki.data(pki.caCertificate)

        let withCertificate = CurlHTTPClient(
            configuration: .init(
                tls: TLSConfiguration(
                    caPEM: ca, clientCertificatePEM: try pki.data(pki.clientCertificate),
                    clientKeyPEM: try pki.data(pki.clientKey))))
        let response = try await withCertificate.send(HTTPRequest(url: url))
        #expect(response.status == 200)
        // s_server -www reports the peer certificate it saw.
        #expect(String(decoding: response.body, as: UTF8.self).contains("alice"))

        let without = CurlHTTPClient(configuration: .init(tls: TLSConfiguration(caPEM: ca)))
        await #expect(throws: HTTPClientError.self) { try await without.send(HTTPRequest(url: url)) }
    }

    @Test("serverName verifies against a name other than the URL's host")
    func serverName() async throws {
        let pki = try TestPKI()
        let server = try OpenSSLServer(certificate: pki.serverCertificate, key: pki.serverKey)
        defer { server.stop() }
        let ca = try pki.data(pki.caCertificate)
        // "kube.test" does not resolve; the client must still connect to 127.0.0.1 and verify that name.
        let client = CurlHTTPClient(configuration: .init(tls: TLSConfiguration(caPEM: ca, serverName: "kube.test")))
        #expect(try await client.send(HTTPRequest(url: "https://127.0.0.1:\(server.port)/")).status == 200)

        let wrongName = CurlHTTPClient(configuration: .init(tls: TLSConfiguration(caPEM: ca, serverName: "other.test")))
        await #expect(throws: HTTPClientError.self) {
            try await wrongName.send(HTTPRequest(url: "https://127.0.0.1:\(server.port)/"))
        }
    }
}

@Suite("CurlHTTPClient HTTP/2 against nghttpd", .serialized)
struct CurlHTTPClientHTTP2Tests {
    @Test("negotiates HTTP/2 over TLS by ALPN and multiplexes concurrent requests")
    func http2() async throws {
        #expect(CurlHTTPClient.supportsHTTP2)
        let pki = try TestPKI()
        let htdocs = pki.directory + "/htdocs"
        try FileManager.default.createDirectory(atPath: htdocs, withIntermediateDirectories: true)
        try "hello over h2".write(toFile: htdocs + "/index.txt", atomically: true, encoding: .utf8)
        // nghttpd cannot report a port it picked, so choose one and retry if another test took it first.
        var started: (process: Process, port: Int)?
        for _ in 0..<5 where started == nil {
            let port = try freePort()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/nghttpd")
            process.arguments = ["-a", "127.0.0.1", "-d", htdocs, "\(port)", pki.serverKey, pki.serverCertificate]
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            try waitUntilListening(port: port)
            try await Task.sleep(for: .milliseconds(100))
            if process.isRunning { started = (process, port) } else { process.waitUntilExit() }
        }
        let (server, port) = try #require(started)
        defer {
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }

        let client = CurlHTTPClient(configuration: .init(tls: TLSConfiguration(caPEM: try pki.data(pki.caCertificate))))
        let url = "https://127.0.0.1:\(port)/index.txt"
        let bodies = try await withThrowingTaskGroup(of: HTTPResponse.self) { group in
            for _ in 0..<20 { group.addTask { try await client.send(HTTPRequest(url: url)) } }
            return try await group.reduce(into: [HTTPResponse]()) { $0.append($1) }
        }
        #expect(bodies.count == 20)
        for response in bodies {
            #expect(response.version == "HTTP/2")
            #expect(String(decoding: response.body, as: UTF8.self) == "hello over h2")
        }
    }
}

/// Polls `condition` every 20 ms for up to `timeout`.
func waitFor(timeout: Duration = .seconds(5), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met within \(timeout)")
            return
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}
