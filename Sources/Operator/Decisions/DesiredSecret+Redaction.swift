import CRDModels

/// The desired Secret prints its name, labels, annotations and owner, and only the size of the
/// `.dockerconfigjson` bytes (they hold every registry's password; `dump` would list them byte by byte).
extension DesiredSecret: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "DesiredSecret(\(namespace)/\(name), labels: \(labels), annotations: \(annotations), owner: "
            + "\(owner.kind)/\(owner.name), dockerConfigJSON: \(dockerConfigJSON.count) bytes \(Redaction.placeholder))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "name": name, "namespace": namespace, "labels": labels, "annotations": annotations, "owner": owner,
                "dockerConfigJSON": "\(dockerConfigJSON.count) bytes \(Redaction.placeholder)",
            ],
            displayStyle: .struct)
    }
}
