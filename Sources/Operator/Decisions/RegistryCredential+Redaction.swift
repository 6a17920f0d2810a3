import Redaction

/// A registry credential prints its host and username, never the password.
extension RegistryCredential: RedactedPrinting {
    public var printedFields: KeyValuePairs<String, Any?> {
        ["host": host, "username": username, "password": Redaction.placeholder]
    }
}
