import CRDModels

/// The container authorization token never prints; its file's path and the URI do.
extension ContainerCredentialProvider: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "ContainerCredentialProvider(uri: \(uri), authorizationToken: "
            + "\(authorizationToken == nil ? "none" : Redaction.placeholder), authorizationTokenFile: "
            + "\(authorizationTokenFile ?? "none"))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "uri": uri, "authorizationToken": Redaction.optional(authorizationToken) as Any,
                "authorizationTokenFile": authorizationTokenFile as Any,
            ],
            displayStyle: .struct)
    }
}
