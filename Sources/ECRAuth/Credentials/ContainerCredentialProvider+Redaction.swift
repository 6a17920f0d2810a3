import Redaction

/// The container authorization token never prints; its file's path and the URI do.
extension ContainerCredentialProvider: RedactedPrinting {
    public var printedFields: KeyValuePairs<String, Any?> {
        [
            "uri": uri, "authorizationToken": Redaction.optional(authorizationToken),
            "authorizationTokenFile": authorizationTokenFile,
        ]
    }
}
