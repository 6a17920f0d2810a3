/// A docker login prints its username but neither the password nor `auth` (which is base64 of both).
extension DockerConfigJSON.Entry: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "Entry(username: \(username), password: \(Redaction.placeholder), auth: \(Redaction.placeholder))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self, children: ["username": username, "password": Redaction.placeholder, "auth": Redaction.placeholder],
            displayStyle: .struct)
    }
}
