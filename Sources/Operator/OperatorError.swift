/// An operator failure with a code a reconciler maps to a condition reason, a message safe to show
/// in status and events (never a secret value), and the underlying cause.
public struct OperatorError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        case emptyCredential
        case invalidResource
        case credentialsSecretMissing
        case credentialsSecretInvalid
        case ambientCredentialsNotAllowed
        case tokenRequestFailed
        case secretWriteFailed
        case secretConflict
        case kubeAPI
        case configuration
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?

    public init(code: Code, message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        if let cause { return "\(code.rawValue): \(message) (\(cause))" }
        return "\(code.rawValue): \(message)"
    }
}
