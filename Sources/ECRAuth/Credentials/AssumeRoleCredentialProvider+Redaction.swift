import Redaction

/// The external id (a shared secret between the role's owner and us) never prints; the role, the region
/// and the source provider (whose own description redacts its keys) do.
extension AssumeRoleCredentialProvider: RedactedPrinting {
    public var printedFields: KeyValuePairs<String, Any?> {
        [
            "roleARN": roleARN, "region": region, "sessionName": sessionName,
            "externalID": Redaction.optional(externalID), "duration": duration, "source": String(reflecting: source),
        ]
    }
}
