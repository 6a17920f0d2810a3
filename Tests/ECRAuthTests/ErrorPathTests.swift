import AsyncTestSupport
import CoreMetrics
import Foundation
import HTTPServer
import NIOHTTP1
import Synchronization
import Testing

@testable import ECRAuth

/// Static keys (with a session token) that count how often the client dropped them.
final class InvalidationCounter: AWSCredentialProvider, Sendable {
    let stored = AWSCredentials(
        accessKeyID: "ASIAERRORPATHS", secretAccessKey: "errorpath-SECRET-value", sessionToken: "errorpath-TOKEN-value")
    let invalidations = Mutex(0)
    var identity: String { "static:" + stored.fingerprint }
    func credentials() async throws -> AWSCredentials { stored }
    func invalidate() async { invalidations.withLock { $0 += 1 } }
}

/// Error classes, retries, deadlines and redaction, over the wire against a scripted local responder.
@Suite struct ErrorPathTests {
    static let success =
        #"{"authorizationData":[{"authorizationToken":"QVdTOnB3","expiresAt":4102444800,"#
        + #""proxyEndpoint":"https://123456789012.dkr.ecr.us-east-1.amazonaws.com"}]}"#

    func ecr(_ responder: ScriptedResponder, retry: RetryPolicy? = nil, metrics: AWSMetrics = AWSMetrics())
        -> ECRClient
    {
        let client =
            retry.map { makeClient(retry: $0, metrics: metrics) } ?? makeClient(metrics: metrics)
        return ECRClient(client: client, endpoints: EndpointResolver(environment: environment(endpoint: responder.url)))
    }

