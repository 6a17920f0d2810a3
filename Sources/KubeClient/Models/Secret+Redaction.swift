import CRDModels
import Redaction

/// A Secret prints its metadata, type and data keys with their sizes, never a value: `data` holds tokens and
/// keys, and `dump` would otherwise list them byte by byte. Client-side `kubectl apply` copies the whole
/// Secret into the last-applied annotation, so that one is redacted too.
extension Secret: RedactedPrinting {
    public var printedFields: KeyValuePairs<String, Any?> {
        [
            "metadata": redactedMetadata, "type": type, "data": sizes(of: data?.mapValues(\.count)),
            "stringData": sizes(of: stringData?.mapValues(\.utf8.count)), "immutable": immutable,
        ]
    }

    static let lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

    private var redactedMetadata: ObjectMeta {
        var metadata = self.metadata
        if metadata.annotations?[Self.lastAppliedAnnotation] != nil {
            metadata.annotations?[Self.lastAppliedAnnotation] = Redaction.placeholder
        }
        return metadata
    }

    /// `key: N bytes <redacted>` in key order.
    private func sizes(of counts: [String: Int]?) -> [String]? {
        counts?.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value) bytes \(Redaction.placeholder)" }
    }
}
