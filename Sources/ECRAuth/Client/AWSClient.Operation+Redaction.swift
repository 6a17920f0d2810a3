import FoundationEssentials

/// An operation prints its API, endpoint, headers (credentials redacted by `HTTPHeader`) and body size;
/// never its body (an `AssumeRoleWithWebIdentity` body holds the token) nor `secretValues`.
extension AWSClient.Operation: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "Operation(\(api) \(method) \(endpoint.url)\(path), headers: \(headers), body: \(body.count) bytes, "
            + "secretValues: \(secretValues.count) redacted)"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "api": api, "endpoint": endpoint, "method": method, "path": path, "headers": headers,
                "body": "\(body.count) bytes", "secretValues": "\(secretValues.count) redacted",
            ],
            displayStyle: .struct)
    }
}