    @Test func throttlingIsRetriedWithBackoffThenSucceeds() async throws {
        let responder = try await ScriptedResponder.start { index, _ in
            index < 2
                ? jsonResponse(.badRequest, #"{"__type":"ThrottlingException","message":"Rate exceeded"}"#)
                : jsonResponse(.ok, Self.success)
        }
        try await withTeardown({ await responder.stop() }) {
            let metrics = RecordingMetrics()
            let result = try await ecr(responder, metrics: AWSMetrics(factory: metrics))
                .getAuthorizationToken(region: "us-east-1", credentials: InvalidationCounter())
            #expect(result.first?.password == "pw")
            #expect(responder.requestCount == 3)
            #expect(metrics.count(api: "ecr:GetAuthorizationToken", outcome: "throttling") == 2)
            #expect(metrics.count(api: "ecr:GetAuthorizationToken", outcome: "success") == 1)
            #expect(metrics.timerSamples(api: "ecr:GetAuthorizationToken") == 3)
        }
    }

    @Test func serverErrorsAreRetriedUpToTheAttemptLimit() async throws {
        let responder = try await ScriptedResponder.start { _, _ in
            jsonResponse(.serviceUnavailable, "<html>Service Unavailable</html>")
        }
        try await withTeardown({ await responder.stop() }) {
            let retry = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(10), maxDelay: .milliseconds(20))
            await #expect {
                _ = try await ecr(responder, retry: retry).getAuthorizationToken(
                    region: "us-east-1", credentials: InvalidationCounter())
            } throws: { error in
                let error = error as? AWSError
                return error?.kind == .server && error?.httpStatus == 503 && error?.code == "HTTP503"
            }
            #expect(responder.requestCount == 3)
        }
    }

    @Test func malformedSuccessBodiesAreNotRetried() async throws {
        let responder = try await ScriptedResponder.start { _, _ in
            jsonResponse(.ok, #"{"authorizationData":{"unexpected":true}}"#)
        }
        try await withTeardown({ await responder.stop() }) {
            await #expect {
                _ = try await ecr(responder).getAuthorizationToken(region: "us-east-1", credentials: InvalidationCounter())
            } throws: { error in
                (error as? AWSError)?.kind == .malformed
            }
            #expect(responder.requestCount == 1)
        }
    }

    @Test func xmlAuthErrorsRefreshCredentialsAndRetryOnce() async throws {
        let responder = try await ScriptedResponder.start { _, _ in
            xmlResponse(
                .forbidden,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch"
                    + "</Code><Message>The request signature we calculated does not match the signature you provided."
                    + "</Message></Error></Errors><RequestId>7a62c49f</RequestId></ErrorResponse>")
        }
        try await withTeardown({ await responder.stop() }) {
            let keys = InvalidationCounter()
            await #expect {
                _ = try await ecr(responder).getAuthorizationToken(region: "us-east-1", credentials: keys)
            } throws: { error in
                let error = error as? AWSError
                return error?.kind == .invalidCredentials && error?.code == "SignatureDoesNotMatch"
                    && error?.requestID == "7a62c49f" && error?.httpStatus == 403
            }
            #expect(responder.requestCount == 2)
            #expect(keys.invalidations.withLock { $0 } == 1)
        }
    }

    @Test func expiredTokenRecoversAfterOneRefresh() async throws {
        let responder = try await ScriptedResponder.start { index, _ in
            index == 0
                ? jsonResponse(
                    .badRequest,
                    #"{"__type":"ExpiredTokenException","message":"The security token included in the request is expired"}"#
                )
                : jsonResponse(.ok, Self.success)
        }
        try await withTeardown({ await responder.stop() }) {
            let keys = InvalidationCounter()
            _ = try await ecr(responder).getAuthorizationToken(region: "us-east-1", credentials: keys)
            #expect(responder.requestCount == 2)
            #expect(keys.invalidations.withLock { $0 } == 1)
            // The token is signed in both attempts.
            #expect(responder.requests.allSatisfy { $0.headers["x-amz-security-token"] == keys.stored.sessionToken })
            #expect(
                responder.requests.allSatisfy {
                    $0.headers["authorization"]?.contains(
                        "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target") == true
                })
        }
    }

    @Test func accessDeniedAndInvalidParameterAreNotRetried() async throws {
        let responder = try await ScriptedResponder.start { index, _ in
            index == 0
                ? jsonResponse(
                    .badRequest,
                    #"{"__type":"AccessDeniedException","message":"not authorized to perform ecr:GetAuthorizationToken"}"#,
                    headers: [("x-amzn-RequestId", "req-42")])
                : jsonResponse(
                    .badRequest,
                    #"{"__type":"com.amazonaws.ecr#InvalidParameterException","Message":"bad registry id"}"#)
        }
        try await withTeardown({ await responder.stop() }) {
            let client = ecr(responder)
            await #expect {
                _ = try await client.getAuthorizationToken(region: "us-east-1", credentials: InvalidationCounter())
            } throws: { error in
                let error = error as? AWSError
                return error?.kind == .accessDenied && error?.requestID == "req-42"
                    && error?.description.contains("ecr:GetAuthorizationToken: AccessDeniedException") == true
            }
            await #expect {
                _ = try await client.getAuthorizationToken(
                    region: "us-east-1", registryIDs: ["1"], credentials: InvalidationCounter())
            } throws: { error in
                (error as? AWSError)?.kind == .invalidParameter && (error as? AWSError)?.message == "bad registry id"
            }
            #expect(responder.requestCount == 2)
        }
    }

    @Test func errorsNeverCarryTheSecretTheServerEchoes() async throws {
        let keys = InvalidationCounter()
        let responder = try await ScriptedResponder.start { _, request in
            let token = request.headers["x-amz-security-token"] ?? ""
            return jsonResponse(
                .badRequest,
                #"{"__type":"AccessDeniedException","message":"secret errorpath-SECRET-value token \#(token)"}"#)
        }
        try await withTeardown({ await responder.stop() }) {
            do {
                _ = try await ecr(responder).getAuthorizationToken(region: "us-east-1", credentials: keys)
                Issue.record("expected an error")
            } catch {
                let text = "\(error) \(String(reflecting: error))"
                #expect(!text.contains("errorpath-SECRET-value"))
                #expect(!text.contains("errorpath-TOKEN-value"))
                #expect(text.contains("<redacted>"))
            }
        }
    }

    @Test func webIdentityTokenNeverAppearsInErrors() async throws {
        let responder = try await ScriptedResponder.start { _, request in
            let token =
                request.body.components(separatedBy: "WebIdentityToken=").last?
                .components(separatedBy: "&").first ?? ""
            return xmlResponse(
                .badRequest,
                "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>bad jwt \(token)"
                    + "</Message></Error><RequestId>r</RequestId></ErrorResponse>")
        }
        try await withTeardown({ await responder.stop() }) {
            let sts = STSClient(
                client: makeClient(), endpoints: EndpointResolver(environment: environment(endpoint: responder.url)))
            do {
                _ = try await sts.assumeRoleWithWebIdentity(
                    region: "us-east-1", roleARN: "arn:aws:iam::1:role/r", sessionName: "web-session",
                    webIdentityToken: "eyJhbGciOiJSUzI1NiJ9.PAYLOAD.SIG")
                Issue.record("expected an error")
            } catch let error as AWSError {
                #expect(error.kind == .invalidParameter && error.code == "InvalidIdentityToken")
                #expect(!error.description.contains("PAYLOAD"))
            }
            #expect(responder.requests.first?.headers["authorization"] == nil)
            #expect(responder.requestCount == 1)
        }
    }

    @Test func callsHaveDeadlines() async throws {
        let responder = try await ScriptedResponder.start { _, _ in
            try? await Task.sleep(for: .seconds(3))
            return jsonResponse(.ok, Self.success)
        }
        try await withTeardown({ await responder.stop() }) {
            // Attempts of 250 ms within a 1.5 s deadline: the call gives up well before the 3 s answer, after
            // retrying. (Bounds leave room for a loaded machine: the ratios, not the exact counts, are the point.)
            let retry = RetryPolicy(
                maxAttempts: 10, baseDelay: .milliseconds(10), maxDelay: .milliseconds(20),
                attemptTimeout: .milliseconds(250), deadline: .milliseconds(1500))
            let started = ContinuousClock.now
            await #expect {
                _ = try await ecr(responder, retry: retry).getAuthorizationToken(
                    region: "us-east-1", credentials: InvalidationCounter())
            } throws: { error in
                (error as? AWSError)?.kind == .transport
            }
            #expect(ContinuousClock.now - started < .milliseconds(2900))
            #expect(responder.requestCount >= 2 && responder.requestCount <= 7)
        }
    }

    @Test func ecrPublicOverTheWire() async throws {
        let responder = try await ScriptedResponder.start { _, _ in
            jsonResponse(
                .ok, #"{"authorizationData":{"authorizationToken":"QVdTOnB1YmxpYzpwdw==","expiresAt":4.1024448E9}}"#)
        }
        try await withTeardown({ await responder.stop() }) {
            let client = ECRClient(
                client: makeClient(),
                endpoints: EndpointResolver(environment: AWSEnvironment(["AWS_ENDPOINT_URL_ECR_PUBLIC": responder.url])))
            let result = try await client.getPublicAuthorizationToken(credentials: InvalidationCounter())
            #expect(result.registryHost == "public.ecr.aws")
            #expect(result.password == "public:pw")
            #expect(result.expiresAt == Date(timeIntervalSince1970: 4_102_444_800))
            let request = try #require(responder.requests.first)
            #expect(request.headers["x-amz-target"] == "SpencerFrontendService.GetAuthorizationToken")
            #expect(request.headers["authorization"]?.contains("/us-east-1/ecr-public/aws4_request") == true)
            #expect(request.headers["content-type"] == "application/x-amz-json-1.1")
            #expect(request.body == "{}")
        }
    }
}

