import FoundationEssentials
import HTTPClient
import Logging
import Metrics

/// Sends one AWS API call over an `HTTPTransport`: signs it (unless the operation is unsigned), applies the
/// retry policy and deadlines, parses errors, counts calls and latency, and keeps secrets out of errors.
public struct AWSClient: Sendable {
    public var transport: any HTTPTransport
    public var retryPolicy: RetryPolicy
    public var logger: Logger
    public var metrics: AWSMetrics
    /// Wall clock for `X-Amz-Date` and expiry decisions.
    public var now: @Sendable () -> Date

    public init(
        transport: any HTTPTransport, retryPolicy: RetryPolicy = .default,
        logger: Logger = Logger(label: "ecr-pullsecret.aws"), metrics: AWSMetrics = AWSMetrics(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.transport = transport
        self.retryPolicy = retryPolicy
        self.logger = logger
        self.metrics = metrics
        self.now = now
    }

    /// One operation: `api` names it for metrics and errors (`ecr:GetAuthorizationToken`).
    public struct Operation: Sendable {
        public var api: String
        public var endpoint: AWSEndpoint
        public var method: String
        public var path: String
        public var headers: [HTTPHeader]
        public var body: Data
        /// Values in the request that are secret (a web identity token): scrubbed from any error.
        public var secretValues: [String]

        public init(
            api: String, endpoint: AWSEndpoint, method: String = "POST", path: String = "/",
            headers: [HTTPHeader] = [], body: Data = Data(), secretValues: [String] = []
        ) {
            self.api = api
            self.endpoint = endpoint
            self.method = method
            self.path = path
            self.headers = headers
            self.body = body
            self.secretValues = secretValues
        }
    }

    /// Sends `operation`, signed with `credentials` (nil: unsigned), and returns the 2xx response.
    public func send(_ operation: Operation, credentials provider: (any AWSCredentialProvider)?) async throws
        -> HTTPResponse
    {
        let start = ContinuousClock.now
        let deadline = start + retryPolicy.deadline
        var attempt = 0
        var credentialRetryUsed = false
        var secrets = operation.secretValues
        while true {
            attempt += 1
            do {
                var request = HTTPRequest(
                    method: operation.method, url: operation.endpoint.url + operation.path,
                    headers: operation.headers, body: operation.body,
                    timeout: min(retryPolicy.attemptTimeout, max(.milliseconds(1), deadline - .now)))
                if let provider {
                    let credentials: AWSCredentials
                    do {
                        credentials = try await provider.credentials()
                    } catch let error as AWSError {
                        throw error
                    } catch {
                        throw AWSError(
                            code: "CredentialsUnavailable",
                            message: "could not obtain credentials from "
                                + CredentialFingerprint.loggable(provider.identity),
                            kind: .credentialsUnavailable, api: operation.api, cause: SendableErrorBox(error))
                    }
                    secrets += credentials.secretValues
                    let signer = SigV4Signer(
                        credentials: credentials, region: operation.endpoint.signingRegion,
                        service: operation.endpoint.signingName)
                    request = try signer.sign(request, date: now())
                }
                let response = try await exchange(request, api: operation.api)
                return response
            } catch let rawError {
                var error = Self.awsError(rawError, api: operation.api).redacting(secrets)
                if error.api == nil { error.api = operation.api }
                if error.isCredentialProblem, let provider, !credentialRetryUsed {
                    credentialRetryUsed = true
                    logger.info(
                        "AWS rejected the credentials; re-fetching them and retrying once",
                        metadata: [
                            "aws.api": "\(operation.api)", "aws.error": "\(error.code)",
                            "aws.identity": "\(CredentialFingerprint.loggable(provider.identity))",
                        ])
                    await provider.invalidate()
                    continue
                }
                guard error.isRetryable, attempt < retryPolicy.maxAttempts else { throw error }
                let delay = retryPolicy.backoff(retry: attempt)
                guard ContinuousClock.now + delay < deadline else {
                    error.message += " (gave up after \(attempt) attempts: call deadline reached)"
                    throw error
                }
                logger.debug(
                    "retrying AWS call",
                    metadata: [
                        "aws.api": "\(operation.api)", "aws.error": "\(error.code)",
                        "aws.attempt": "\(attempt)", "aws.delay": "\(delay)",
                    ])
                try await Task.sleep(for: delay)
            }
        }
    }

    /// One HTTP exchange, counted and timed; non-2xx answers become `AWSError`.
    private func exchange(_ request: HTTPRequest, api: String) async throws -> HTTPResponse {
        let started = ContinuousClock.now
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            let awsError = Self.awsError(error, api: api)
            metrics.record(api: api, outcome: awsError.kind.rawValue, duration: ContinuousClock.now - started)
            throw awsError
        }
        guard (200..<300).contains(response.status) else {
            let error = AWSErrorParser.parse(response, api: api)
            metrics.record(api: api, outcome: error.kind.rawValue, duration: ContinuousClock.now - started)
            throw error
        }
        metrics.record(api: api, outcome: "success", duration: ContinuousClock.now - started)
        return response
    }

    static func awsError(_ error: any Error, api: String) -> AWSError {
        if let error = error as? AWSError { return error }
        if let error = error as? HTTPClientError {
            return AWSError(
                code: "Transport." + error.code.rawValue, message: error.message, kind: .transport, api: api,
                cause: error)
        }
        if error is CancellationError {
            return AWSError(code: "Cancelled", message: "the call was cancelled", kind: .client, api: api)
        }
        return AWSError(
            code: "Transport", message: String(describing: error), kind: .transport, api: api,
            cause: SendableErrorBox(error))
    }
}

/// Carries a non-Sendable error's description as a Sendable cause.
public struct SendableErrorBox: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ error: any Error) { self.description = String(describing: error) }
}

/// Counters of AWS calls by API and outcome, and a latency timer. The factory is injectable so tests can
/// read the values without bootstrapping the global metrics system.
public struct AWSMetrics: Sendable {
    public static let requestsLabel = "ecr_pullsecret_aws_requests_total"
    public static let durationLabel = "ecr_pullsecret_aws_request_duration_seconds"
    private let factory: (any MetricsFactory)?

    /// `factory` nil uses the globally bootstrapped system.
    public init(factory: (any MetricsFactory)? = nil) {
        self.factory = factory
    }

    func record(api: String, outcome: String, duration: Duration) {
        let dimensions = [("api", api), ("outcome", outcome)]
        let counter: Counter
        let timer: Metrics.Timer
        if let factory {
            counter = Counter(label: Self.requestsLabel, dimensions: dimensions, factory: factory)
            timer = Metrics.Timer(label: Self.durationLabel, dimensions: [("api", api)], factory: factory)
        } else {
            counter = Counter(label: Self.requestsLabel, dimensions: dimensions)
            timer = Metrics.Timer(label: Self.durationLabel, dimensions: [("api", api)])
        }
        counter.increment()
        let (seconds, attoseconds) = duration.components
        timer.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
