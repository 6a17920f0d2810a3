import Foundation
import HTTPServer
import Synchronization
import Testing

@testable import ECRAuth

/// A source that hands out numbered temporary credentials and counts fetches.
final class CountingSource: AWSCredentialProvider, Sendable {
    let clock: TestClock
    let lifetime: TimeInterval
    let fetches = Mutex(0)
    let failing = Mutex(false)

    init(clock: TestClock, lifetime: TimeInterval = 3600) {
        self.clock = clock
        self.lifetime = lifetime
    }

    var identity: String { "counting" }

    func credentials() async throws -> AWSCredentials {
        if failing.withLock({ $0 }) {
            throw AWSError(code: "Unavailable", message: "source down", kind: .transport)
        }
        let number = fetches.withLock {
            $0 += 1
            return $0
        }
        return AWSCredentials(
            accessKeyID: "ASIA\(number)", secretAccessKey: "s\(number)", sessionToken: "t\(number)",
            expiration: clock.now.addingTimeInterval(lifetime))
    }
}

@Suite struct CredentialProviderTests {
    @Test func refreshesInsideTheAdvisoryWindowAndKeepsOldKeysIfThatFails() async throws {
        let clock = TestClock()
        let source = CountingSource(clock: clock)
        let cached = RefreshingCredentialProvider(wrapping: source, now: clock.function)
        #expect(try await cached.credentials().accessKeyID == "ASIA1")
        clock.advance(40 * 60)  // 20 min left: still fine
        #expect(try await cached.credentials().accessKeyID == "ASIA1")
        clock.advance(8 * 60)  // 12 min left: advisory window, refresh works
        #expect(try await cached.credentials().accessKeyID == "ASIA2")
        clock.advance(48 * 60)  // ASIA2 has 12 min left; the source fails: keep ASIA2
        source.failing.withLock { $0 = true }
        #expect(try await cached.credentials().accessKeyID == "ASIA2")
        clock.advance(3 * 60)  // 9 min left: mandatory window, failure surfaces
        await #expect(throws: AWSError.self) { _ = try await cached.credentials() }
        source.failing.withLock { $0 = false }
        #expect(try await cached.credentials().accessKeyID == "ASIA3")
        await cached.invalidate()
        #expect(try await cached.credentials().accessKeyID == "ASIA4")
    }

    @Test func shortSessionsAreNotRefreshedOnEveryCall() async throws {
        let clock = TestClock()
        let source = CountingSource(clock: clock, lifetime: 900)
        let cached = RefreshingCredentialProvider(wrapping: source, now: clock.function)
        for _ in 0..<5 { _ = try await cached.credentials() }
        #expect(source.fetches.withLock { $0 } == 1)
        clock.advance(500)  // 400 s left, under half the lifetime
        _ = try await cached.credentials()
        #expect(source.fetches.withLock { $0 } == 2)
    }

    @Test func concurrentCallersShareOneRefresh() async throws {
        let clock = TestClock()
        let source = CountingSource(clock: clock)
        let cached = RefreshingCredentialProvider(wrapping: source, now: clock.function)
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<50 { group.addTask { try await cached.credentials().accessKeyID } }
            for try await key in group { #expect(key == "ASIA1") }
        }
        #expect(source.fetches.withLock { $0 } == 1)
    }

