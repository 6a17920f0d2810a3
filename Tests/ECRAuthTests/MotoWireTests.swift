import ECRAuth
import Foundation
import HTTPClient
import KubeTestSupport
import Testing

/// ECR, STS and IMDS over the wire against moto_server (started and stopped by each test).
@Suite struct MotoWireTests {
    static let target = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"

    @Test func ecrTokenForTheDefaultRegistry() async throws {
        try await withMoto { moto in
            let keys = uniqueKeys()
            let ecr = ECRClient(
                client: makeClient(), endpoints: EndpointResolver(environment: environment(endpoint: moto.endpoint)))
            let result = try await ecr.getAuthorizationToken(region: "us-west-2", credentials: keys)
            #expect(result.count == 1)
            #expect(result[0].registryHost == "123456789012.dkr.ecr.us-west-2.amazonaws.com")
            #expect(result[0].username == "AWS")
            #expect(result[0].password == "123456789012-auth-token")
            #expect(result[0].expiresAt == Date(timeIntervalSince1970: 1_420_070_400))
            let recorded = moto.recordedRequests().filter { $0.accessKeyID == keys.stored.accessKeyID }
            #expect(recorded.count == 1)
            #expect(recorded.first?.target == Self.target)
            #expect(recorded.first?.signingService == "ecr")
            #expect(recorded.first?.body == "{}")
        }
    }

