/// One broken rule: the JSON path of the field and a message naming the rule.
public struct FieldViolation: Hashable, Sendable, CustomStringConvertible {
    /// The rules that have a condition reason of their own (the others are `InvalidSpec`).
    public enum Rule: Sendable, Hashable {
        /// No credential source, and `--allow-ambient-credentials` does not let this kind use the
        /// operator's identity.
        case ambientCredentialsNotAllowed
    }

    /// Dotted path with list indices, e.g. `spec.awsAccess.region`, `spec.registries[1].accountID`.
    public var field: String
    /// The rule, with the offending value when it is not secret, e.g.
    /// `"mars-1" is not an AWS region of the aws, aws-cn or aws-us-gov partitions`.
    public var message: String
    public var rule: Rule?

    public init(field: String, message: String, rule: Rule? = nil) {
        self.field = field
        self.message = message
        self.rule = rule
    }

    public var description: String { "\(field): \(message)" }
}

/// Every violation of a resource, plus warnings (accepted, but the user should change something).
public struct ValidationReport: Hashable, Sendable {
    public var errors: [FieldViolation]
    /// Short (under 120 characters, as admission warnings should be) and never echoing a secret.
    public var warnings: [String]

    public init(errors: [FieldViolation] = [], warnings: [String] = []) {
        self.errors = errors
        self.warnings = warnings
    }

    public var isValid: Bool { errors.isEmpty }

    /// The errors as one line per violation, for a webhook denial or a condition message.
    public var summary: String { errors.map(\.description).joined(separator: "; ") }

    mutating func error(_ field: String, _ message: String, rule: FieldViolation.Rule? = nil) {
        errors.append(FieldViolation(field: field, message: message, rule: rule))
    }
}
