import Redaction

/// The environment holds `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` and the container authorization token,
/// and in production whatever else the process inherited: only the variable names print.
extension AWSEnvironment: RedactedPrinting {
    public var printedFields: KeyValuePairs<String, Any?> {
        ["names": variables.keys.sorted(), "values": Redaction.placeholder]
    }
}
