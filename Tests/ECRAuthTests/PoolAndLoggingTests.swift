import AsyncTestSupport
import Foundation
import KubeTestSupport
import Logging
import NIOHTTP1
import Synchronization
import Testing

@testable import ECRAuth

/// Captures every log line (message and metadata) so tests can search them for secrets.
final class CapturedLogs: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    func append(_ line: String) { lines.withLock { $0.append(line) } }

    var logger: Logger {
        Logger(label: "test.capture") { _ in Handler(sink: self) }
    }

    struct Handler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            sink.append("\(event.level) \(event.message) \(merged)")
        }
    }
}

@Suite struct PoolAndLoggingTests {
    @Test func poolReusesAssumedRoleSessionsAcrossReconciles() async throws {
        try await withMoto { moto in
            let env = environment(endpoint: moto.endpoint)
            let client = makeClient()
            let sts = STSClient(client: client, endpoints: EndpointResolver(environment: env))
            let ambient = uniqueKeys(prefix: "AKIAAMBIENT")
            let pool = CredentialProviderPool(sts: sts, ambient: ambient)
            let cache = ECRTokenCache(
                ecr: ECRClient(client: client, endpoints: EndpointResolver(environment: env)))
            let keys = AWSCredentials(accessKeyID: "AKIATENANT0000000001", secretAccessKey: "tenant-secret")

            for region in ["us-east-1", "us-west-2"] {
                for _ in 0..<3 {  // three reconciles of the same resource
                    let provider = await pool.provider(
                        keys: keys, roleARN: "arn:aws:iam::210987654321:role/pull", externalID: "x", region: "us-east-1"
                    )
                    _ = try await cache.token(credentials: provider, region: region)
                }
            }
            #expect(moto.requestCount(action: "AssumeRole") == 1)
            #expect(moto.requestCount(target: "GetAuthorizationToken") == 2)
            #expect(await pool.count == 1)

            // No keys and no role: the ambient identity itself.
            let ambientProvider = await pool.provider(keys: nil, region: "us-east-1")
            #expect(ambientProvider.identity == ambient.identity)
            await pool.forget(sourceIdentity: StaticCredentialProvider(keys).identity)
            #expect(await pool.count == 0)
        }
    }

    @Test func logLinesNeverContainSecrets() async throws {
        let logs = CapturedLogs()
        let responder = try await ScriptedResponder.start { index, _ in
            index % 2 == 0
                ? jsonResponse(.badRequest, #"{"__type":"UnrecognizedClientException","message":"bad key"}"#)
                : jsonResponse(.internalServerError, #"{"__type":"InternalFailure","message":"oops"}"#)
        }
        try await withTeardown({ await responder.stop() }) {
            let client = AWSClient(
                transport: sharedTransport,
                retryPolicy: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(5), maxDelay: .milliseconds(10)),
                logger: logs.logger)
            let keys = StaticCredentialProvider(
                accessKeyID: "ASIALOGTEST", secretAccessKey: "log-SECRET-value", sessionToken: "log-TOKEN-value")
            let cache = ECRTokenCache(
                ecr: ECRClient(
                    client: client, endpoints: EndpointResolver(environment: environment(endpoint: responder.url))),
                logger: logs.logger)
            await #expect(throws: AWSError.self) { _ = try await cache.token(credentials: keys, region: "us-east-1") }
            #expect(!logs.all.isEmpty)
            for line in logs.all {
                #expect(!line.contains("log-SECRET-value"))
                #expect(!line.contains("log-TOKEN-value"))
            }
        }
    }
}
