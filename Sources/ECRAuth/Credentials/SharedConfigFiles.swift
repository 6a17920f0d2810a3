import CRDModels
import FoundationEssentials

/// The AWS shared `credentials` and `config` INI files (docs/PROTOCOLS.md 3.2), parsed into profiles.
public struct SharedConfigFiles: Sendable, Equatable {
    /// Profile name → key → value. Config-file sections `[profile x]` are stored as `x`; the credentials
    /// file's keys win over the config file's for the same profile.
    public var credentials: [String: [String: String]]
    public var config: [String: [String: String]]

    public init(credentials: [String: [String: String]] = [:], config: [String: [String: String]] = [:]) {
        self.credentials = credentials
        self.config = config
    }

    /// Reads the files named by `AWS_SHARED_CREDENTIALS_FILE` / `AWS_CONFIG_FILE` (default `~/.aws/...` with
    /// `HOME` from the environment value). A missing file is an empty one.
    public static func load(environment: AWSEnvironment) -> SharedConfigFiles {
        let home = environment["HOME"] ?? "/root"
        func expand(_ path: String) -> String {
            path.hasPrefix("~/") ? home + path.dropFirst(1) : path
        }
        let credentialsPath = expand(environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "~/.aws/credentials")
        let configPath = expand(environment["AWS_CONFIG_FILE"] ?? "~/.aws/config")
        let credentialsText = (try? String(contentsOfFile: credentialsPath, encoding: .utf8)) ?? ""
        let configText = (try? String(contentsOfFile: configPath, encoding: .utf8)) ?? ""
        return SharedConfigFiles(
            credentials: parseINI(credentialsText, configStyle: false), config: parseINI(configText, configStyle: true))
    }

    /// The merged keys of one profile (config first, credentials file on top).
    public func profile(_ name: String) -> [String: String]? {
        let merged = (config[name] ?? [:]).merging(credentials[name] ?? [:]) { $1 }
        return config[name] == nil && credentials[name] == nil ? nil : merged
    }

    /// INI as the AWS CLI reads it: `[section]`, `key = value`, `#`/`;` comments, indented lines belong to a
    /// nested sub-section (e.g. `s3 =`) and are skipped. In config files `[profile x]` names profile `x`.
    static func parseINI(_ text: String, configStyle: Bool) -> [String: [String: String]] {
        var result: [String: [String: String]] = [:]
        var current: String?
        var inNested = false
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                var name = line.dropFirst().dropLast().trimmingWhitespace()
                if configStyle, name.hasPrefix("profile ") {
                    name = name.dropFirst("profile ".count).trimmingWhitespace()
                } else if configStyle, name != "default" {
                    current = nil  // [sso-session x], [services x]: not profiles
                    continue
                }
                current = name
                result[name, default: [:]] = result[name] ?? [:]
                inNested = false
                continue
            }
            guard let section = current else { continue }
            let indented = rawLine.first == " " || rawLine.first == "\t"
            if indented && inNested { continue }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingWhitespace().lowercased()
            var value = line[line.index(after: equals)...].trimmingWhitespace()
            if let comment = value.firstRange(of: " #") ?? value.firstRange(of: " ;") {
                value = value[..<comment.lowerBound].trimmingWhitespace()
            }
            if value.isEmpty {
                inNested = true  // `s3 =` opens a nested block
                continue
            }
            inNested = false
            result[section]?[key] = value
        }
        return result
    }
}
