import CRDModels
import KubeClient

extension Namespace {
    /// What the namespace cache keeps: the name, version, labels and whether it is terminating, all that namespace
    /// selection reads. A real API server sends `managedFields` with every namespace (about a kilobyte, kept as a
    /// JSON tree), and annotations may hold anything; with 10,000 namespaces in the cluster both would stay in
    /// memory for nothing.
    @Sendable static func selectionFields(_ namespace: Namespace) -> Namespace {
        var metadata = namespace.metadata.identity
        metadata.labels = namespace.metadata.labels
        metadata.deletionTimestamp = namespace.metadata.deletionTimestamp
        return Namespace(metadata: metadata, status: namespace.status.map { NamespaceStatus(phase: $0.phase) })
    }
}
