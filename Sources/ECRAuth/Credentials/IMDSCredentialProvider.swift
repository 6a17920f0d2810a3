import CRDModels
import FoundationEssentials
import HTTPClient

/// EC2 instance role through IMDSv2 (docs/PROTOCOLS.md 3.6): PUT a session token, read the role name, read the
/// role's credentials. Wrap in `.cached()`.
public struct IMDSCredentialProvider: AWSCredentialProvider {
    public var client: AWSClient
    /// Base URL, `http://169.254.169.254` unless `AWS_EC2_METADATA_SERVICE_ENDPOINT` says otherwise.
    public var endpoint: String

    public static let defaultEndpoint = "http://169.254.169.254"

    public init(client: AWSClient, endpoint: String = IMDSCredentialProvider.defaultEndpoint) {
        var client = client
        // botocore: 1 s timeout, one retry. Off EC2 this must fail fast.
        client.retryPolicy = RetryPolicy(
            maxAttempts: 2, baseDelay: .milliseconds(100), maxDelay: .milliseconds(200), attemptTimeout: .seconds(1),
            deadline: .seconds(5))
        self.client = client
        self.endpoint = endpoint
    }

    /// nil when `AWS_EC2_METADATA_DISABLED=true`.
    public init?(environment: AWSEnvironment, client: AWSClient) {
        if environment.flag("AWS_EC2_METADATA_DISABLED") { return nil }
        self.init(client: client, endpoint: environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] ?? Self.defaultEndpoint)
    }

    public var identity: String { "imds:\(endpoint)" }

    public func credentials() async throws -> AWSCredentials {
        let base = AWSEndpoint(url: endpoint, signingRegion: "", signingName: "")
        let tokenResponse = try await client.send(
            AWSClient.Operation(
                api: "imds:GetToken", endpoint: base, method: "PUT", path: "/latest/api/token",
                headers: [HTTPHeader("x-aws-ec2-metadata-token-ttl-seconds", "21600")]),
            credentials: nil)
        guard
            let token = String(data: tokenResponse.body, encoding: .utf8)?
                .trimmingWhitespace(), !token.isEmpty
        else {
            throw AWSError(
                code: "MalformedResponse", message: "IMDS returned an empty session token", kind: .malformed,
                api: "imds:GetToken")
        }
        let tokenHeader = HTTPHeader("x-aws-ec2-metadata-token", token)
        let roleResponse = try await client.send(
            AWSClient.Operation(
                api: "imds:GetRole", endpoint: base, method: "GET", path: "/latest/meta-data/iam/security-credentials/",
                headers: [tokenHeader], secretValues: [token]),
            credentials: nil)
        guard
            let role = String(data: roleResponse.body, encoding: .utf8)?
                .split(whereSeparator: \.isNewline).first.map({ $0.trimmingWhitespace() }),
            !role.isEmpty
        else {
            throw AWSError(
                code: "NoInstanceRole", message: "the instance has no IAM role attached", kind: .credentialsUnavailable,
                api: "imds:GetRole")
        }
        let encodedRole = SigV4Signer.uriEncode(role, keepSlash: false)
        let credentialsResponse = try await client.send(
            AWSClient.Operation(
                api: "imds:GetCredentials", endpoint: base, method: "GET",
                path: "/latest/meta-data/iam/security-credentials/\(encodedRole)", headers: [tokenHeader],
                secretValues: [token]),
            credentials: nil)
        return try ContainerCredentialProvider.parse(credentialsResponse.body, api: "imds:GetCredentials")
    }
}
