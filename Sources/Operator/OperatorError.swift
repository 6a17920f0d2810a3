/// An operator failure with a code, a message safe to show in status, events and logs (never a
/// secret value), and the underlying cause.
public struct OperatorError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        case emptyCredential
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
