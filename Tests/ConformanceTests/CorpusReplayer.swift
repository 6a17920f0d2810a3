import CRDModels
import Foundation
import HTTPClient
import KubeClient
import KubeTestSupport
import Synchronization

/// Credentials of the corpus's `auth` modes (README "Recording environment").
enum CorpusAuth {
    /// User `ecr-operator`, no RBAC bindings (the corpus's `forbidden` credential).
    static let forbiddenToken = "conformance-ecr-operator-token"
    /// A token the server does not know.
    static let invalidToken = "conformance-unknown-token"
}

/// One answer of the server, as the corpus records it.
struct CorpusAnswer {
    var status: Int
    var contentType: String?
    /// Parsed JSON, or the text, or null when empty.
    var body: JSONValue
    var warnings: [String]

    init(status: Int, headers: [HTTPHeader], body: Data) {
        self.status = status
        contentType = headers.first { $0.name.caseInsensitiveCompare("Content-Type") == .orderedSame }?.value
        warnings = headers.filter { $0.name.caseInsensitiveCompare("Warning") == .orderedSame }.map(\.value)
        if body.isEmpty {
            self.body = .null
        } else if let json = try? JSONValue.parse(body) {
            self.body = json
        } else {
            self.body = .string(String(decoding: body, as: UTF8.self))
        }
    }
}

/// Replays one corpus case against a fresh API test server over HTTPS with the project's libcurl
/// client, normalising the answers and collecting every difference.
struct CorpusReplayer {
    let corpusCase: CorpusCase
    let server: KubeAPITestServer
    let client: CurlHTTPClient
    /// The case's validating webhook (admission cases), registered before the first step.
    let webhook: ScriptedAdmissionWebhook?
    var normalizer: CorpusNormalizer
    /// One entry per step whose answer differs: the step title and the diff.
    private(set) var failures: [String] = []
    private var stepTitle = ""

    init(corpusCase: CorpusCase, server: KubeAPITestServer, webhook: ScriptedAdmissionWebhook? = nil) {
        self.corpusCase = corpusCase
        self.server = server
        self.webhook = webhook
        client = CurlHTTPClient(configuration: .init(tls: TLSConfiguration(caPEM: server.caPEM)))
        normalizer = CorpusNormalizer(literals: corpusCase.literals)
    }

