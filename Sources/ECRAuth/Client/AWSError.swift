import CRDModels
import FoundationEssentials
import Redaction

/// An AWS call that failed: the service's error code and message, the request id, the HTTP status, and a
/// `kind` that decides the retry policy. Messages never carry a secret value (the client scrubs them).
public struct AWSError: Error, Sendable, CustomStringConvertible {
    /// What the failure means for the caller; decides retrying.
    public enum Kind: String, Sendable {
        /// Rate limited: retried with jittered exponential backoff.
        case throttling
        /// The session token or temporary credentials expired: credentials are re-fetched, then one retry.
        case expiredCredentials
        /// Unknown key, bad signature or bad token: credentials are re-fetched, then one retry.
        case invalidCredentials
        /// The identity may not do this: not retried.
        case accessDenied
        /// The request is wrong (bad region, bad registry id, bad role ARN): not retried.
        case invalidParameter
        /// 5xx or a transient service error: retried.
        case server
        /// No response (connect, TLS, timeout): retried.
        case transport
        /// A response arrived but its body could not be understood: not retried.
        case malformed
        /// No credential source could supply credentials (nothing configured, files missing).
        case credentialsUnavailable
        /// Any other client-side (4xx) error.
        case client
    }

    public var code: String
    public var message: String
    public var kind: Kind
    public var httpStatus: Int?
    public var requestID: String?
    /// The API that failed, e.g. `ecr:GetAuthorizationToken`.
    public var api: String?
    /// The underlying error (transport or decoding), when there is one.
    public var cause: (any Error & Sendable)?

    public init(
        code: String, message: String, kind: Kind, httpStatus: Int? = nil, requestID: String? = nil,
        api: String? = nil, cause: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.kind = kind
        self.httpStatus = httpStatus
        self.requestID = requestID
        self.api = api
        self.cause = cause
    }

    public var isRetryable: Bool { kind == .throttling || kind == .server || kind == .transport }
    public var isCredentialProblem: Bool { kind == .expiredCredentials || kind == .invalidCredentials }

    public var description: String {
        var text = api.map { "\($0): " } ?? ""
        text += "\(code): \(message)"
        var details: [String] = []
        if let httpStatus { details.append("status \(httpStatus)") }
        if let requestID { details.append("request id \(requestID)") }
        details.append("kind \(kind.rawValue)")
        text += " (" + details.joined(separator: ", ") + ")"
        if let cause { text += "; cause: \(cause)" }
        return text
    }

    /// Replaces every occurrence of the given secret values in the message (and drops a cause that mentions
    /// one), so a server echoing a credential back cannot leak it into logs or status.
    func redacting(_ secrets: [String]) -> AWSError {
        var copy = self
        for secret in secrets where !secret.isEmpty {
            copy.message = copy.message.replacing(secret, with: Redaction.placeholder)
            copy.code = copy.code.replacing(secret, with: Redaction.placeholder)
            if let cause, String(describing: cause).contains(secret) {
                copy.cause = nil
                copy.message += " (cause withheld: it contained a secret value)"
            }
        }
        return copy
    }
}

extension AWSError {
    static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown",
        "PriorRequestNotComplete",
    ]
    static let transientCodes: Set<String> = [
        "RequestTimeout", "RequestTimeoutException", "InternalFailure", "InternalError", "ServiceUnavailable",
        "ServerException", "IDPCommunicationError",
    ]
    static let expiredCodes: Set<String> = ["ExpiredToken", "ExpiredTokenException", "RequestExpired"]
    static let invalidCredentialCodes: Set<String> = [
        "UnrecognizedClientException", "InvalidClientTokenId", "SignatureDoesNotMatch", "InvalidSignatureException",
        "IncompleteSignature", "MissingAuthenticationTokenException", "MissingAuthenticationToken",
        "InvalidAccessKeyId",
    ]
    static let accessDeniedCodes: Set<String> = [
        "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "RegionDisabledException",
        "IDPRejectedClaim",
    ]
    static let invalidParameterCodes: Set<String> = [
        "InvalidParameterException", "InvalidParameterValue", "ValidationError", "ValidationException",
        "MalformedPolicyDocument", "PackedPolicyTooLarge", "InvalidIdentityToken", "UnsupportedCommandException",
        "InvalidParameterCombination", "MissingParameter",
    ]

    /// Classifies by error code first (statuses differ between services), then by HTTP status.
    static func classify(code: String, status: Int) -> Kind {
        if throttlingCodes.contains(code) { return .throttling }
        if expiredCodes.contains(code) { return .expiredCredentials }
        if invalidCredentialCodes.contains(code) { return .invalidCredentials }
        if accessDeniedCodes.contains(code) { return .accessDenied }
        if invalidParameterCodes.contains(code) { return .invalidParameter }
        if transientCodes.contains(code) { return .server }
        switch status {
        case 429: return .throttling
        case 500...599: return .server
        case 403: return .accessDenied
        default: return .client
        }
    }
}
