import CRDModels
import Foundation
import HTTPClient
import KubeTestSupport
import Testing

/// Raw HTTP against the test server with the project's libcurl transport, so tests see exactly
/// what goes over the wire (status codes, Status bodies, headers).
struct TestServerWire {
    let server: KubeAPITestServer
    let client: CurlHTTPClient
    var token: String?

    init(_ server: KubeAPITestServer, token: String? = nil) {
        self.server = server
        self.token = token ?? server.token
        self.client = CurlHTTPClient(
            configuration: .init(tls: TLSConfiguration(caPEM: server.caPEM)))
    }

    struct Reply {
        var status: Int
        var headers: [HTTPHeader]
        var json: JSONValue
        var text: String
        func header(_ name: String) -> String? {
            headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
    }

    func headers(_ extra: [HTTPHeader]) -> [HTTPHeader] {
        var headers = extra
        if let token { headers.append(HTTPHeader("Authorization", "Bearer \(token)")) }
        return headers
    }

    @discardableResult
    func call(
        _ method: String, _ path: String, _ body: JSONValue? = nil, contentType: String = "application/json",
        accept: String? = nil
    ) async throws -> Reply {
        var extra = [HTTPHeader("Content-Type", contentType)]
        if let accept { extra.append(HTTPHeader("Accept", accept)) }
        let response = try await client.send(
            HTTPRequest(
                method: method, url: server.baseURL + path, headers: headers(extra),
                body: try body?.serialized() ?? Data(), timeout: .seconds(10)))
        let json = (try? JSONValue.parse(response.body)) ?? .null
        return Reply(
            status: response.status, headers: response.headers, json: json,
            text: String(decoding: response.body, as: UTF8.self))
    }

    /// Opens a watch and yields its events one JSON line at a time.
    func watch(_ path: String, accept: String? = nil) async throws -> (status: Int, events: WatchLines) {
        var extra: [HTTPHeader] = []
        if let accept { extra.append(HTTPHeader("Accept", accept)) }
        let response = try await client.stream(
            HTTPRequest(method: "GET", url: server.baseURL + path, headers: headers(extra), timeout: .seconds(10)))
        return (response.status, WatchLines(body: response.body))
    }
}

/// Splits a chunked watch body into JSON events.
final class WatchLines: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<Data, any Error>.AsyncIterator
    private var buffer = Data()

    init(body: AsyncThrowingStream<Data, any Error>) { iterator = body.makeAsyncIterator() }

    /// The next event, or nil when the server ended the stream.
    func next() async throws -> JSONValue? {
        try await nextLine().map { try JSONValue.parse($0) }
    }

    /// The next event's bytes as sent (without the newline), or nil when the server ended the stream.
    func nextLine() async throws -> Data? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[(newline + 1)...])
                if line.isEmpty { continue }
                return Data(line)
            }
            guard let chunk = try await iterator.next() else { return nil }
            buffer.append(chunk)
        }
    }

    /// The next event that is not a BOOKMARK.
    func nextChange() async throws -> JSONValue? {
        while let event = try await next() {
            if event["type"] != .string("BOOKMARK") { return event }
        }
        return nil
    }
}

/// Runs a command-line client (curl, kubectl) and captures its output.
struct ServerToolResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

func runServerTool(_ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60))
    async throws -> ServerToolResult
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    // Pipes are drained on dedicated threads: blocking reads must never occupy the (small)
    // cooperative pool that the server, the client and the test itself share.
    let stdout = PipeDrain(out)
    let stderr = PipeDrain(err)
    let exited = AsyncStream<Void>.makeStream()
    process.terminationHandler = { _ in exited.continuation.finish() }
    try process.run()
    let watchdog = Task {
        try await Task.sleep(for: timeout)
        process.terminate()
    }
    for await _ in exited.stream {}
    watchdog.cancel()
    return ServerToolResult(
        status: process.terminationStatus, stdout: String(decoding: await stdout.result(), as: UTF8.self),
        stderr: String(decoding: await stderr.result(), as: UTF8.self))
}

/// Reads a pipe to its end on its own thread.
final class PipeDrain: @unchecked Sendable {
    private let done = AsyncStream<Data>.makeStream(bufferingPolicy: .bufferingNewest(1))

    init(_ pipe: Pipe) {
        let continuation = done.continuation
        Thread.detachNewThread {
            continuation.yield(pipe.fileHandleForReading.readDataToEndOfFile())
            continuation.finish()
        }
    }

    func result() async -> Data {
        for await data in done.stream { return data }
        return Data()
    }
}

/// A temporary directory removed by the caller.
func makeServerTestDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "kube-test-server-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Polls until `condition` holds or the deadline passes.
func serverEventually(
    timeout: Duration = .seconds(5), _ condition: @Sendable () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// Records an issue at the caller unless `serverEventually` holds: no closure inside an awaited `#expect`, which
/// Swift 6.3.1 can give the body of another closure of the same test (see `expectEventually`).
func expectServerEventually(
    timeout: Duration = .seconds(5), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: @Sendable () async throws -> Bool
) async throws {
    if try await serverEventually(timeout: timeout, condition) { return }
    Issue.record("the condition did not hold within \(timeout)", sourceLocation: sourceLocation)
}

extension JSONValue {
    /// Builds JSON from a Swift literal-like dictionary in tests.
    static func literal(_ text: String) -> JSONValue {
        // Test literals are trusted; a typo fails loudly.
        try! JSONValue.parse(Data(text.utf8))
    }

    var testInt: Int? { if case .number(let value) = self { Int(value) } else { nil } }
}

let sampleSecretJSON = """
    {"apiVersion":"v1","kind":"Secret","metadata":{"name":"s1","namespace":"default","labels":{"app":"a"}},
     "type":"Opaque","stringData":{"password":"hunter2"}}
    """
