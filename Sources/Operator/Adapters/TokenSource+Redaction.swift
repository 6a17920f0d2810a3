import Redaction

/// Resolved keys print the access key id's prefix and whether a session token is present; the secret key,
/// the session token and the external id never print.
extension ResolvedCredentials.Source: RedactedPrinting {
    public var printedName: String {
        switch self {
        case .keys: "keys"
        case .ambient: "ambient"
        }
    }

    public var printedFields: KeyValuePairs<String, Any?> {
        switch self {
        case .keys(let id, _, let token):
            [
                "accessKeyID": Redaction.prefix(id), "secretAccessKey": Redaction.placeholder,
                "sessionToken": Redaction.optional(token),
            ]
        case .ambient: [:]
        }
    }
}

extension ResolvedCredentials: RedactedPrinting {
    public var printedFields: KeyValuePairs<String, Any?> {
        ["source": source, "roleARN": roleARN, "externalID": Redaction.optional(externalID)]
    }
}

/// An issued token prints its host, username and lifetime (`RegistryCredential` redacts the password).
extension IssuedToken: RedactedPrinting {
    public var printedFields: KeyValuePairs<String, Any?> {
        ["credential": credential, "expiresAt": expiresAt, "obtainedAt": obtainedAt]
    }
}
