import CRDModels
import Foundation
import HTTPServer
import Logging
import Synchronization

/// A validating admission webhook for tests, served over TLS on a loopback port: it answers every
/// AdmissionReview with the answer it was last given (allow, or deny with a `Status`, plus warnings)
/// and records every review it receives. Register it with the API test server through a
/// ValidatingWebhookConfiguration whose `clientConfig` is `url` and `caBundle`.
public final class ScriptedAdmissionWebhook: Sendable {
    public struct Answer: Sendable {
        public var allowed: Bool
        /// The response's `status` (`code`, `reason`, `message`), if any.
        public var status: JSONValue?
        public var warnings: [String]

        public init(allowed: Bool, status: JSONValue? = nil, warnings: [String] = []) {
            self.allowed = allowed
            self.status = status
            self.warnings = warnings
        }

        public static let allow = Answer(allowed: true)
    }

    private struct State {
        var answer = Answer.allow
        var received: [JSONValue] = []
    }

    private final class Shared: Sendable {
        let state = Mutex(State())
    }

    private let shared: Shared
    private let server: HTTPServer
    private let certificates: TestCertificates
    private let running: Task<Void, Never>
    /// `https://127.0.0.1:PORT/PATH`.
    public let url: String
    /// The CA that signed the serving certificate, base64 (a webhook's `clientConfig.caBundle`).
    public let caBundle: String

    public static func start(path: String = "/") async throws -> ScriptedAdmissionWebhook {
        let certificates = try TestCertificates.makeCA(commonName: "scripted-webhook-ca")
        do {
            let serving = try certificates.server(commonName: "scripted-webhook")
            let store = try CertificateStore(
                source: .memory(certificatePEM: serving.certificatePEM, privateKeyPEM: serving.keyPEM))
            let shared = Shared()
            let server = HTTPServer(
                configuration: HTTPServerConfiguration(tls: store, name: "scripted-webhook"),
                logger: Logger(label: "scripted-webhook")
            ) { request in
                Self.respond(to: request, shared: shared)
            }
            let running = Task { _ = try? await server.run() }
            let port = try await server.localPort()
            return ScriptedAdmissionWebhook(
                shared: shared, server: server, certificates: certificates, running: running,
                url: "https://127.0.0.1:\(port)\(path)",
                caBundle: certificates.ca.certificatePEM.base64EncodedString())
        } catch {
            certificates.remove()
            throw error
        }
    }

    private init(
        shared: Shared, server: HTTPServer, certificates: TestCertificates, running: Task<Void, Never>, url: String,
        caBundle: String
    ) {
        self.shared = shared
        self.server = server
        self.certificates = certificates
        self.running = running
        self.url = url
        self.caBundle = caBundle
    }

    /// The answer to every review from now on.
    public func answer(_ answer: Answer) {
        shared.state.withLock { $0.answer = answer }
    }

    /// Every AdmissionReview received so far, in arrival order.
    public var received: [JSONValue] {
        shared.state.withLock { $0.received }
    }

    public func shutdown() async {
        server.shutdownGracefully()
        await running.value
        certificates.remove()
    }

    private static func respond(to request: HTTPServerRequest, shared: Shared) -> HTTPServerResponse {
        guard request.method == "POST", let review = try? JSONValue.parse(request.body) else {
            return .text(.badRequest, "expected an AdmissionReview")
        }
        let answer = shared.state.withLock { state in
            state.received.append(review)
            return state.answer
        }
        var response: [String: JSONValue] = [
            "uid": review["request"]?["uid"] ?? .string(""), "allowed": .bool(answer.allowed),
        ]
        if let status = answer.status { response["status"] = status }
        if !answer.warnings.isEmpty { response["warnings"] = .array(answer.warnings.map(JSONValue.string)) }
        let body: JSONValue = .object([
            "apiVersion": .string("admission.k8s.io/v1"), "kind": .string("AdmissionReview"),
            "response": .object(response),
        ])
        return .json(.ok, (try? body.serialized()) ?? Data())
    }
}
