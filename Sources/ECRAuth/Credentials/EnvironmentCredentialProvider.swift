import FoundationEssentials

/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` (or legacy `AWS_SECURITY_TOKEN`),
/// optional `AWS_CREDENTIAL_EXPIRATION` and `AWS_ACCOUNT_ID` (botocore `EnvProvider`), read from a value.
public struct EnvironmentCredentialProvider: AWSCredentialProvider {
    public let environment: AWSEnvironment

    public init(environment: AWSEnvironment) {
        self.environment = environment
    }

    /// True when the environment names an access key (the chain then uses this provider).
    public var isConfigured: Bool { environment["AWS_ACCESS_KEY_ID"] != nil }

    public var identity: String {
        (try? load()).map { "env:" + $0.fingerprint } ?? "env:unconfigured"
    }

    public func credentials() async throws -> AWSCredentials { try load() }

    func load() throws -> AWSCredentials {
        guard let accessKeyID = environment["AWS_ACCESS_KEY_ID"] else {
            throw AWSError(
                code: "CredentialsNotFound", message: "AWS_ACCESS_KEY_ID is not set", kind: .credentialsUnavailable)
        }
        guard let secret = environment["AWS_SECRET_ACCESS_KEY"] else {
            throw AWSError(
                code: "CredentialsIncomplete", message: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
                kind: .credentialsUnavailable)
        }
        var expiration: Date?
        if let text = environment["AWS_CREDENTIAL_EXPIRATION"] {
            guard let date = ISO8601.parse(text) else {
                throw AWSError(
                    code: "InvalidCredentialExpiration",
                    message: "AWS_CREDENTIAL_EXPIRATION '\(text)' is not an ISO 8601 timestamp",
                    kind: .credentialsUnavailable)
            }
            expiration = date
        }
        return AWSCredentials(
            accessKeyID: accessKeyID, secretAccessKey: secret,
            sessionToken: environment["AWS_SESSION_TOKEN"] ?? environment["AWS_SECURITY_TOKEN"],
            expiration: expiration, accountID: environment["AWS_ACCOUNT_ID"])
    }
}
