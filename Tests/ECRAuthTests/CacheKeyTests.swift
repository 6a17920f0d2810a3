import Foundation
import KubeTestSupport
import Testing

@testable import ECRAuth

/// Cache keys (`AWSCredentialProvider.identity`) carry the full keyed digest of secret keys and external
/// ids, so identities cannot share an entry by a truncated-hash collision, and logs never show a digest.
@Suite struct CacheKeyTests {
    /// The digest after `marker` in `identity` (up to the next `|`).
    static func digest(in identity: String, after marker: String) -> String {
        guard let range = identity.range(of: marker) else { return "" }
        return String(identity[range.upperBound...].prefix { $0 != "|" })
    }

    /// Two inputs whose digests share their first `hexDigits` digits: a birthday search, about
    /// 1.2 × 16^(hexDigits/2) tries. A key derivation that truncated to that length would merge them.
    static func prefixCollision(hexDigits: Int, _ digest: (String) -> String) -> (String, String)? {
        var seen: [Substring: String] = [:]
        for index in 0..<4_000_000 {
            let candidate = "candidate-\(index)"
            let prefix = Substring(digest(candidate)).prefix(hexDigits)
            if let other = seen[prefix] { return (other, candidate) }
            seen[prefix] = candidate
        }
        return nil
    }

    @Test func fingerprintsAreTheFullKeyedDigestNotAPlainHash() {
        let credentials = AWSCredentials(accessKeyID: "ASIAEXAMPLE", secretAccessKey: "s3cr3t", sessionToken: "tok")
        let digest = Self.digest(in: credentials.fingerprint, after: "ASIAEXAMPLE:#")
        #expect(digest.count == 64 && digest.allSatisfy(\.isHexDigit))
        // Not the plain SHA-256 the key used to carry (an offline guessing oracle for the secret).
        let plain = Crypto.hex(Crypto.sha256("s3cr3t" + "\u{0}" + "tok"))
        #expect(!credentials.fingerprint.contains(plain.prefix(16)))
        // Parts are length-prefixed: moving a character between secret and token changes the digest.
        let shifted = AWSCredentials(accessKeyID: "ASIAEXAMPLE", secretAccessKey: "s3cr3", sessionToken: "ttok")
        #expect(shifted.fingerprint != credentials.fingerprint)
    }

    @Test func secretKeysWhoseDigestsShareA24BitPrefixGetTwoCacheEntries() async throws {
        let accessKeyID = uniqueKeys().stored.accessKeyID
        func identity(_ secret: String) -> String {
            StaticCredentialProvider(accessKeyID: accessKeyID, secretAccessKey: secret).identity
        }
        let pair = try #require(Self.prefixCollision(hexDigits: 6) { Self.digest(in: identity($0), after: "#") })
        let first = StaticCredentialProvider(accessKeyID: accessKeyID, secretAccessKey: pair.0)
        let second = StaticCredentialProvider(accessKeyID: accessKeyID, secretAccessKey: pair.1)
        // The case is real: the digests agree in their first 24 bits, and a key truncated there would collide.
        #expect(
            Self.digest(in: first.identity, after: "#").prefix(6)
                == Self.digest(in: second.identity, after: "#").prefix(6))
        #expect(first.identity != second.identity)

