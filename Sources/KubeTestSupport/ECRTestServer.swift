import Foundation
import HTTPServer
import Logging
import NIOHTTP1
import Synchronization

/// A loopback stand-in for ECR's `GetAuthorizationToken` (PROTOCOLS.md 1.1) whose answers a fault test
/// controls: numbered, short-lived tokens (`token-1`, `token-2`, …, each valid for `tokenLifetime`), and
/// AWS's JSON 1.1 error bodies (1.5) on demand, for every request or for one access key.
///
/// moto cannot show what these tests need: its tokens never change and all "expire" in 2015, so neither a
/// refresh nor an expired write can be seen, and it cannot throttle.
public final class ECRTestServer: Sendable {
    /// An error AWS would send: `__type` code, message and HTTP status (real ECR: 400 for throttling and
    /// credential errors).
    public struct AWSFailure: Error, Sendable {
        public var code: String
        public var message: String
        public var status: Int

        public init(code: String, message: String, status: Int = 400) {
            self.code = code
            self.message = message
            self.status = status
        }

        public static let throttling = AWSFailure(code: "ThrottlingException", message: "Rate exceeded")
        public static let expiredToken = AWSFailure(
            code: "ExpiredTokenException", message: "The security token included in the request is expired")
        public static let unrecognizedClient = AWSFailure(
            code: "UnrecognizedClientException", message: "The security token included in the request is invalid.")
    }

    private struct State {
        var lifetime: Duration
        var issued = 0
        var requests = 0
        var accessKeyIDs: [String] = []
        var failures: [(failure: AWSFailure, remaining: Int)] = []
        var rejectedKeys: [String: AWSFailure] = [:]
        var failuresServed = 0
    }

    private final class Shared: Sendable {
        let state: Mutex<State>
        init(lifetime: Duration) { state = Mutex(State(lifetime: lifetime)) }
    }

    private let shared: Shared
    private let server: HTTPServer
    private let running: Task<Void, Never>
    /// `http://127.0.0.1:<port>`: use it as `AWS_ENDPOINT_URL`.
    public let endpoint: String

    public static func start(tokenLifetime: Duration = .seconds(12 * 3600)) async throws -> ECRTestServer {
        let shared = Shared(lifetime: tokenLifetime)
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(name: "ecr-test-server"), logger: Logger(label: "ecr-test-server")
        ) { request in
            respond(to: request, shared: shared)
        }
        let running = Task { _ = try? await server.run() }
        let port = try await server.localPort()
        return ECRTestServer(shared: shared, server: server, running: running, endpoint: "http://127.0.0.1:\(port)")
    }

    private init(shared: Shared, server: HTTPServer, running: Task<Void, Never>, endpoint: String) {
        self.shared = shared
        self.server = server
        self.running = running
        self.endpoint = endpoint
    }

    public func shutdown() async {
        server.shutdownGracefully()
        await running.value
    }

    /// How long tokens issued from now on are valid.
    public func setTokenLifetime(_ lifetime: Duration) { shared.state.withLock { $0.lifetime = lifetime } }

    /// Answers the next `count` requests with `failure`.
    public func fail(with failure: AWSFailure, count: Int = Int.max) {
        shared.state.withLock { $0.failures.append((failure, count)) }
    }

    /// Answers every request signed with `accessKeyID` with `failure` (an expired or revoked key).
    public func reject(accessKeyID: String, with failure: AWSFailure) {
        shared.state.withLock { $0.rejectedKeys[accessKeyID] = failure }
    }

    /// Removes pending failures and rejected keys.
    public func clearFailures() {
        shared.state.withLock {
            $0.failures = []
            $0.rejectedKeys = [:]
        }
    }

    /// Tokens issued so far (the last one is `token-<issuedCount>`).
    public var issuedCount: Int { shared.state.withLock { $0.issued } }
    /// Requests received so far.
    public var requestCount: Int { shared.state.withLock { $0.requests } }
    /// The access key id each request was signed with, in order.
    public var accessKeyIDs: [String] { shared.state.withLock { $0.accessKeyIDs } }
    /// Requests answered with an injected failure so far.
    public var failuresServed: Int { shared.state.withLock { $0.failuresServed } }

    /// The password of the token numbered `number`.
    public static func password(_ number: Int) -> String { "token-\(number)" }

    /// The number of a token from its password, or nil for another password.
    public static func number(ofPassword password: String) -> Int? {
        password.hasPrefix("token-") ? Int(password.dropFirst("token-".count)) : nil
    }

    private static func respond(to request: HTTPServerRequest, shared: Shared) -> HTTPServerResponse {
        let target = request.headers["X-Amz-Target"].first ?? ""
        guard request.method == "POST", target.hasSuffix(".GetAuthorizationToken") else {
            return error(AWSFailure(code: "UnknownOperationException", message: "unknown operation \(target)"))
        }
        // The credential scope names the key and the region: `Credential=AKID/20260101/us-west-2/ecr/aws4_request`.
        let authorization = request.headers["Authorization"].first ?? ""
        let scope = authorization.range(of: "Credential=").map {
            authorization[$0.upperBound...].prefix { $0 != "," && $0 != " " }.split(separator: "/").map(String.init)
        } ?? []
        let accessKeyID = scope.first ?? ""
        let region = scope.count >= 3 ? scope[2] : "us-east-1"
        let body = (try? JSONSerialization.jsonObject(with: request.body)) as? [String: Any]
        let registryIDs = (body?["registryIds"] as? [String]) ?? ["123456789012"]

        let outcome = shared.state.withLock { state -> Result<(Int, Duration), AWSFailure> in
            state.requests += 1
            state.accessKeyIDs.append(accessKeyID)
            if let failure = state.rejectedKeys[accessKeyID] {
                state.failuresServed += 1
                return .failure(failure)
            }
            if let index = state.failures.indices.first {
                let failure = state.failures[index].failure
                state.failures[index].remaining -= 1
                if state.failures[index].remaining <= 0 { state.failures.remove(at: index) }
                state.failuresServed += 1
                return .failure(failure)
            }
            state.issued += 1
            return .success((state.issued, state.lifetime))
        }
        switch outcome {
        case .failure(let failure):
            return error(failure)
        case .success(let (number, lifetime)):
            let expiresAt = Date().addingTimeInterval(Double(lifetime.components.seconds))
                .addingTimeInterval(Double(lifetime.components.attoseconds) / 1e18)
            let token = Data("AWS:\(password(number))".utf8).base64EncodedString()
            let data: [[String: Any]] = registryIDs.map {
                [
                    "authorizationToken": token, "expiresAt": expiresAt.timeIntervalSince1970,
                    "proxyEndpoint": "https://\($0).dkr.ecr.\(region).amazonaws.com",
                ]
            }
            let json = (try? JSONSerialization.data(withJSONObject: ["authorizationData": data])) ?? Data()
            return HTTPServerResponse(status: .ok, headers: headers(), body: json)
        }
    }

    private static func error(_ failure: AWSFailure) -> HTTPServerResponse {
        let json = (try? JSONSerialization.data(withJSONObject: ["__type": failure.code, "message": failure.message]))
            ?? Data()
        return HTTPServerResponse(
            status: HTTPResponseStatus(statusCode: failure.status), headers: headers(), body: json)
    }

    private static func headers() -> HTTPHeaders {
        HTTPHeaders([
            ("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", UUID().uuidString.lowercased()),
        ])
    }
}