    @Test func ecrTokensForSeveralRegionsAndRegistryIDs() async throws {
        try await withMoto { moto in
            let keys = uniqueKeys()
            let ecr = ECRClient(
                client: makeClient(), endpoints: EndpointResolver(environment: environment(endpoint: moto.endpoint)))
            for region in ["us-east-1", "eu-west-1", "ap-southeast-2"] {
                let result = try await ecr.getAuthorizationToken(
                    region: region, registryIDs: ["111122223333", "444455556666"], credentials: keys)
                #expect(
                    result.map(\.registryHost) == [
                        "111122223333.dkr.ecr.\(region).amazonaws.com", "444455556666.dkr.ecr.\(region).amazonaws.com",
                    ])
                #expect(result.map(\.password) == ["111122223333-auth-token", "444455556666-auth-token"])
            }
            let recorded = moto.recordedRequests().filter { $0.accessKeyID == keys.stored.accessKeyID }
            #expect(recorded.count == 3)
            #expect(recorded.allSatisfy { $0.body == #"{"registryIds":["111122223333","444455556666"]}"# })
        }
    }

    @Test func assumeRoleThenECRWithTheSessionToken() async throws {
        try await withMoto { moto in
            let env = environment(endpoint: moto.endpoint)
            let client = makeClient()
            let sts = STSClient(client: client, endpoints: EndpointResolver(environment: env))
            let source = uniqueKeys()
            let role = AssumeRoleCredentialProvider(
                sts: sts, source: source, region: "us-west-2", roleARN: "arn:aws:iam::210987654321:role/ecr-pull",
                externalID: "ext-123", sessionName: "ecr-operator", duration: .seconds(900)
            ).cached()
            let credentials = try await role.credentials()
            #expect(credentials.accessKeyID.hasPrefix("ASIA"))
            #expect(credentials.sessionToken?.isEmpty == false)
            #expect(credentials.accountID == "210987654321")
            let expiration = try #require(credentials.expiration)
            #expect(abs(expiration.timeIntervalSinceNow - 900) < 120)

            let ecr = ECRClient(client: client, endpoints: EndpointResolver(environment: env))
            let token = try await ecr.getAuthorizationToken(region: "us-west-2", credentials: role)
            #expect(token.first?.password.hasSuffix("-auth-token") == true)
            _ = try await role.credentials()  // cached: no second AssumeRole

            let assume = moto.recordedRequests().filter { $0.action == "AssumeRole" }
            #expect(assume.count == 1)
            #expect(assume.first?.accessKeyID == source.stored.accessKeyID)
            #expect(assume.first?.signingService == "sts")
            #expect(assume.first?.body.contains("ExternalId=ext-123") == true)
            #expect(assume.first?.body.contains("DurationSeconds=900") == true)
            let ecrCalls = moto.recordedRequests().filter { $0.target == Self.target }
            #expect(ecrCalls.map(\.accessKeyID) == [credentials.accessKeyID])
        }
    }

    @Test func webIdentityIsUnsignedAndRereadsTheTokenFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await withMoto { moto in
            let tokenFile = try directory.write("token", "eyJ-first-token\n")
            let env = environment(
                endpoint: moto.endpoint,
                [
                    "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/irsa", "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile,
                    "AWS_ROLE_SESSION_NAME": "operator-pod",
                ])
            let sts = STSClient(client: makeClient(), endpoints: EndpointResolver(environment: env))
            let provider = try #require(WebIdentityCredentialProvider(environment: env, sts: sts, region: "eu-west-1"))
            let first = try await provider.credentials()
            #expect(first.sessionToken != nil && first.expiration != nil)
            try directory.write("token", "eyJ-rotated-token")
            _ = try await provider.credentials()

            let calls = moto.recordedRequests().filter { $0.action == "AssumeRoleWithWebIdentity" }
            #expect(calls.count == 2)
            #expect(calls.allSatisfy { $0.accessKeyID == nil })  // unsigned
            #expect(calls[0].body.contains("WebIdentityToken=eyJ-first-token"))
            #expect(calls[1].body.contains("WebIdentityToken=eyJ-rotated-token"))
            #expect(calls[0].body.contains("RoleSessionName=operator-pod"))

            try FileManager.default.removeItem(atPath: tokenFile)
            await #expect {
                _ = try await provider.credentials()
            } throws: { error in
                (error as? AWSError)?.code == "WebIdentityTokenUnreadable"
            }
        }
    }

    @Test func defaultChainFallsThroughToIMDSv2() async throws {
        let home = try TemporaryDirectory()
        defer { home.remove() }
        try await withMoto { moto in
            let env = AWSEnvironment([
                "HOME": home.url.path, "AWS_EC2_METADATA_SERVICE_ENDPOINT": moto.endpoint,
                "AWS_ENDPOINT_URL": moto.endpoint,
            ])
            let chain = try DefaultCredentialChain(environment: env, client: makeClient())
            #expect(chain.sourceNames == ["instance metadata"])
            let credentials = try await chain.credentials()
            #expect(credentials.accessKeyID == "test-key")
            #expect(credentials.sessionToken == "test-session-token")
            #expect((credentials.expiration ?? .distantPast) > Date())
            let imds = moto.recordedRequests().filter { $0.path.hasPrefix("/latest/") }
            #expect(imds.map(\.method) == ["PUT", "GET", "GET"])
            #expect(
                imds.map(\.path) == [
                    "/latest/api/token", "/latest/meta-data/iam/security-credentials/",
                    "/latest/meta-data/iam/security-credentials/default-role",
                ])
            // The chain keeps IMDS and its cache: a second call asks nobody.
            _ = try await chain.credentials()
            #expect(moto.recordedRequests().filter { $0.path.hasPrefix("/latest/") }.count == 3)

            let disabled = try DefaultCredentialChain(
                environment: AWSEnvironment(["HOME": home.url.path, "AWS_EC2_METADATA_DISABLED": "true"]),
                client: makeClient())
            #expect(disabled.sourceNames.isEmpty)
            await #expect { _ = try await disabled.credentials() } throws: { error in
                (error as? AWSError)?.kind == .credentialsUnavailable
            }
        }
    }

    @Test func sharedConfigProfileAssumesARoleFromItsSourceProfile() async throws {
        let home = try TemporaryDirectory()
        defer { home.remove() }
        try home.write(
            "credentials",
            """
            [base]
            aws_access_key_id = AKIABASEPROFILE0001
            aws_secret_access_key = base-secret ; comment
            """)
        try home.write(
            "config",
            """
            [default]
            region = us-east-1
            [profile deploy]
            role_arn = arn:aws:iam::333344445555:role/deployer
            source_profile = base
            role_session_name = from-profile
            region = eu-central-1
            s3 =
              max_concurrent_requests = 20
            """)
        try await withMoto { moto in
            let env = environment(
                endpoint: moto.endpoint,
                [
                    "HOME": home.url.path, "AWS_PROFILE": "deploy", "AWS_EC2_METADATA_DISABLED": "true",
                    "AWS_SHARED_CREDENTIALS_FILE": home.url.appendingPathComponent("credentials").path,
                    "AWS_CONFIG_FILE": home.url.appendingPathComponent("config").path,
                ])
            let chain = try DefaultCredentialChain(environment: env, client: makeClient())
            #expect(chain.sourceNames == ["shared config (assume role)"])
            let credentials = try await chain.credentials()
            #expect(credentials.accountID == "333344445555")
            let call = try #require(moto.recordedRequests().first { $0.action == "AssumeRole" })
            #expect(call.accessKeyID == "AKIABASEPROFILE0001")
            #expect(call.body.contains("RoleSessionName=from-profile"))
        }
    }

    @Test func motoServerResetsAndShutsDownCleanly() async throws {
        let moto = try await MotoServer.start()
        let keys = uniqueKeys()
        let sts = STSClient(
            client: makeClient(), endpoints: EndpointResolver(environment: environment(endpoint: moto.endpoint)))
        _ = try await sts.assumeRole(
            region: "us-east-1", roleARN: "arn:aws:iam::123456789012:role/r", sessionName: "s1", source: keys)
        #expect(moto.requestCount(action: "AssumeRole") == 1)
        try moto.reset()
        #expect(moto.recordedRequests().isEmpty)
        let probe = HTTPRequest(url: moto.endpoint + "/moto-api/data.json", timeout: .seconds(5))
        #expect(try await sharedTransport.send(probe).status == 200)
        moto.shutdown()
        moto.shutdown()  // idempotent
        await #expect(throws: (any Error).self) { _ = try await sharedTransport.send(probe) }
    }
}
