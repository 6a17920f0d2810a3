import CRDModels

/// A Secret prints its metadata, type and data keys with their sizes, never a value: `data` holds tokens and
/// keys, and `dump` would otherwise list them byte by byte. Client-side `kubectl apply` copies the whole
/// Secret into the last-applied annotation, so that one is redacted too.
extension Secret: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private var dataSizes: [String: String]? { data?.mapValues { "\($0.count) bytes \(Redaction.placeholder)" } }
    private var stringDataSizes: [String: String]? {
        stringData?.mapValues { "\($0.utf8.count) bytes \(Redaction.placeholder)" }
    }

    public var description: String {
        "Secret(\(metadata.namespace ?? "")/\(metadata.name ?? ""), type: \(type ?? "-"), data: "
            + "\((dataSizes ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }))"
    }

    public var debugDescription: String { description }

    static let lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

    private var redactedMetadata: ObjectMeta {
        var metadata = self.metadata
        if metadata.annotations?[Self.lastAppliedAnnotation] != nil {
            metadata.annotations?[Self.lastAppliedAnnotation] = Redaction.placeholder
        }
        return metadata
    }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "apiVersion": apiVersion, "kind": kind, "metadata": redactedMetadata, "data": dataSizes as Any,
                "stringData": stringDataSizes as Any, "type": type as Any, "immutable": immutable as Any,
            ],
            displayStyle: .struct)
    }
}
