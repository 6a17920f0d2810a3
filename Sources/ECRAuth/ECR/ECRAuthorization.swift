import CRDModels
import FoundationEssentials
import Redaction

/// A docker login for one registry host, decoded from an ECR authorization token.
/// The password never appears in `description` or a reflection dump.
public struct ECRAuthorization: Sendable, Equatable {
    /// Host without scheme, e.g. `123456789012.dkr.ecr.us-west-2.amazonaws.com` or `public.ecr.aws`.
    public var registryHost: String
    /// Always `AWS` for ECR today; taken from the token, not assumed.
    public var username: String
    public var password: String
    /// When AWS says the token stops working.
    public var expiresAt: Date

    public init(registryHost: String, username: String, password: String, expiresAt: Date) {
        self.registryHost = registryHost
        self.username = username
        self.password = password
        self.expiresAt = expiresAt
    }

    /// Decodes `base64(user:password)`, splitting on the first colon as the ECR credential helper does.
    public init(registryHost: String, token: String, expiresAt: Date, api: String) throws {
        guard let data = Data(base64Encoded: token.trimmingWhitespace()),
            let decoded = String(data: data, encoding: .utf8)
        else {
            throw AWSError(
                code: "MalformedToken", message: "authorizationToken for \(registryHost) is not base64 UTF-8",
                kind: .malformed, api: api)
        }
        guard let colon = decoded.firstIndex(of: ":"), colon != decoded.startIndex,
            decoded.index(after: colon) != decoded.endIndex
        else {
            throw AWSError(
                code: "MalformedToken",
                message: "authorizationToken for \(registryHost) does not decode to 'user:password'",
                kind: .malformed, api: api)
        }
        self.init(
            registryHost: registryHost, username: String(decoded[..<colon]),
            password: String(decoded[decoded.index(after: colon)...]), expiresAt: expiresAt)
    }
}

extension ECRAuthorization: RedactedPrinting {
    public var printedFields: KeyValuePairs<String, Any?> {
        ["registryHost": registryHost, "username": username, "password": Redaction.placeholder, "expiresAt": expiresAt]
    }
}
