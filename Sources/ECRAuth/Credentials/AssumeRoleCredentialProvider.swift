import FoundationEssentials

/// `sts:AssumeRole` on top of any other provider (cross-account pulls). Wrap it in
/// `RefreshingCredentialProvider` (`.cached()`) so the role is assumed once per session, not per call.
public struct AssumeRoleCredentialProvider: AWSCredentialProvider {
    public var sts: STSClient
    public var source: any AWSCredentialProvider
    public var region: String
    public var roleARN: String
    public var externalID: String?
    public var sessionName: String
    public var duration: Duration?

    public init(
        sts: STSClient, source: any AWSCredentialProvider, region: String, roleARN: String,
        externalID: String? = nil, sessionName: String = "ecr-pullsecret-operator", duration: Duration? = nil
    ) {
        self.sts = sts
        self.source = source
        self.region = region
        self.roleARN = roleARN
        self.externalID = externalID
        self.sessionName = sessionName
        self.duration = duration
    }

    /// The role, the external id's fingerprint (it is a shared secret of sorts) and who assumes it. Not for
    /// logs: see `CredentialFingerprint.loggable`.
    public var identity: String {
        var text = "assume-role:\(roleARN)"
        if let externalID, !externalID.isEmpty {
            text += "|ext:" + CredentialFingerprint.of([externalID])
        }
        return text + "|via:" + source.identity
    }

    public func credentials() async throws -> AWSCredentials {
        try await sts.assumeRole(
            region: region, roleARN: roleARN, sessionName: sessionName, externalID: externalID, duration: duration,
            source: source)
    }

    public func invalidate() async { await source.invalidate() }
}
