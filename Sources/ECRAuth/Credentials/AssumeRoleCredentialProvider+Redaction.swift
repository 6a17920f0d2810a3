import CRDModels

/// The external id (a shared secret between the role's owner and us) never prints; the role, the region
/// and the source provider (whose own description redacts its keys) do.
extension AssumeRoleCredentialProvider: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "AssumeRoleCredentialProvider(role: \(roleARN), region: \(region), session: \(sessionName), externalID: "
            + "\(externalID == nil ? "none" : Redaction.placeholder), source: \(String(reflecting: source)))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "roleARN": roleARN, "region": region, "sessionName": sessionName,
                "externalID": Redaction.optional(externalID) as Any, "source": source,
                "duration": duration as Any,
            ],
            displayStyle: .struct)
    }
}
