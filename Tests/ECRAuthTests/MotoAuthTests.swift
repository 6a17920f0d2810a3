import ECRAuth
import Foundation
import HTTPClient
import KubeTestSupport
import Testing

/// moto with `INITIAL_NO_AUTH_ACTION_COUNT`: it recomputes our SigV4 signatures and evaluates IAM policy.
@Suite struct MotoAuthTests {
    /// An IAM query-protocol call. moto routes by the credential scope, so even the unauthenticated setup
    /// calls must carry a SigV4 Authorization header (its signature is not checked yet).
    func iam(_ client: AWSClient, _ moto: MotoServer, _ parameters: [(String, String)]) async throws -> String {
        let body = (parameters + [("Version", "2010-05-08")])
            .map { "\($0.0)=\(SigV4Signer.uriEncode($0.1, keepSlash: false))" }.joined(separator: "&")
        let response = try await client.send(
            AWSClient.Operation(
                api: "iam:" + parameters[0].1,
                endpoint: AWSEndpoint(url: moto.endpoint, signingRegion: "us-east-1", signingName: "iam"),
                headers: [HTTPHeader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
                body: Data(body.utf8)),
            credentials: StaticCredentialProvider(accessKeyID: "AKIASETUP", secretAccessKey: "setup"))
        return String(decoding: response.body, as: UTF8.self)
    }

    func element(_ name: String, _ xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"), let close = xml.range(of: "</\(name)>") else { return nil }
        return String(xml[open.upperBound..<close.lowerBound])
    }

    @Test func motoVerifiesOurSignatures() async throws {
        try await withMoto(initialNoAuthActionCount: 3) { moto in
            let client = makeClient()
            _ = try await iam(client, moto, [("Action", "CreateUser"), ("UserName", "ecr-puller")])
            let policy =
                #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:GetAuthorizationToken","Resource":"*"}]}"#
            _ = try await iam(
                client, moto,
                [
                    ("Action", "PutUserPolicy"), ("UserName", "ecr-puller"), ("PolicyName", "pull"),
                    ("PolicyDocument", policy),
                ])
            let keyXML = try await iam(client, moto, [("Action", "CreateAccessKey"), ("UserName", "ecr-puller")])
            let accessKeyID = try #require(element("AccessKeyId", keyXML))
            let secret = try #require(element("SecretAccessKey", keyXML))

            let env = environment(endpoint: moto.endpoint)
            let ecr = ECRClient(client: client, endpoints: EndpointResolver(environment: env))
            let good = StaticCredentialProvider(accessKeyID: accessKeyID, secretAccessKey: secret)
            let token = try await ecr.getAuthorizationToken(region: "us-east-1", credentials: good)
            #expect(token.first?.username == "AWS")

            let wrongSecret = StaticCredentialProvider(accessKeyID: accessKeyID, secretAccessKey: secret + "x")
            await #expect {
                _ = try await ecr.getAuthorizationToken(region: "us-east-1", credentials: wrongSecret)
            } throws: { error in
                let error = error as? AWSError
                return error?.code == "SignatureDoesNotMatch" && error?.kind == .invalidCredentials
                    && error?.httpStatus == 403 && error?.description.contains(secret) == false
            }

            let unknown = StaticCredentialProvider(accessKeyID: "AKIAUNKNOWNKEY000000", secretAccessKey: secret)
            await #expect {
                _ = try await ecr.getAuthorizationToken(region: "us-east-1", credentials: unknown)
            } throws: { error in
                (error as? AWSError)?.code == "InvalidClientTokenId"
            }

            // The policy allows ECR only: STS AssumeRole is denied, and not retried.
            let sts = STSClient(client: client, endpoints: EndpointResolver(environment: env))
            let before = moto.requestCount(action: "AssumeRole")
            await #expect {
                _ = try await sts.assumeRole(
                    region: "us-east-1", roleARN: "arn:aws:iam::123456789012:role/other",
                    sessionName: "denied-session", source: good)
            } throws: { error in
                (error as? AWSError)?.kind == .accessDenied
            }
            #expect(moto.requestCount(action: "AssumeRole") == before + 1)
            // Invalid credentials are retried once after a refresh; the good key needed one call.
            let ecrCalls = moto.recordedRequests().filter { $0.target?.hasSuffix("GetAuthorizationToken") == true }
            #expect(ecrCalls.filter { $0.accessKeyID == accessKeyID }.count == 3)
            #expect(ecrCalls.filter { $0.accessKeyID == "AKIAUNKNOWNKEY000000" }.count == 2)
        }
    }
}
