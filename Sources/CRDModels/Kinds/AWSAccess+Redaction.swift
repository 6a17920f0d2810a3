import Redaction

/// Inline keys and the external id never print: `"\(access)"`, `String(reflecting:)` and `dump` show the
/// region, the secret reference, the access key id's prefix and the role.
extension AWSAccess: RedactedPrinting {
    public var printedFields: KeyValuePairs<String, Any?> {
        [
            "region": region, "secretRef": secretRef.map { "\($0.namespace.map { "\($0)/" } ?? "")\($0.name)" },
            "accessKeyId": accessKeyId.map { Redaction.prefix($0) },
            "secretAccessKey": Redaction.optional(secretAccessKey), "roleARN": roleARN,
            "externalID": Redaction.optional(externalID),
        ]
    }
}