    @Test func environmentProvider() async throws {
        let env = EnvironmentCredentialProvider(
            environment: AWSEnvironment([
                "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SECURITY_TOKEN": "legacy",
                "AWS_CREDENTIAL_EXPIRATION": "2030-01-02T03:04:05Z", "AWS_ACCOUNT_ID": "123456789012",
            ]))
        let credentials = try await env.credentials()
        #expect(credentials.sessionToken == "legacy")
        #expect(credentials.expiration == ISO8601.parse("2030-01-02T03:04:05Z"))
        #expect(credentials.accountID == "123456789012")
        #expect(!env.identity.contains("env-secret"))
        let missing = EnvironmentCredentialProvider(environment: AWSEnvironment(["AWS_ACCESS_KEY_ID": "AKIA"]))
        await #expect { _ = try await missing.credentials() } throws: { error in
            (error as? AWSError)?.message.contains("AWS_SECRET_ACCESS_KEY") == true
        }
    }

    @Test func staticProviderFromSecretDataNamesTheMissingKey() throws {
        let provider = try StaticCredentialProvider(
            secretData: ["AWS_ACCESS_KEY_ID": Data("AKIAX".utf8), "AWS_SECRET_ACCESS_KEY": Data("sekrit\n".utf8)])
        #expect(provider.stored.secretAccessKey == "sekrit")
        #expect(provider.stored.sessionToken == nil)
        #expect(provider.identity.hasPrefix("static:AKIAX:"))
        #expect {
            _ = try StaticCredentialProvider(secretData: ["id": Data("AKIAX".utf8)], accessKeyIDKey: "id")
        } throws: { error in
            let error = error as? AWSError
            return error?.code == "CredentialsKeyMissing" && error?.message.contains("AWS_SECRET_ACCESS_KEY") == true
        }
    }

    @Test func sharedFilesParseProfilesAndSkipNestedBlocks() {
        let config = SharedConfigFiles.parseINI(
            """
            # comment
            [default]
            region = us-west-2
            [profile a]
            role_arn = arn:aws:iam::1:role/r
            s3 =
              addressing_style = path
            source_profile = b
            [sso-session x]
            sso_region = us-east-1
            """, configStyle: true)
        #expect(config["default"]?["region"] == "us-west-2")
        #expect(config["a"] == ["role_arn": "arn:aws:iam::1:role/r", "source_profile": "b"])
        #expect(config["sso-session x"] == nil && config["x"] == nil)
        let files = SharedConfigFiles(
            credentials: ["a": ["aws_access_key_id": "AKIA"]], config: config)
        #expect(files.profile("a")?["aws_access_key_id"] == "AKIA")
        #expect(files.profile("a")?["source_profile"] == "b")
        #expect(files.profile("missing") == nil)
    }

    @Test func containerURIAllowList() throws {
        let client = makeClient()
        for uri in [
            "http://127.0.0.1:8080/creds", "http://localhost/x", "http://169.254.170.2/v2/credentials/abc",
            "http://169.254.170.23/v1/credentials", "http://[fd00:ec2::23]/v1/credentials", "https://example.com/c",
        ] {
            #expect(throws: Never.self) { _ = try ContainerCredentialProvider(client: client, uri: uri) }
        }
        for uri in ["http://10.0.0.1/creds", "http://example.com/creds", "ftp://127.0.0.1/x"] {
            #expect(throws: AWSError.self) { _ = try ContainerCredentialProvider(client: client, uri: uri) }
        }
        let relative = try #require(
            try ContainerCredentialProvider(
                environment: AWSEnvironment(["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/id"]),
                client: client))
        #expect(relative.uri == "http://169.254.170.2/v2/credentials/id")
    }

    @Test func containerProviderOverTheWireRereadsItsTokenFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let responder = try await ScriptedResponder.start { index, request in
            guard request.headers["authorization"]?.hasPrefix("pod-identity-token-") == true else {
                return jsonResponse(.unauthorized, #"{"Code":"AccessDenied","Message":"no token"}"#)
            }
            return jsonResponse(
                .ok,
                #"{"AccessKeyId":"ASIACONTAINER\#(index)","SecretAccessKey":"c-secret","Token":"c-token","#
                    + #""Expiration":"2099-01-01T00:00:00Z","AccountId":"123456789012"}"#)
        }
        let tokenFile = try directory.write("token", "pod-identity-token-1")
        let provider = try #require(
            try ContainerCredentialProvider(
                environment: AWSEnvironment([
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI": responder.url + "/v1/credentials",
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile,
                ]), client: makeClient()))
        let first = try await provider.credentials()
        #expect(first.accessKeyID == "ASIACONTAINER0")
        #expect(first.accountID == "123456789012")
        #expect(first.expiration == ISO8601.parse("2099-01-01T00:00:00Z"))
        try directory.write("token", "pod-identity-token-2")
        _ = try await provider.credentials()
        #expect(
            responder.requests.map { $0.headers["authorization"] } == ["pod-identity-token-1", "pod-identity-token-2"])
        #expect(responder.requests.allSatisfy { $0.path == "/v1/credentials" && $0.method == "GET" })
        #expect(responder.requests.first?.headers["accept"] == "application/json")

        try directory.write("token", "bad\r\ninjected: header")
        await #expect { _ = try await provider.credentials() } throws: { error in
            (error as? AWSError)?.code == "InvalidContainerToken"
        }
        await responder.stop()
    }
}
