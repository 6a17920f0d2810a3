import FoundationEssentials
import HTTPClient

/// STS `AssumeRole` (signed) and `AssumeRoleWithWebIdentity` (unsigned), AWS query protocol
/// (docs/PROTOCOLS.md 3.3, 3.4).
public struct STSClient: Sendable {
    public var client: AWSClient
    public var endpoints: EndpointResolver

    public init(client: AWSClient, endpoints: EndpointResolver) {
        self.client = client
        self.endpoints = endpoints
    }

    public static let assumeRoleAPI = "sts:AssumeRole"
    public static let webIdentityAPI = "sts:AssumeRoleWithWebIdentity"

    /// `sts:AssumeRole` signed with `source`'s credentials.
    public func assumeRole(
        region: String, roleARN: String, sessionName: String, externalID: String? = nil,
        duration: Duration? = nil, source: any AWSCredentialProvider
    ) async throws -> AWSCredentials {
        try Self.validate(roleARN: roleARN, sessionName: sessionName, duration: duration, api: Self.assumeRoleAPI)
        var parameters = [
            ("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleArn", roleARN),
            ("RoleSessionName", sessionName),
        ]
        if let duration { parameters.append(("DurationSeconds", String(duration.components.seconds))) }
        if let externalID, !externalID.isEmpty { parameters.append(("ExternalId", externalID)) }
        let operation = AWSClient.Operation(
            api: Self.assumeRoleAPI, endpoint: endpoints.sts(region: region),
            headers: [HTTPHeader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            body: Data(Self.formEncode(parameters).utf8))
        let response = try await client.send(operation, credentials: source)
        return try Self.parseCredentials(response.body, api: Self.assumeRoleAPI)
    }

    /// `sts:AssumeRoleWithWebIdentity`: unsigned (the JWT is the proof); the token is scrubbed from errors.
    public func assumeRoleWithWebIdentity(
        region: String, roleARN: String, sessionName: String, webIdentityToken: String, duration: Duration? = nil
    ) async throws -> AWSCredentials {
        try Self.validate(roleARN: roleARN, sessionName: sessionName, duration: duration, api: Self.webIdentityAPI)
        var parameters = [
            ("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", roleARN),
            ("RoleSessionName", sessionName), ("WebIdentityToken", webIdentityToken),
        ]
        if let duration { parameters.append(("DurationSeconds", String(duration.components.seconds))) }
        let operation = AWSClient.Operation(
            api: Self.webIdentityAPI, endpoint: endpoints.sts(region: region),
            headers: [HTTPHeader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            body: Data(Self.formEncode(parameters).utf8), secretValues: [webIdentityToken])
        let response = try await client.send(operation, credentials: nil)
        return try Self.parseCredentials(response.body, api: Self.webIdentityAPI)
    }

    /// STS's own input rules, checked before a call so the error names the field and the rule.
    static func validate(roleARN: String, sessionName: String, duration: Duration?, api: String) throws {
        func invalid(_ message: String) -> AWSError {
            AWSError(code: "InvalidParameter", message: message, kind: .invalidParameter, api: api)
        }
        guard roleARN.hasPrefix("arn:"), roleARN.split(separator: ":", omittingEmptySubsequences: false).count >= 6,
            roleARN.contains(":role/")
        else {
            throw invalid("roleARN '\(roleARN)' is not an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)")
        }
        guard (2...64).contains(sessionName.count),
            sessionName.unicodeScalars.allSatisfy({ scalar in
                scalar.isASCII
                    && (Character(scalar).isLetter || Character(scalar).isNumber || "_+=,.@-".unicodeScalars.contains(scalar))
            })
        else { throw invalid("RoleSessionName '\(sessionName)' must be 2 to 64 characters of [A-Za-z0-9_+=,.@-]") }
        if let duration {
            let seconds = duration.components.seconds
            guard (900...43200).contains(seconds) else {
                throw invalid("DurationSeconds \(seconds) must be between 900 and 43200")
            }
        }
    }

    static func formEncode(_ parameters: [(String, String)]) -> String {
        parameters.map {
            SigV4Signer.uriEncode($0.0, keepSlash: false) + "=" + SigV4Signer.uriEncode($0.1, keepSlash: false)
        }.joined(separator: "&")
    }

    /// Reads `<Credentials>` from an AssumeRole* response; the account id comes from the assumed role's ARN.
    static func parseCredentials(_ body: Data, api: String) throws -> AWSCredentials {
        func malformed(_ what: String) -> AWSError {
            AWSError(code: "MalformedResponse", message: "\(api) response: \(what)", kind: .malformed, api: api)
        }
        guard let text = String(data: body, encoding: .utf8) else { throw malformed("not UTF-8") }
        guard let block = XMLText.element("Credentials", in: text) else { throw malformed("no <Credentials>") }
        guard let accessKeyID = XMLText.first("AccessKeyId", in: block), !accessKeyID.isEmpty,
            let secret = XMLText.first("SecretAccessKey", in: block), !secret.isEmpty,
            let token = XMLText.first("SessionToken", in: block), !token.isEmpty
        else { throw malformed("<Credentials> lacks AccessKeyId, SecretAccessKey or SessionToken") }
        guard let expirationText = XMLText.first("Expiration", in: block),
            let expiration = ISO8601.parse(expirationText)
        else { throw malformed("<Expiration> missing or not ISO 8601") }
        let account = XMLText.first("Arn", in: text).flatMap { arn -> String? in
            let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
            return parts.count > 4 && !parts[4].isEmpty ? String(parts[4]) : nil
        }
        return AWSCredentials(
            accessKeyID: accessKeyID, secretAccessKey: secret, sessionToken: token, expiration: expiration,
            accountID: account)
    }
}
