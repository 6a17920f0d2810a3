import ECRAuth
import Foundation
import HTTPClient
import HTTPServer
import KubeTestSupport
import Logging
import NIOHTTP1
import Synchronization

/// The real wire path: libcurl beneath the AWS client.
let sharedTransport = CurlHTTPClient()

func makeClient(
    retry: RetryPolicy = RetryPolicy(baseDelay: .milliseconds(20), maxDelay: .milliseconds(100)),
    metrics: AWSMetrics = AWSMetrics(), now: @escaping @Sendable () -> Date = { Date() }
) -> AWSClient {
    AWSClient(transport: sharedTransport, retryPolicy: retry, metrics: metrics, now: now)
}

/// Every ECR/STS endpoint pointed at `url` (moto or a local responder).
func environment(endpoint url: String, _ extra: [String: String] = [:]) -> AWSEnvironment {
    AWSEnvironment(["AWS_ENDPOINT_URL": url].merging(extra) { $1 })
}

/// A distinct access key per test, so counts at a server can be filtered per test.
func uniqueKeys(prefix: String = "AKIATEST") -> StaticCredentialProvider {
    let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).uppercased()
    return StaticCredentialProvider(accessKeyID: prefix + suffix, secretAccessKey: "test-secret-" + suffix)
}

/// Starts moto, runs `body`, always stops moto.
func withMoto<T>(
    initialNoAuthActionCount: Int? = nil, _ body: (MotoServer) async throws -> T
) async throws -> T {
    let moto = try await MotoServer.start(initialNoAuthActionCount: initialNoAuthActionCount)
    do {
        let result = try await body(moto)
        moto.shutdown()
        return result
    } catch {
        moto.shutdown()
        throw error
    }
}

/// A request the scripted responder received.
struct ReceivedRequest: Sendable {
    var method: String
    var path: String
    var headers: [String: String]
    var body: String
}

/// A small local HTTP server whose answers a test scripts: throttling, 5xx, malformed bodies, XML errors,
/// container credentials. Records every request it receives.
final class ScriptedResponder: Sendable {
    typealias Script = @Sendable (_ index: Int, _ request: ReceivedRequest) async -> HTTPServerResponse
    private let server: HTTPServer
    private let task: Task<Void, any Error>
    private let log: RequestLog
    let url: String

    private init(server: HTTPServer, task: Task<Void, any Error>, log: RequestLog, url: String) {
        self.server = server
        self.task = task
        self.log = log
        self.url = url
    }

    static func start(_ script: @escaping Script) async throws -> ScriptedResponder {
        let log = RequestLog()
        let server = HTTPServer(configuration: HTTPServerConfiguration(), logger: Logger(label: "test.responder")) {
            request in
            var headers: [String: String] = [:]
            for (name, value) in request.headers { headers[name.lowercased()] = value }
            let received = ReceivedRequest(
                method: request.method, path: request.path, headers: headers,
                body: String(decoding: request.body, as: UTF8.self))
            let index = log.append(received)
            return await script(index, received)
        }
        let task = Task { try await server.run() }
        let port = try await server.localPort()
        return ScriptedResponder(server: server, task: task, log: log, url: "http://127.0.0.1:\(port)")
    }

    var requests: [ReceivedRequest] { log.all }
    var requestCount: Int { log.all.count }

    func stop() async {
        server.shutdownGracefully()
        _ = try? await task.value
    }
}

final class RequestLog: Sendable {
    private let items = Mutex<[ReceivedRequest]>([])

    /// Appends and returns the 0-based index of the request.
    func append(_ request: ReceivedRequest) -> Int {
        items.withLock {
            $0.append(request)
            return $0.count - 1
        }
    }

    var all: [ReceivedRequest] { items.withLock { $0 } }
}

func jsonResponse(_ status: HTTPResponseStatus, _ body: String, headers: [(String, String)] = [])
    -> HTTPServerResponse
{
    var fields = HTTPHeaders(headers)
    fields.replaceOrAdd(name: "Content-Type", value: "application/x-amz-json-1.1")
    return HTTPServerResponse(status: status, headers: fields, body: Data(body.utf8))
}

func xmlResponse(_ status: HTTPResponseStatus, _ body: String) -> HTTPServerResponse {
    HTTPServerResponse(status: status, headers: HTTPHeaders([("Content-Type", "text/xml")]), body: Data(body.utf8))
}

/// A temporary directory; `remove()` at the end of the test.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("ecrauth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let path = url.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// A clock tests can move.
final class TestClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date()) { current = Mutex(start) }

    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    var function: @Sendable () -> Date { { [self] in self.now } }
}