        try await withMoto { moto in
            let ecr = ECRClient(
                client: makeClient(), endpoints: EndpointResolver(environment: environment(endpoint: moto.endpoint)))
            let cache = ECRTokenCache(ecr: ecr)
            _ = try await cache.token(credentials: first, region: "us-west-2")
            _ = try await cache.token(credentials: second, region: "us-west-2")
            _ = try await cache.token(credentials: first, region: "us-west-2")
            #expect(await cache.snapshot.count == 2)
            #expect(moto.requestCount { $0.accessKeyID == accessKeyID } == 2)
        }
    }

    @Test func externalIDsWhoseDigestsShareA24BitPrefixAssumeTheRoleTwice() async throws {
        try await withMoto { moto in
            let env = environment(endpoint: moto.endpoint)
            let sts = STSClient(client: makeClient(), endpoints: EndpointResolver(environment: env))
            let source = uniqueKeys()
            let pool = CredentialProviderPool(sts: sts, ambient: source)
            let role = "arn:aws:iam::210987654321:role/pull"
            func identity(_ externalID: String) -> String {
                AssumeRoleCredentialProvider(
                    sts: sts, source: source, region: "us-east-1", roleARN: role, externalID: externalID
                ).identity
            }
            let pair = try #require(
                Self.prefixCollision(hexDigits: 6) { Self.digest(in: identity($0), after: "|ext:#") })
            #expect(
                Self.digest(in: identity(pair.0), after: "|ext:#").prefix(6)
                    == Self.digest(in: identity(pair.1), after: "|ext:#").prefix(6))
            #expect(identity(pair.0) != identity(pair.1))

            for externalID in [pair.0, pair.1, pair.0] {
                let provider = await pool.provider(
                    keys: source.stored, roleARN: role, externalID: externalID, region: "us-east-1")
                _ = try await provider.credentials()
            }
            #expect(await pool.count == 2)
            let assumed = moto.recordedRequests().filter {
                $0.action == "AssumeRole" && $0.accessKeyID == source.stored.accessKeyID
            }
            #expect(assumed.count == 2)
            #expect(assumed.contains { $0.body.contains("ExternalId=\(pair.0)&") || $0.body.hasSuffix(pair.0) })
            #expect(assumed.contains { $0.body.contains("ExternalId=\(pair.1)&") || $0.body.hasSuffix(pair.1) })
        }
    }

    /// A provider with a given identity (here: an assumed role's, with both digests) and fixed keys.
    struct FixedProvider: AWSCredentialProvider {
        var identity: String
        var keys: AWSCredentials
        func credentials() async throws -> AWSCredentials { keys }
    }

    @Test func logsShowIdentitiesWithoutDigests() async throws {
        let logs = CapturedLogs()
        // First the key is rejected (logged with the identity), then a token that is already expired
        // (logged with the cache key).
        let responder = try await ScriptedResponder.start { index, _ in
            index == 0
                ? jsonResponse(.badRequest, #"{"__type":"UnrecognizedClientException","message":"bad key"}"#)
                : jsonResponse(
                    .ok,
                    #"{"authorizationData":[{"authorizationToken":"QVdTOnBhc3N3b3Jk","expiresAt":1420070400,"#
                        + #""proxyEndpoint":"https://123456789012.dkr.ecr.us-east-1.amazonaws.com"}]}"#)
        }
        let client = AWSClient(
            transport: sharedTransport,
            retryPolicy: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(5), maxDelay: .milliseconds(10)),
            logger: logs.logger)
        let keys = AWSCredentials(accessKeyID: "ASIALOGKEY", secretAccessKey: "key-SECRET", sessionToken: "key-TOKEN")
        let role = AssumeRoleCredentialProvider(
            sts: STSClient(client: client, endpoints: EndpointResolver()), source: StaticCredentialProvider(keys),
            region: "us-east-1", roleARN: "arn:aws:iam::210987654321:role/pull", externalID: "ext-SHARED")
        let provider = FixedProvider(identity: role.identity, keys: keys)
        let cache = ECRTokenCache(
            ecr: ECRClient(
                client: client, endpoints: EndpointResolver(environment: environment(endpoint: responder.url))),
            logger: logs.logger)
        let token = try await cache.token(credentials: provider, region: "us-east-1")
        await responder.stop()

        #expect(token.expiryClamped)
        let digests = [
            Self.digest(in: role.identity, after: "|ext:#"), Self.digest(in: role.identity, after: "ASIALOGKEY:#"),
        ]
        #expect(digests.allSatisfy { $0.count == 64 })
        let identityLines = logs.all.filter { $0.contains("ASIALOGKEY") }
        #expect(identityLines.count == 2, "\(logs.all)")  // the retry and the clamped token
        #expect(identityLines.allSatisfy { $0.contains("role/pull|ext:#…|via:static:ASIALOGKEY:#…") })
        for line in logs.all {
            for secret in ["key-SECRET", "key-TOKEN", "ext-SHARED"] + digests.map({ String($0.prefix(12)) }) {
                #expect(!line.contains(secret), "\(line)")
            }
        }
    }

    @Test func loggableLeavesOtherText() {
        let digest = String(repeating: "0a", count: 32)
        #expect(
            CredentialFingerprint.loggable("a#\(digest)|b#c#\(digest.prefix(10))") == "a#…|b#c#\(digest.prefix(10))")
        #expect(CredentialFingerprint.loggable("imds:http://169.254.169.254") == "imds:http://169.254.169.254")
    }
}
