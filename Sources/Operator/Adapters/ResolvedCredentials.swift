import FoundationEssentials

/// AWS credentials a resource resolved: its own keys (from a Secret or inline) or the operator's
/// identity, optionally with a role to assume on top. Printing it never shows a secret (`+Redaction`).
public struct ResolvedCredentials: Sendable, Hashable {
    public enum Source: Sendable, Hashable {
        case keys(accessKeyID: String, secretAccessKey: String, sessionToken: String?)
        case ambient
    }

    public var source: Source
    public var roleARN: String?
    public var externalID: String?

    public init(source: Source, roleARN: String? = nil, externalID: String? = nil) {
        self.source = source
        self.roleARN = roleARN
        self.externalID = externalID
    }
}
