import FoundationEssentials

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
            return scope + ", <redacted>"
        }
        return "<redacted>"
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
extension HTTPRequest: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "HTTPRequest(\(method) \(url), headers: \(headers), body: \(body.count) bytes, timeout: \(timeout))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "method": method, "url": url, "headers": headers, "body": "\(body.count) bytes", "timeout": timeout,
            ],
            displayStyle: .struct)
    }
}

/// A response body may hold credentials (STS, IMDS, ECR tokens): only its size prints.
extension HTTPResponse: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "HTTPResponse(\(status), headers: \(headers), body: \(body.count) bytes)"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self, children: ["status": status, "headers": headers, "body": "\(body.count) bytes"],
            displayStyle: .struct)
    }
}

/// The client key never prints; whether one is set does.
extension TLSConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "TLSConfiguration(ca: \(caPEM != nil), clientCertificate: \(clientCertificatePEM != nil), "
            + "clientKey: \(clientKeyPEM == nil ? "none" : "<redacted>"), insecureSkipVerify: \(insecureSkipVerify), "
            + "serverName: \(serverName ?? "-"))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "caPEM": caPEM.map { "\($0.count) bytes" } as Any,
                "clientCertificatePEM": clientCertificatePEM.map { "\($0.count) bytes" } as Any,
                "clientKeyPEM": clientKeyPEM.map { _ in "<redacted>" } as Any,
                "insecureSkipVerify": insecureSkipVerify, "serverName": serverName as Any,
            ],
            displayStyle: .struct)
    }
}
