/// The container authorization token never prints; its file's path and the URI do.
extension ContainerCredentialProvider: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "ContainerCredentialProvider(uri: \(uri), authorizationToken: "
            + "\(authorizationToken == nil ? "none" : "<redacted>"), authorizationTokenFile: "
            + "\(authorizationTokenFile ?? "none"))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "uri": uri, "authorizationToken": authorizationToken.map { _ in "<redacted>" } as Any,
                "authorizationTokenFile": authorizationTokenFile as Any,
            ],
            displayStyle: .struct)
    }
}
