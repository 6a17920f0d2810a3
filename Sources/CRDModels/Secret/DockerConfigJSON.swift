import FoundationEssentials

/// The value of a `kubernetes.io/dockerconfigjson` Secret's `.dockerconfigjson` key:
/// `{"auths":{"<host>":{"auth":"<base64(user:pw)>","password":"<pw>","username":"AWS"}}}`.
///
/// `encoded()` writes canonical bytes (sorted keys, unescaped slashes), so two equal configurations give
/// equal bytes and the reconciler can skip a write when nothing changed.
public struct DockerConfigJSON: Codable, Hashable, Sendable {
    public static let secretType = "kubernetes.io/dockerconfigjson"
    public static let secretKey = ".dockerconfigjson"

    /// Registry host (e.g. `123456789012.dkr.ecr.us-west-2.amazonaws.com`, `public.ecr.aws`) to credential.
    public var auths: [String: Entry]

    public init(auths: [String: Entry] = [:]) { self.auths = auths }

    /// One registry's credential. `auth` is `base64(username:password)`, which the kubelet prefers.
    public struct Entry: Codable, Hashable, Sendable {
        public var username: String
        public var password: String
        public var auth: String

        public init(username: String, password: String) {
            self.username = username
            self.password = password
            self.auth = Data("\(username):\(password)".utf8).base64EncodedString()
        }
    }

    /// Adds (or replaces) the credential for `host`.
    public mutating func set(host: String, username: String, password: String) {
        auths[host] = Entry(username: username, password: password)
    }

    /// The canonical bytes stored under `.dockerconfigjson`.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> DockerConfigJSON {
        try JSONDecoder().decode(DockerConfigJSON.self, from: data)
    }
}

extension DockerConfigJSON {
    /// ECR's `authorizationToken` is `base64("AWS:<password>")`: builds the entry from it without the
    /// caller handling the password separately.
    public static func entry(fromECRAuthorizationToken token: String) throws -> Entry {
        guard let decoded = Data(base64Encoded: token), let text = String(data: decoded, encoding: .utf8),
            let colon = text.firstIndex(of: ":")
        else {
            throw DockerConfigJSONError(
                code: "MalformedAuthorizationToken",
                message: "the ECR authorization token is not base64 of \"user:password\"")
        }
        return Entry(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
    }
}

/// A problem building a docker config. The message never contains the token.
public struct DockerConfigJSONError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var description: String { "\(code): \(message)" }
}
