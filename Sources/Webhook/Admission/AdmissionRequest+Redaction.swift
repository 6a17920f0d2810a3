import Redaction

/// The objects under review may hold inline `secretAccessKey`s (and, for a Secret, its data): a request
/// prints who asked for what, and whether objects are present, never their contents.
extension AdmissionRequest: RedactedPrinting {
    public var printedFields: KeyValuePairs<String, Any?> {
        [
            "uid": uid, "operation": operation, "kind": kind.kind, "resource": resource, "subResource": subResource,
            "name": "\(namespace.map { "\($0)/" } ?? "")\(name ?? "")", "user": userInfo?.username,
            "object": object.map { _ in Redaction.placeholder },
            "oldObject": oldObject.map { _ in Redaction.placeholder }, "dryRun": dryRun,
        ]
    }
}
