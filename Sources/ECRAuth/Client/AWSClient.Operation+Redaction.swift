import FoundationEssentials
import Redaction

/// An operation prints its API, endpoint, headers (credentials redacted by `HTTPHeader`) and body size;
/// never its body (an `AssumeRoleWithWebIdentity` body holds the token) nor `secretValues`.
extension AWSClient.Operation: RedactedPrinting {
    public var printedFields: KeyValuePairs<String, Any?> {
        [
            "api": api, "method": method, "url": endpoint.url + path, "headers": headers,
            "body": "\(body.count) bytes", "secretValues": "\(secretValues.count) \(Redaction.placeholder)",
        ]
    }
}
