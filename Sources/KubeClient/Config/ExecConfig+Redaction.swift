/// The plugin's environment (often AWS or cloud keys for the plugin) and the inherited process environment
/// print as names and a count; the command, its arguments and the cluster it is for print in full.
extension ExecConfig: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "ExecConfig(command: \(command), args: \(args), env: \(env.keys.sorted()) <redacted>, "
            + "baseEnvironment: \(baseEnvironment.count) variables <redacted>, apiVersion: \(apiVersion), "
            + "cluster: \(clusterServer))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "apiVersion": apiVersion, "command": command, "args": args, "env": env.keys.sorted(),
                "baseEnvironment": "\(baseEnvironment.count) variables <redacted>",
                "provideClusterInfo": provideClusterInfo, "directory": directory, "clusterServer": clusterServer,
                "timeout": timeout,
            ],
            displayStyle: .struct)
    }
}
