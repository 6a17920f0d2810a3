import CRDModels

/// An exec plugin's credential prints its expiry and which parts it has, never the token or the key.
extension ExecCredentialStatus: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "ExecCredentialStatus(token: \(Redaction.optional(token) ?? "none"), expirationTimestamp: "
            + "\(expirationTimestamp ?? "none"), clientCertificate: \(clientCertificateData != nil), clientKey: "
            + "\(Redaction.optional(clientKeyData) ?? "none"))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "token": Redaction.optional(token) as Any, "expirationTimestamp": expirationTimestamp as Any,
                "clientCertificateData": clientCertificateData.map { "\($0.utf8.count) bytes" } as Any,
                "clientKeyData": Redaction.optional(clientKeyData) as Any,
            ],
            displayStyle: .struct)
    }
}
