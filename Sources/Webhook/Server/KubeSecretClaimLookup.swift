import CRDModels
import KubeClient

/// Reads Secret claims of existing resources through the Kubernetes API (a consistent list of each kind).
public struct KubeSecretClaimLookup: SecretClaimLookup {
    public let client: KubeClient
    /// Deadline of each list call; well under the webhook's own `timeoutSeconds` (10 s by default).
    public let timeout: Duration
    /// False with `--watch-namespace`: the operator then may read only its namespace (the chart grants a Role,
    /// no cluster-wide access) and does not reconcile the cluster kind, so cluster claims are not looked up;
    /// a clash with a cluster resource is reported by the reconciler (`SecretConflict`) instead.
    public let clusterScope: Bool

    public init(client: KubeClient, timeout: Duration = .seconds(4), clusterScope: Bool = true) {
        self.client = client
        self.timeout = timeout
        self.clusterScope = clusterScope
    }

    public func namespacedClaims(in namespace: String?) async throws -> [SecretClaim] {
        try await client.listAll(AWSECRImagePullSecret.self, namespace: namespace, timeout: timeout).items
            .map { $0.secretClaim(requestNamespace: nil) }
    }

    public func clusterClaims() async throws -> [SecretClaim] {
        guard clusterScope else { return [] }
        return try await client.listAll(ClusterAWSECRImagePullSecret.self, timeout: timeout).items
            .map { $0.secretClaim(requestNamespace: nil) }
    }
}
