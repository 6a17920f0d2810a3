import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A `moto_server` (AWS emulator) on a free loopback port, for tests, benchmarks and the demo.
///
/// moto is started as `python3 -c <launcher>` which runs `moto.server.main(["-H", "127.0.0.1", "-p", "0"])`
/// (what the `moto_server` script does) behind a watchdog thread: when our process dies, the pipe on moto's
/// stdin closes and moto exits, so no emulator is ever left behind. Port 0 lets the kernel pick the port;
/// it is read from werkzeug's "Running on" line.
///
/// Requests are counted by moto's own request recorder (`MOTO_ENABLE_RECORDING`), which appends every
/// request it receives, before handling it, to a JSON-lines file: exact server-side counts without a proxy.
public final class MotoServer: Sendable {
    /// `http://127.0.0.1:<port>`.
    public let endpoint: String
    public let port: Int
    private let process: Process
    private let stdinPipe: Pipe
    private let recordingPath: String
    private let directory: URL
    private let log: OutputLog

    /// One request moto received.
    public struct RecordedRequest: Sendable, Hashable {
        public var method: String
        public var path: String
        /// `X-Amz-Target` (JSON protocol), e.g. `AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken`.
        public var target: String?
        /// `Action` of a query-protocol form body, e.g. `AssumeRole`.
        public var action: String?
        /// The signing service from the Authorization credential scope, e.g. `ecr`; nil when unsigned.
        public var signingService: String?
        /// The access key id from the Authorization header; nil when unsigned.
        public var accessKeyID: String?
        /// The request body as text.
        public var body: String
    }

    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    private init(
        endpoint: String, port: Int, process: Process, stdinPipe: Pipe, recordingPath: String, directory: URL,
        log: OutputLog
    ) {
        self.endpoint = endpoint
        self.port = port
        self.process = process
        self.stdinPipe = stdinPipe
        self.recordingPath = recordingPath
        self.directory = directory
        self.log = log
    }

    deinit {
        terminate()
    }

