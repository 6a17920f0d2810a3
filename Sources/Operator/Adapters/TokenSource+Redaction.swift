import CRDModels

/// Resolved keys print the access key id's prefix and whether a session token is present; the secret key,
/// the session token and the external id never print.
extension ResolvedCredentials.Source: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        switch self {
        case .keys(let id, _, let token):
            "keys(\(Redaction.prefix(id))\(token == nil ? "" : ", session"))"
        case .ambient:
            "ambient"
        }
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        switch self {
        case .keys(let id, _, let token):
            Mirror(
                self,
                children: [
                    "accessKeyID": Redaction.prefix(id), "secretAccessKey": Redaction.placeholder,
                    "sessionToken": Redaction.optional(token) as Any,
                ],
                displayStyle: .enum)
        case .ambient:
            Mirror(self, children: [], displayStyle: .enum)
        }
    }
}

extension ResolvedCredentials: CustomDebugStringConvertible, CustomReflectable {
    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "source": source, "roleARN": roleARN as Any, "externalID": Redaction.optional(externalID) as Any,
            ],
            displayStyle: .struct)
    }
}

/// An issued token prints its host, username and lifetime (`RegistryCredential` redacts the password).
extension IssuedToken: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        "IssuedToken(\(credential), expiresAt: \(expiresAt), obtainedAt: \(obtainedAt))"
    }

    public var debugDescription: String { description }
}