/// A metrics factory that keeps counter values and timer sample counts, so tests need no global bootstrap.
final class RecordingMetrics: MetricsFactory, Sendable {
    private let counters = Mutex<[String: Int64]>([:])
    private let timers = Mutex<[String: Int]>([:])

    static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        label + "|" + dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
    }

    func count(api: String, outcome: String) -> Int64 {
        counters.withLock { $0[Self.key(AWSMetrics.requestsLabel, [("api", api), ("outcome", outcome)])] ?? 0 }
    }

    func timerSamples(api: String) -> Int {
        timers.withLock { $0[Self.key(AWSMetrics.durationLabel, [("api", api)])] ?? 0 }
    }

    final class CounterBox: CounterHandler, Sendable {
        let key: String
        let owner: RecordingMetrics
        init(key: String, owner: RecordingMetrics) {
            self.key = key
            self.owner = owner
        }
        func increment(by amount: Int64) { owner.counters.withLock { $0[key, default: 0] += amount } }
        func reset() { owner.counters.withLock { $0[key] = 0 } }
    }

    final class TimerBox: TimerHandler, Sendable {
        let key: String
        let owner: RecordingMetrics
        init(key: String, owner: RecordingMetrics) {
            self.key = key
            self.owner = owner
        }
        func recordNanoseconds(_ duration: Int64) { owner.timers.withLock { $0[key, default: 0] += 1 } }
    }

    final class NoOp: RecorderHandler, FloatingPointCounterHandler, MeterHandler, Sendable {
        func record(_ value: Int64) {}
        func record(_ value: Double) {}
        func increment(by: Double) {}
        func reset() {}
        func set(_ value: Int64) {}
        func set(_ value: Double) {}
        func increment(by: Int64) {}
        func decrement(by: Double) {}
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        CounterBox(key: Self.key(label, dimensions), owner: self)
    }
    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        NoOp()
    }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler { NoOp() }
    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler { NoOp() }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        TimerBox(key: Self.key(label, dimensions), owner: self)
    }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}
