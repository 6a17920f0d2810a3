import FoundationEssentials
import Redaction

extension HTTPHeader {
    /// Header names whose values are credentials: the SigV4 or bearer `Authorization`, the container
    /// credentials token, the STS session token, the IMDSv2 session token, and cookies.
    static let sensitiveNames: Set<String> = [
        "authorization", "proxy-authorization", "x-amz-security-token", "x-aws-ec2-metadata-token", "cookie",
        "set-cookie",
    ]

    public var isSensitive: Bool { Self.sensitiveNames.contains(name.lowercased()) }

    /// The value as it may be printed: credentials become `<redacted>` (a SigV4 `Authorization` keeps its
    /// algorithm and credential scope, which name the key id, date, region and service).
    public var printableValue: String {
        guard isSensitive else { return value }
        if name.lowercased() == "authorization", value.hasPrefix("AWS4-HMAC-SHA256 "),
            let scope = value.split(separator: ",").first
        {
            return scope + ", " + Redaction.placeholder
        }
        return Redaction.placeholder
    }
}

extension HTTPHeader: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "\(name): \(printableValue)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["name": name, "value": printableValue], displayStyle: .struct)
    }
}

/// A request prints its method, URL, headers (credentials redacted) and body size, never the body: an STS
/// `AssumeRoleWithWebIdentity` body carries the web-identity token.
extension HTTPRequest: RedactedPrinting {
    public var printedFields: KeyValuePairs<String, Any?> {
        ["method": method, "url": url, "headers": headers, "body": "\(body.count) bytes", "timeout": timeout]
    }
}

/// A response body may hold credentials (STS, IMDS, ECR tokens): only its size prints.
extension HTTPResponse: RedactedPrinting {
    public var printedFields: KeyValuePairs<String, Any?> {
        ["status": status, "headers": headers, "body": "\(body.count) bytes"]
    }
}

/// The client key never prints; whether one is set does.
extension TLSConfiguration: RedactedPrinting {
    public var printedFields: KeyValuePairs<String, Any?> {
        [
            "caPEM": caPEM.map { "\($0.count) bytes" },
            "clientCertificatePEM": clientCertificatePEM.map { "\($0.count) bytes" },
            "clientKeyPEM": clientKeyPEM.map { _ in Redaction.placeholder },
            "insecureSkipVerify": insecureSkipVerify, "serverName": serverName,
        ]
    }
}
