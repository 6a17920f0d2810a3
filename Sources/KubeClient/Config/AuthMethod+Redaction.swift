import Redaction

/// Bearer tokens and passwords never print: `"\(auth)"`, `String(reflecting:)` and `dump` show the method,
/// the token file's path, the basic-auth username and the exec plugin's command.
extension AuthMethod: RedactedPrinting {
    public var printedName: String {
        switch self {
        case .none: "none"
        case .token: "token"
        case .tokenFile: "tokenFile"
        case .basic: "basic"
        case .exec: "exec"
        }
    }

    public var printedFields: KeyValuePairs<String, Any?> {
        switch self {
        case .none: [:]
        case .token: ["token": Redaction.placeholder]
        case .tokenFile(let path, let interval): ["path": path, "refreshInterval": interval]
        case .basic(let username, _): ["username": username, "password": Redaction.placeholder]
        case .exec(let config): ["config": config]
        }
    }
}
