import CRDModels

/// Bearer tokens and passwords never print: `"\(auth)"`, `String(reflecting:)` and `dump` show the method,
/// the token file's path, the basic-auth username and the exec plugin's command.
extension AuthMethod: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        switch self {
        case .none: "none"
        case .token: "token(\(Redaction.placeholder))"
        case .tokenFile(let path, let interval): "tokenFile(\(path), every \(interval))"
        case .basic(let username, _): "basic(\(username), password: \(Redaction.placeholder))"
        case .exec(let config): "exec(\(config))"
        }
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        switch self {
        case .none: Mirror(self, children: [], displayStyle: .enum)
        case .token: Mirror(self, children: ["token": Redaction.placeholder], displayStyle: .enum)
        case .tokenFile(let path, let interval):
            Mirror(self, children: ["path": path, "refreshInterval": interval], displayStyle: .enum)
        case .basic(let username, _):
            Mirror(self, children: ["username": username, "password": Redaction.placeholder], displayStyle: .enum)
        case .exec(let config): Mirror(self, children: ["exec": config], displayStyle: .enum)
        }
    }
}