    /// Starts the server the README prescribes: the project's CRDs, the four default namespaces, no
    /// default ServiceAccount.
    static func startServer() async throws -> KubeAPITestServer {
        var options = KubeAPITestServerOptions()
        options.createDefaultServiceAccount = false
        // The recorded control plane's namespace controller and garbage collector act within seconds,
        // not instantly: a DELETE answered "Terminating" can be repeated before the namespace goes.
        options.garbageCollectionDelay = .seconds(1)
        let server = try await KubeAPITestServer.start(tls: true, options: options)
        server.addUser(token: CorpusAuth.forbiddenToken, name: "ecr-operator")
        try server.installCRDs(fromDirectory: repositoryRoot.appendingPathComponent("config/crd").path)
        return server
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    mutating func run() async throws {
        if let webhook { try await register(webhook) }
        // The recorded AdmissionReview: compared, in the normalisation's walk order, right after the
        // step that sent it (null: the last step sent none).
        var received = corpusCase.json["received"]
        var reviewsOfLastStep = 0
        for step in corpusCase.steps {
            stepTitle = step["title"]?.stringValue ?? "?"
            if Deviations.skips(case: corpusCase.name, step: stepTitle) { continue }
            let reviewsBefore = webhook?.received.count ?? 0
            webhook?.answer(Self.webhookAnswer(recorded: step["response"] ?? .null))
            if let action = step["action"]?.stringValue {
                try await perform(action: action, step: step)
            } else if step["watch"] == .bool(true) {
                try await runWatch(step)
            } else {
                try await runHTTP(step)
            }
            guard let reviews = webhook?.received.dropFirst(reviewsBefore) else { continue }
            reviewsOfLastStep = reviews.count
            if let expected = received, expected != .null,
                let review = reviews.first(where: { Self.sameRequest($0, expected) })
            {
                stepTitle = "received AdmissionReview (sent by \"\(stepTitle)\")"
                report(expected: ["received": expected], actual: ["received": normalizer.normalize(review)])
                received = nil
            }
        }
        stepTitle = "received AdmissionReview"
        if received == .null, reviewsOfLastStep > 0 {
            fail("the webhook received \(reviewsOfLastStep) AdmissionReviews in the last step, the recording none")
        } else if let received, received != .null, webhook != nil {
            fail("the webhook never received the recorded AdmissionReview")
        }
    }

    // MARK: Admission webhook

    /// Creates the case's ValidatingWebhookConfiguration, pointed at `webhook`.
    private mutating func register(_ webhook: ScriptedAdmissionWebhook) async throws {
        let configuration = CorpusNormalizer.mappingStrings(corpusCase.json["webhookConfiguration"] ?? .null) { text in
            text == "<caBundle>" ? webhook.caBundle : text.hasPrefix("https://127.0.0.1:<port>") ? webhook.url : text
        }
        var headers = [HTTPHeader("Content-Type", "application/json"), HTTPHeader("Accept", "application/json")]
        if let token = server.token { headers.append(HTTPHeader("Authorization", "Bearer \(token)")) }
        let path = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"
        let response = try await client.send(
            HTTPRequest(method: "POST", url: server.baseURL + path, headers: headers, body: try configuration.serialized()))
        if response.status != 201 {
            stepTitle = "register the webhook configuration"
            fail("answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
    }

    /// What the recording's webhook must have answered for the client to get `response`: a denial
    /// (`admission webhook "NAME" denied the request[: MESSAGE]`) with the Status's code and reason,
    /// otherwise allowed; the recorded `Warning` headers either way (the admission cases have no others).
    static func webhookAnswer(recorded response: JSONValue) -> ScriptedAdmissionWebhook.Answer {
        let warnings = (response["warnings"]?.arrayValue ?? []).compactMap(\.stringValue).map { header in
            var text = header.hasPrefix("299 - \"") ? String(header.dropFirst(7).dropLast()) : header
            text = text.replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\")
            return text
        }
        let body = response["body"] ?? .null
        let message = body["message"]?.stringValue ?? ""
        guard message.hasPrefix("admission webhook \""), let denied = message.range(of: "\" denied the request") else {
            return .init(allowed: true, warnings: warnings)
        }
        var status: [String: JSONValue] = [:]
        let rest = message[denied.upperBound...]
        if rest.hasPrefix(": ") { status["message"] = .string(String(rest.dropFirst(2))) }
        if let reason = body["reason"] { status["reason"] = reason }
        if let code = body["code"] { status["code"] = code }
        return .init(allowed: false, status: .object(status), warnings: warnings)
    }

    /// The same admission request: operation, namespace, name and dry-run.
    static func sameRequest(_ review: JSONValue, _ recorded: JSONValue) -> Bool {
        ["operation", "namespace", "name", "dryRun"].allSatisfy { review["request"]?[$0] == recorded["request"]?[$0] }
    }

    // MARK: Steps

    private mutating func perform(action: String, step: JSONValue) async throws {
        switch action {
        case "compact": server.compact()
        case "sleep":
            let seconds = step["seconds"]?.testNumber ?? 0
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        default: fail("unknown action \(action)")
        }
    }

    private mutating func runHTTP(_ step: JSONValue) async throws {
        normalizer.requestPlaceholders = []
        let request = try buildRequest(step["request"] ?? .null)
        var answer = try await send(request)
        if step["assert"]?.stringValue == "eventually", let poll = step["poll"] {
            let timeout = min(poll["timeoutSeconds"].flatMap(\.testNumber) ?? 30, 30)
            let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
            while !Self.holds(poll["until"] ?? .null, answer), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                answer = try await send(request)
            }
        }
        compare(step, answer: answer)
    }

    private mutating func compare(_ step: JSONValue, answer: CorpusAnswer) {
        let expected = step["response"] ?? .null
        let bestEffort = step["assert"]?.stringValue == "best-effort"
        var normalizer = self.normalizer
        var actual: [String: JSONValue] = [
            "status": .number(Double(answer.status)), "contentType": answer.contentType.map(JSONValue.string) ?? .null,
        ]
        switch answer.body {
        case .object, .array:
            actual["body"] = normalizer.normalize(
                answer.body, transforms: StepTransforms(step: step), requestBody: step["request"]?["body"])
        default: actual["body"] = answer.body
        }
        if !answer.warnings.isEmpty {
            actual["warnings"] = .array(answer.warnings.map { .string(normalizer.normalizeWarning($0)) })
        }
        if bestEffort {
            report(expected: ["status": expected["status"] ?? .null], actual: ["status": actual["status"]!])
            return
        }
        self.normalizer = normalizer
        var wanted = expected.objectValue ?? [:]
        wanted["events"] = nil
        report(expected: wanted, actual: actual)
        ClientDecoding.check(step: step, response: expected).forEach { fail("client decoding: \($0)") }
    }

    private mutating func runWatch(_ step: JSONValue) async throws {
        normalizer.requestPlaceholders = []
        let requestJSON = step["request"] ?? .null
        let request = try buildRequest(requestJSON)
        let expected = step["response"] ?? .null
        let response = try await client.stream(request)
        let collector = WatchCollector(body: response.body)
        defer { collector.cancel() }
        if expected["events"] == nil || response.status != 200 {
            // Not a stream: the whole body is the answer.
            let body = await collector.wholeBody(within: .seconds(15))
            compare(step, answer: CorpusAnswer(status: response.status, headers: response.headers, body: body))
            return
        }
        let bestEffort = step["assert"]?.stringValue == "best-effort"
        for concurrent in step["concurrentSteps"]?.arrayValue ?? [] {
            let outer = stepTitle
            stepTitle = outer + " / " + (concurrent["title"]?.stringValue ?? "?")
            try await runHTTP(concurrent)
            stepTitle = outer
        }
        let read = step["read"] ?? .null
        var events: [JSONValue]
        if read["untilClose"] == .bool(true) {
            let seconds = read["maxSeconds"].flatMap(\.testNumber) ?? 15
            events = await collector.events(count: nil, ignoreBookmarks: false, within: .seconds(seconds))
        } else {
            let count = Int(read["events"].flatMap(\.testNumber) ?? 0)
            let ignoreBookmarks = read["ignoreBookmarks"] == .bool(true)
            events = await collector.events(count: count, ignoreBookmarks: ignoreBookmarks, within: .seconds(10))
        }
        collector.cancel()
        if let sortFirst = step["sortFirst"].flatMap(\.testNumber).map(Int.init), sortFirst <= events.count {
            let head = events[..<sortFirst].sorted {
                CorpusNormalizer.namespaceAndName($0["object"] ?? .null)
                    .lexicographicallyPrecedes(CorpusNormalizer.namespaceAndName($1["object"] ?? .null))
            }
            events.replaceSubrange(..<sortFirst, with: head)
        }
        let contentType = response.header("Content-Type").map(JSONValue.string) ?? .null
        if bestEffort {
            report(expected: ["status": expected["status"] ?? .null], actual: ["status": .number(200)])
            return
        }
        let transforms = StepTransforms(step: step)
        let normalized: [JSONValue] = events.map { event in
            let type = event["type"] ?? .null
            let object = normalizer.normalize(
                event["object"] ?? .null, transforms: transforms, bookmark: type == .string("BOOKMARK"))
            return .object(["type": type, "object": object])
        }
        report(
            expected: [
                "status": expected["status"] ?? .null, "contentType": expected["contentType"] ?? .null,
                "events": expected["events"] ?? .null,
            ],
            actual: ["status": .number(200), "contentType": contentType, "events": .array(normalized)])
        ClientDecoding.check(step: step, response: expected).forEach { fail("client decoding: \($0)") }
    }

    // MARK: Requests

    private mutating func buildRequest(_ json: JSONValue) throws -> HTTPRequest {
        let path = normalizer.substitute(json["path"]?.stringValue ?? "/")
        var query: [String] = []
        for (key, value) in (json["query"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            let values = value.arrayValue ?? [value]
            for item in values {
                let text = normalizer.substitute(item.stringValue ?? "")
                query.append(Self.percentEncoded(key) + "=" + Self.percentEncoded(text))
            }
        }
        var headers: [HTTPHeader] = []
        for (name, value) in json["headers"]?.objectValue ?? [:] {
            if let text = value.stringValue { headers.append(HTTPHeader(name, text)) }
        }
        switch json["auth"]?.stringValue {
        case "forbidden": headers.append(HTTPHeader("Authorization", "Bearer \(CorpusAuth.forbiddenToken)"))
        case "invalid": headers.append(HTTPHeader("Authorization", "Bearer \(CorpusAuth.invalidToken)"))
        case "none": break
        default: if let token = server.token { headers.append(HTTPHeader("Authorization", "Bearer \(token)")) }
        }
        var body = Data()
        if let raw = json["rawBody"]?.stringValue {
            body = Data(raw.utf8)
        } else if let bodyJSON = json["body"], bodyJSON != .null {
            body = try Self.expandingRepeats(normalizer.substitute(json: bodyJSON)).serialized()
        }  // a null body was sent as no body (patch-merge "null patch": "unexpected end of JSON input")
        let url = server.baseURL + path + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        return HTTPRequest(
            method: json["method"]?.stringValue ?? "GET", url: url, headers: headers, body: body,
            timeout: .seconds(30))
    }

    private func send(_ request: HTTPRequest) async throws -> CorpusAnswer {
        let response = try await client.send(request)
        return CorpusAnswer(status: response.status, headers: response.headers, body: response.body)
    }

    private static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// `<repeat:TEXT:N>` in request body strings stands for TEXT repeated N times.
    static func expandingRepeats(_ json: JSONValue) -> JSONValue {
        CorpusNormalizer.mappingStrings(json) { text in
            guard text.hasPrefix("<repeat:"), text.hasSuffix(">"), let colon = text.lastIndex(of: ":"),
                let count = Int(text[text.index(after: colon)..<text.index(before: text.endIndex)])
            else { return text }
            let unit = text[text.index(text.startIndex, offsetBy: 8)..<colon]
            return String(repeating: String(unit), count: count)
        }
    }

    /// README `poll.until`: `status`, `present`, `absent`, `equals` on the raw answer.
    static func holds(_ until: JSONValue, _ answer: CorpusAnswer) -> Bool {
        if let status = until["status"]?.testNumber, Int(status) != answer.status { return false }
        for path in until["present"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            if answer.body.value(atPath: path) ?? .null == .null { return false }
        }
        for path in until["absent"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            if answer.body.value(atPath: path) ?? .null != .null { return false }
        }
        for (path, value) in until["equals"]?.objectValue ?? [:] where answer.body.value(atPath: path) != value {
            return false
        }
        return true
    }

    // MARK: Reporting

    private mutating func report(expected: [String: JSONValue], actual: [String: JSONValue]) {
        let diff = JSONDiff.lines(expected: .object(expected), actual: .object(actual))
        if !diff.isEmpty { fail(diff.prefix(40).joined(separator: "\n    ")) }
    }

    private mutating func fail(_ message: String) {
        failures.append("step \"\(stepTitle)\":\n    \(message)")
    }
}

/// Reads a watch body on its own task, so the replayer can wait for N events or the end of the
/// stream with a deadline.
final class WatchCollector: Sendable {
    private struct State {
        var data = Data()
        var splitter = LineSplitter(maxLineBytes: 16 << 20)
        var events: [JSONValue] = []
        var closed = false
    }

    private let state = Mutex(State())
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(body: AsyncThrowingStream<Data, any Error>) {
        let reader = Task { [self] in
            do {
                for try await chunk in body {
                    self.state.withLock { state in
                        state.data.append(chunk)
                        let lines = (try? state.splitter.append(chunk)) ?? []
                        state.events += lines.map { (try? JSONValue.parse($0)) ?? .string(String(decoding: $0, as: UTF8.self)) }
                    }
                }
            } catch {}
            self.state.withLock { $0.closed = true }
        }
        task.withLock { $0 = reader }
    }

    func cancel() { task.withLock { $0?.cancel() } }

    /// Waits until the stream ends (or the deadline) and returns every byte.
    func wholeBody(within timeout: Duration) async -> Data {
        await wait(within: timeout) { $0.closed }
        return state.withLock { $0.data }
    }

    /// Waits for `count` events (nil: until the stream ends) or the deadline.
    func events(count: Int?, ignoreBookmarks: Bool, within timeout: Duration) async -> [JSONValue] {
        func relevant(_ state: State) -> [JSONValue] {
            ignoreBookmarks ? state.events.filter { $0["type"] != .string("BOOKMARK") } : state.events
        }
        await wait(within: timeout) { state in
            if let count { return relevant(state).count >= count || state.closed }
            return state.closed
        }
        let events = state.withLock { relevant($0) }
        return count.map { Array(events.prefix($0)) } ?? events
    }

    private func wait(within timeout: Duration, until done: (State) -> Bool) async {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, !state.withLock({ done($0) }) {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}

extension JSONValue {
    var testNumber: Double? { if case .number(let value) = self { value } else { nil } }
}
