import CRDModels
import FoundationEssentials
import HTTPClient

/// ECS task role / EKS Pod Identity: `GET` the credentials URI with the authorization token as the raw
/// `Authorization` value (docs/PROTOCOLS.md 3.5). The token file is re-read on each fetch (it is rotated).
/// Wrap in `.cached()`.
public struct ContainerCredentialProvider: AWSCredentialProvider {
    public var client: AWSClient
    public var uri: String
    public var authorizationToken: String?
    public var authorizationTokenFile: String?

    /// Validates the URI against botocore's allow-list: any https URL; http only to loopback, the ECS
    /// (`169.254.170.2`) and EKS Pod Identity (`169.254.170.23`, `fd00:ec2::23`) agents.
    public init(
        client: AWSClient, uri: String, authorizationToken: String? = nil, authorizationTokenFile: String? = nil
    ) throws {
        guard let components = URLComponents(string: uri), let scheme = components.scheme?.lowercased(),
            let host = components.host?.lowercased()
        else {
            throw AWSError(
                code: "InvalidContainerCredentialsURI", message: "container credentials URI '\(uri)' is not a URL",
                kind: .credentialsUnavailable)
        }
        let allowed = scheme == "https" || (scheme == "http" && Self.isAllowedHTTPHost(host))
        guard allowed else {
            throw AWSError(
                code: "InvalidContainerCredentialsURI",
                message: "container credentials URI host '\(host)' is not allowed over http: only loopback, "
                    + "169.254.170.2, 169.254.170.23 and fd00:ec2::23 (or any https URL)",
                kind: .credentialsUnavailable)
        }
        var client = client
        // botocore: 2 s timeout, 3 attempts, 1 s apart.
        client.retryPolicy = RetryPolicy(
            maxAttempts: 3, baseDelay: .seconds(1), maxDelay: .seconds(1), attemptTimeout: .seconds(2),
            deadline: .seconds(10))
        self.client = client
        self.uri = uri
        self.authorizationToken = authorizationToken
        self.authorizationTokenFile = authorizationTokenFile
    }

    /// From `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI` and `AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]`;
    /// nil when neither URI is set.
    public init?(environment: AWSEnvironment, client: AWSClient) throws {
        let uri: String
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] {
            uri = "http://169.254.170.2" + (relative.hasPrefix("/") ? relative : "/" + relative)
        } else if let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"] {
            uri = full
        } else {
            return nil
        }
        try self.init(
            client: client, uri: uri, authorizationToken: environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"],
            authorizationTokenFile: environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"])
    }

    static func isAllowedHTTPHost(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if ["localhost", "169.254.170.2", "169.254.170.23", "fd00:ec2::23", "::1"].contains(bare) { return true }
        return bare.hasPrefix("127.") && bare.split(separator: ".").count == 4
    }

    public var identity: String { "container:\(uri)" }

    public func credentials() async throws -> AWSCredentials {
        var headers = [HTTPHeader("Accept", "application/json")]
        var secrets: [String] = []
        if let token = try authorizationValue() {
            headers.append(HTTPHeader("Authorization", token))
            secrets.append(token)
        }
        let operation = AWSClient.Operation(
            api: "container:GetCredentials", endpoint: AWSEndpoint(url: uri, signingRegion: "", signingName: ""),
            method: "GET", path: "", headers: headers, secretValues: secrets)
        let response = try await client.send(operation, credentials: nil)
        return try Self.parse(response.body, api: operation.api)
    }

    private func authorizationValue() throws -> String? {
        var value = authorizationToken
        if let file = authorizationTokenFile {
            do {
                value = try String(contentsOfFile: file, encoding: .utf8).trimmingWhitespace()
            } catch {
                throw AWSError(
                    code: "ContainerTokenUnreadable",
                    message: "cannot read the container authorization token file \(file)",
                    kind: .credentialsUnavailable, cause: SendableErrorBox(error))
            }
        }
        if let value, value.containsLineBreak {
            throw AWSError(
                code: "InvalidContainerToken", message: "the container authorization token contains CR or LF",
                kind: .credentialsUnavailable)
        }
        return value
    }

    /// `{"AccessKeyId","SecretAccessKey","Token","Expiration","AccountId"}` (also IMDS's shape).
    static func parse(_ body: Data, api: String) throws -> AWSCredentials {
        struct Payload: Decodable {
            var AccessKeyId: String?
            var SecretAccessKey: String?
            var Token: String?
            var Expiration: String?
            var AccountId: String?
            var Code: String?
            var Message: String?
        }
        guard let payload = try? JSONDecoder().decode(Payload.self, from: body) else {
            throw AWSError(
                code: "MalformedResponse", message: "\(api): the credentials response is not the expected JSON object",
                kind: .malformed, api: api)
        }
        guard let key = payload.AccessKeyId, !key.isEmpty, let secret = payload.SecretAccessKey, !secret.isEmpty else {
            if let code = payload.Code, code != "Success" {
                throw AWSError(
                    code: code, message: payload.Message ?? "credentials endpoint reported \(code)",
                    kind: .credentialsUnavailable, api: api)
            }
            throw AWSError(
                code: "MalformedResponse", message: "\(api): AccessKeyId or SecretAccessKey missing", kind: .malformed,
                api: api)
        }
        var expiration: Date?
        if let text = payload.Expiration {
            guard let date = ISO8601.parse(text) else {
                throw AWSError(
                    code: "MalformedResponse", message: "\(api): Expiration '\(text)' is not ISO 8601",
                    kind: .malformed,
                    api: api)
            }
            expiration = date
        }
        return AWSCredentials(
            accessKeyID: key, secretAccessKey: secret, sessionToken: payload.Token, expiration: expiration,
            accountID: payload.AccountId)
    }
}
