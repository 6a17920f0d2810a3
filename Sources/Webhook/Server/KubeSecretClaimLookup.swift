import CRDModels
import KubeClient

/// Reads Secret claims of existing resources through the Kubernetes API (a consistent list of each kind).
public struct KubeSecretClaimLookup: SecretClaimLookup {
    public let client: KubeClient
    /// Deadline of each list call; well under the webhook's own `timeoutSeconds` (10 s by default).
    public let timeout: Duration

    public init(client: KubeClient, timeout: Duration = .seconds(4)) {
        self.client = client
        self.timeout = timeout
    }

    public func namespacedClaims(in namespace: String?) async throws -> [SecretClaim] {
        try await client.listAll(AWSECRImagePullSecret.self, namespace: namespace, timeout: timeout).items
            .map { $0.secretClaim(requestNamespace: nil) }
    }

    public func clusterClaims() async throws -> [SecretClaim] {
        try await client.listAll(ClusterAWSECRImagePullSecret.self, timeout: timeout).items
            .map { $0.secretClaim(requestNamespace: nil) }
    }
}
