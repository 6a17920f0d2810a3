import CRDModels

/// The objects under review may hold inline `secretAccessKey`s (and, for a Secret, its data): a request
/// prints who asked for what, and whether objects are present, never their contents.
extension AdmissionRequest: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "AdmissionRequest(uid: \(uid), \(operation) \(kind.kind) \(namespace.map { "\($0)/" } ?? "")\(name ?? ""), "
            + "user: \(userInfo?.username ?? "-"), object: \(object == nil ? "none" : Redaction.placeholder), "
            + "oldObject: \(oldObject == nil ? "none" : Redaction.placeholder))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "uid": uid, "kind": kind, "resource": resource as Any, "subResource": subResource as Any,
                "name": name as Any, "namespace": namespace as Any, "operation": operation,
                "userInfo": userInfo as Any, "object": object.map { _ in Redaction.placeholder } as Any,
                "oldObject": oldObject.map { _ in Redaction.placeholder } as Any, "dryRun": dryRun as Any,
            ],
            displayStyle: .struct)
    }
}
