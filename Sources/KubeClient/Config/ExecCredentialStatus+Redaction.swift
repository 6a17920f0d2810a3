import Redaction

/// An exec plugin's credential prints its expiry and which parts it has, never the token or the key.
extension ExecCredentialStatus: RedactedPrinting {
    public var printedFields: KeyValuePairs<String, Any?> {
        [
            "token": Redaction.optional(token), "expirationTimestamp": expirationTimestamp,
            "clientCertificateData": clientCertificateData.map { "\($0.utf8.count) bytes" },
            "clientKeyData": Redaction.optional(clientKeyData),
        ]
    }
}
