import Redaction

/// The desired Secret prints its name, labels, annotations and owner, and only the size of the
/// `.dockerconfigjson` bytes (they hold every registry's password; `dump` would list them byte by byte).
extension DesiredSecret: RedactedPrinting {
    public var printedFields: KeyValuePairs<String, Any?> {
        [
            "name": "\(namespace)/\(name)", "labels": labels, "annotations": annotations,
            "owner": "\(owner.kind)/\(owner.name)",
            "dockerConfigJSON": "\(dockerConfigJSON.count) bytes \(Redaction.placeholder)",
        ]
    }
}
