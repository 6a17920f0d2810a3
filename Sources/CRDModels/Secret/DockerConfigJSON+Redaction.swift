import Redaction

/// A docker login prints its username but neither the password nor `auth` (which is base64 of both).
extension DockerConfigJSON.Entry: RedactedPrinting {
    public var printedFields: KeyValuePairs<String, Any?> {
        ["username": username, "password": Redaction.placeholder, "auth": Redaction.placeholder]
    }
}