    /// Starts moto and waits (up to `timeout`) until it listens. `initialNoAuthActionCount` turns on
    /// signature and IAM checking after that many unauthenticated requests.
    public static func start(
        initialNoAuthActionCount: Int? = nil, extraEnvironment: [String: String] = [:], timeout: Duration = .seconds(30)
    ) async throws -> MotoServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("moto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let recordingPath = directory.appendingPathComponent("recording.jsonl").path
        guard FileManager.default.createFile(atPath: recordingPath, contents: Data()) else {
            throw StartError(description: "cannot create \(recordingPath)")
        }

        let launcher = """
            import os, sys, threading
            def _watch():
                try:
                    while sys.stdin.buffer.read(1):
                        pass
                finally:
                    os._exit(0)
            threading.Thread(target=_watch, daemon=True).start()
            from moto.server import main
            main(["-H", "127.0.0.1", "-p", "0"])
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", launcher]
        var environment = ProcessInfo.processInfo.environment
        environment["MOTO_ENABLE_RECORDING"] = "True"
        environment["MOTO_RECORDER_FILEPATH"] = recordingPath
        environment["PYTHONUNBUFFERED"] = "1"
        for name in environment.keys where name.hasPrefix("AWS_") { environment[name] = nil }
        if let count = initialNoAuthActionCount { environment["INITIAL_NO_AUTH_ACTION_COUNT"] = String(count) }
        environment.merge(extraEnvironment) { $1 }
        process.environment = environment
        process.currentDirectoryURL = directory
        let stdinPipe = Pipe()
        let outputPipe = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = outputPipe
        process.standardError = outputPipe
        try process.run()

        // Drain moto's output for its whole life (it logs every request; a full pipe would block it), keeping
        // the last lines for error messages and watching for the port.
        let log = OutputLog()
        let reader = outputPipe.fileHandleForReading
        Thread.detachNewThread {
            var pending = Data()
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    log.append(line)
                }
            }
        }

        let deadline = ContinuousClock.now + timeout
        while true {
            if let port = log.port.withLock({ $0 }) {
                let server = MotoServer(
                    endpoint: "http://127.0.0.1:\(port)", port: port, process: process, stdinPipe: stdinPipe,
                    recordingPath: recordingPath, directory: directory, log: log)
                // Listening is announced just before serve_forever; confirm with a real request.
                try await server.waitUntilAnswering(deadline: deadline)
                return server
            }
            if !process.isRunning || ContinuousClock.now > deadline {
                let output = log.lines.withLock { $0.suffix(20).joined(separator: "\n") }
                if process.isRunning { process.terminate() }
                try? FileManager.default.removeItem(at: directory)
                throw StartError(
                    description: "moto_server did not start within \(timeout) (python3 with moto[server] needed): "
                        + output)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    private func waitUntilAnswering(deadline: ContinuousClock.Instant) async throws {
        while true {
            if let status = try? Self.request(port: port, method: "GET", path: "/moto-api/data.json"), status == 200 {
                return
            }
            if ContinuousClock.now > deadline || !process.isRunning {
                shutdown()
                throw StartError(description: "moto_server on port \(port) does not answer")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Clears all emulated state (`POST /moto-api/reset`) and the request recording.
    public func reset() throws {
        let status = try Self.request(port: port, method: "POST", path: "/moto-api/reset")
        guard status == 200 else { throw StartError(description: "moto reset answered \(status)") }
        _ = try Self.request(port: port, method: "POST", path: "/moto-api/recorder/reset-recording")
    }

    /// Creates an IAM user allowed `actions` (e.g. `ecr:GetAuthorizationToken`) and returns its new access key.
    /// Takes three requests, which must be among the first `initialNoAuthActionCount`: moto checks no
    /// signature for those, but routes by the Authorization header's credential scope, so they carry one.
    public func createUser(_ name: String, allowing actions: [String]) throws
        -> (accessKeyID: String, secretAccessKey: String)
    {
        func iam(_ parameters: [(String, String)]) throws -> String {
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
            let body = (parameters + [("Version", "2010-05-08")])
                .map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
                .joined(separator: "&")
            let (status, response) = try Self.exchange(
                port: port, method: "POST", path: "/",
                headers: [
                    "Content-Type: application/x-www-form-urlencoded; charset=utf-8",
                    "Authorization: AWS4-HMAC-SHA256 Credential=AKIASETUP/20260101/us-east-1/iam/aws4_request, "
                        + "SignedHeaders=host, Signature=unchecked",
                ], body: Data(body.utf8))
            let text = String(decoding: response, as: UTF8.self)
            guard status == 200 else {
                throw StartError(description: "moto IAM \(parameters[0].1) answered \(status): \(text.prefix(300))")
            }
            return text
        }
        func element(_ tag: String, _ xml: String) -> String? {
            guard let open = xml.range(of: "<\(tag)>"), let close = xml.range(of: "</\(tag)>") else { return nil }
            return String(xml[open.upperBound..<close.lowerBound])
        }
        _ = try iam([("Action", "CreateUser"), ("UserName", name)])
        let statement = actions.map { "\"\($0)\"" }.joined(separator: ",")
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["#
            + statement + #"],"Resource":"*"}]}"#
        _ = try iam([
            ("Action", "PutUserPolicy"), ("UserName", name), ("PolicyName", "allow"), ("PolicyDocument", policy),
        ])
        let keyXML = try iam([("Action", "CreateAccessKey"), ("UserName", name)])
        guard let id = element("AccessKeyId", keyXML), let secret = element("SecretAccessKey", keyXML) else {
            throw StartError(description: "moto CreateAccessKey returned no key")
        }
        return (id, secret)
    }

    /// Sends one unchecked ECR `GetAuthorizationToken` for `region`: moto builds a service's backend on its
    /// first request, about a second that real ECR never takes, so a benchmark warms it before timing.
    public func warmUpECR(region: String) throws {
        let (status, body) = try Self.exchange(
            port: port, method: "POST", path: "/",
            headers: [
                "Content-Type: application/x-amz-json-1.1",
                "X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken",
                "Authorization: AWS4-HMAC-SHA256 Credential=AKIAWARMUP/20260101/\(region)/ecr/aws4_request, "
                    + "SignedHeaders=host, Signature=unchecked",
            ], body: Data("{}".utf8))
        guard status == 200 else {
            let text = String(decoding: body.prefix(300), as: UTF8.self)
            throw StartError(description: "moto ECR warm-up answered \(status): \(text)")
        }
    }

    /// Every request moto has received since start or the last `reset()`, in order.
    public func recordedRequests() -> [RecordedRequest] {
        guard let text = try? String(contentsOfFile: recordingPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                return nil
            }
            let headers = (object["headers"] as? [String: String]) ?? [:]
            func header(_ name: String) -> String? {
                headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
            }
            let url = (object["url"] as? String).flatMap(URLComponents.init(string:))
            var body = (object["body"] as? String) ?? ""
            if object["body_encoded"] as? Bool == true, let data = Data(base64Encoded: body) {
                body = String(decoding: data, as: UTF8.self)
            }
            let action =
                body.split(separator: "&").first { $0.hasPrefix("Action=") }.map { String($0.dropFirst(7)) }
                ?? url?.queryItems?.first { $0.name == "Action" }?.value
            var service: String?
            var accessKey: String?
            if let authorization = header("Authorization"), let range = authorization.range(of: "Credential=") {
                let scope = authorization[range.upperBound...].prefix { $0 != "," && $0 != " " }
                let parts = scope.split(separator: "/")
                accessKey = parts.first.map(String.init)
                if parts.count >= 5 { service = String(parts[3]) }
            }
            return RecordedRequest(
                method: (object["method"] as? String) ?? "", path: url?.path ?? "", target: header("X-Amz-Target"),
                action: action, signingService: service, accessKeyID: accessKey, body: body)
        }
    }

    /// How many received requests match `predicate`.
    public func requestCount(where predicate: (RecordedRequest) -> Bool = { _ in true }) -> Int {
        recordedRequests().filter(predicate).count
    }

    /// How many requests carried `X-Amz-Target: target` (e.g. `...GetAuthorizationToken`; suffix match).
    public func requestCount(target: String) -> Int {
        requestCount { $0.target?.hasSuffix(target) == true }
    }

    /// How many query-protocol requests had `Action=action` (e.g. `AssumeRole`).
    public func requestCount(action: String) -> Int {
        requestCount { $0.action == action }
    }

    /// The last lines moto printed (access log, tracebacks), for failure messages.
    public var recentOutput: [String] { log.lines.withLock { $0 } }

    /// Stops moto (SIGTERM, then SIGKILL after 5 s) and removes its files. Safe to call twice.
    public func shutdown() {
        terminate()
    }

    private func terminate() {
        // SIGKILL at once: moto keeps nothing worth flushing, and a child of the Swift test runner may inherit a
        // blocked SIGTERM, which used to cost a 5 s wait on whichever thread called shutdown.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? stdinPipe.fileHandleForWriting.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A tiny blocking HTTP/1.1 exchange over a loopback socket, for moto's control API only; returns the status.
    static func request(port: Int, method: String, path: String) throws -> Int {
        try exchange(port: port, method: method, path: path).status
    }

    /// A tiny blocking HTTP/1.1 exchange over a loopback socket (setup requests only): the status and the body.
    static func exchange(port: Int, method: String, path: String, headers: [String] = [], body: Data = Data()) throws
        -> (status: Int, body: Data)
    {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StartError(description: "socket() failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw StartError(description: "connect to 127.0.0.1:\(port) failed") }
        var request = Data(
            ("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Length: \(body.count)\r\n"
                + headers.map { $0 + "\r\n" }.joined() + "Connection: close\r\n\r\n").utf8)
        request.append(body)
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == request.count else { throw StartError(description: "send to moto failed") }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while response.count < 1 << 20 {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response.append(buffer, count: count)
        }
        let statusLine = String(decoding: response.prefix(while: { $0 != UInt8(ascii: "\r") }), as: UTF8.self)
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else {
            throw StartError(description: "moto answered '\(statusLine)' to \(method) \(path)")
        }
        let separator = Data("\r\n\r\n".utf8)
        let content = response.range(of: separator).map { response[$0.upperBound...] } ?? Data()
        return (status, Data(content))
    }
}

/// moto's recent output lines and the port it announced, shared with the draining thread.
private final class OutputLog: Sendable {
    let lines = Mutex<[String]>([])
    let port = Mutex<Int?>(nil)

    func append(_ line: String) {
        lines.withLock {
            $0.append(line)
            if $0.count > 200 { $0.removeFirst($0.count - 200) }
        }
        if let range = line.range(of: "Running on http://127.0.0.1:") {
            let digits = line[range.upperBound...].prefix { $0.isNumber }
            port.withLock { $0 = Int(digits) }
        }
    }
}
