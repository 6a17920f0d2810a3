import CRDModels

/// A registry credential prints its host and username, never the password.
extension RegistryCredential: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "RegistryCredential(host: \(host), username: \(username), password: \(Redaction.placeholder))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self, children: ["host": host, "username": username, "password": Redaction.placeholder],
            displayStyle: .struct)
    }
}
