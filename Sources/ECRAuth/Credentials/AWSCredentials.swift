import CRDModels
import FoundationEssentials
import Redaction

/// One set of AWS keys. The secret and the session token never appear in `description`, `debugDescription`
/// or a reflection dump, so logging or interpolating a value cannot leak them.
public struct AWSCredentials: Sendable, Equatable {
    public var accessKeyID: String
    public var secretAccessKey: String
    /// Present for temporary credentials (STS, IRSA, Pod Identity, IMDS); signed as `X-Amz-Security-Token`.
    public var sessionToken: String?
    /// When temporary credentials stop working; nil for long-term keys.
    public var expiration: Date?
    public var accountID: String?

    public init(
        accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil,
        accountID: String? = nil
    ) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken?.isEmpty == true ? nil : sessionToken
        self.expiration = expiration
        self.accountID = accountID
    }

    /// A fingerprint of these keys for cache keys: the access key id and `CredentialFingerprint` over the
    /// secret and token. It changes whenever any of them changes. Not for logs: see
    /// `CredentialFingerprint.loggable`.
    public var fingerprint: String {
        accessKeyID + ":" + CredentialFingerprint.of([secretAccessKey, sessionToken ?? ""])
    }

    /// Values that must never be written to an error message or a log line.
    var secretValues: [String] {
        [secretAccessKey, sessionToken].compactMap { $0 }.filter { $0.count >= 4 }
    }
}

extension AWSCredentials: RedactedPrinting {
    public var printedFields: KeyValuePairs<String, Any?> {
        [
            "accessKeyID": accessKeyID, "secretAccessKey": Redaction.placeholder,
            "sessionToken": Redaction.optional(sessionToken), "expiration": expiration, "accountID": accountID,
        ]
    }
}
