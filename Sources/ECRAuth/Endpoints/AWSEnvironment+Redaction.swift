/// The environment holds `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` and the container authorization token,
/// and in production whatever else the process inherited: only the variable names print.
extension AWSEnvironment: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "AWSEnvironment(\(variables.keys.sorted()), values <redacted>)" }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["names": variables.keys.sorted()], displayStyle: .struct)
    }
}
