import CRDModels
import FoundationEssentials

/// IRSA: `AssumeRoleWithWebIdentity` with the projected service-account token. The token file is read on
/// every fetch because the kubelet rotates it. Wrap in `.cached()`.
public struct WebIdentityCredentialProvider: AWSCredentialProvider {
    public var sts: STSClient
    public var region: String
    public var roleARN: String
    public var tokenFile: String
    public var sessionName: String
    public var duration: Duration?

    public init(
        sts: STSClient, region: String, roleARN: String, tokenFile: String, sessionName: String? = nil,
        duration: Duration? = nil, now: Date = Date()
    ) {
        self.sts = sts
        self.region = region
        self.roleARN = roleARN
        self.tokenFile = tokenFile
        // botocore's default session name.
        self.sessionName = sessionName ?? "botocore-session-\(Int(now.timeIntervalSince1970))"
        self.duration = duration
    }

    /// `AWS_ROLE_ARN` + `AWS_WEB_IDENTITY_TOKEN_FILE` (+ `AWS_ROLE_SESSION_NAME`); nil when not configured.
    public init?(environment: AWSEnvironment, sts: STSClient, region: String) {
        guard let role = environment["AWS_ROLE_ARN"], let file = environment["AWS_WEB_IDENTITY_TOKEN_FILE"] else {
            return nil
        }
        self.init(
            sts: sts, region: region, roleARN: role, tokenFile: file, sessionName: environment["AWS_ROLE_SESSION_NAME"])
    }

    public var identity: String { "web-identity:\(roleARN)" }

    public func credentials() async throws -> AWSCredentials {
        let token: String
        do {
            token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingWhitespace()
        } catch {
            throw AWSError(
                code: "WebIdentityTokenUnreadable", message: "cannot read the web identity token file \(tokenFile)",
                kind: .credentialsUnavailable, api: STSClient.webIdentityAPI, cause: SendableErrorBox(error))
        }
        guard !token.isEmpty else {
            throw AWSError(
                code: "WebIdentityTokenEmpty", message: "the web identity token file \(tokenFile) is empty",
                kind: .credentialsUnavailable, api: STSClient.webIdentityAPI)
        }
        return try await sts.assumeRoleWithWebIdentity(
            region: region, roleARN: roleARN, sessionName: sessionName, webIdentityToken: token, duration: duration)
    }
}
