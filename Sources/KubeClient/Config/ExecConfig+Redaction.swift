import Redaction

/// The plugin's environment (often AWS or cloud keys for the plugin) and the inherited process environment
/// print as names and a count; the command, its arguments and the cluster it is for print in full.
extension ExecConfig: RedactedPrinting {
    public var printedFields: KeyValuePairs<String, Any?> {
        [
            "apiVersion": apiVersion, "command": command, "args": args,
            "env": "\(env.keys.sorted()) \(Redaction.placeholder)",
            "baseEnvironment": "\(baseEnvironment.count) variables \(Redaction.placeholder)",
            "provideClusterInfo": provideClusterInfo, "directory": directory, "clusterServer": clusterServer,
            "timeout": timeout,
        ]
    }
}
