/// Inline keys and the external id never print: `"\(access)"`, `String(reflecting:)` and `dump` show the
/// region, the secret reference, the access key id's prefix and the role.
extension AWSAccess: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        var parts = ["region: \(region)"]
        if let secretRef { parts.append("secretRef: \(secretRef.namespace.map { "\($0)/" } ?? "")\(secretRef.name)") }
        if let accessKeyId { parts.append("accessKeyId: \(Redaction.prefix(accessKeyId))") }
        if secretAccessKey != nil { parts.append("secretAccessKey: \(Redaction.placeholder)") }
        if let roleARN { parts.append("roleARN: \(roleARN)") }
        if externalID != nil { parts.append("externalID: \(Redaction.placeholder)") }
        return "AWSAccess(" + parts.joined(separator: ", ") + ")"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "region": region, "secretRef": secretRef as Any,
                "accessKeyId": accessKeyId.map { Redaction.prefix($0) } as Any,
                "secretAccessKey": Redaction.optional(secretAccessKey) as Any, "roleARN": roleARN as Any,
                "externalID": Redaction.optional(externalID) as Any,
            ],
            displayStyle: .struct)
    }
}
