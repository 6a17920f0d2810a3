import CRDModels
import ECRAuth

/// Operator-wide settings from the command line.
public struct OperatorSettings: Sendable {
    public var ambientPolicy: AmbientCredentialsPolicy
    /// Used when a resource sets no `refreshInterval`.
    public var defaultRefreshInterval: Duration
    /// `--watch-namespace`; nil or empty watches every namespace.
    public var watchNamespace: String?
    /// When tokens are replaced and resources requeued.
    public var refresh: RefreshPolicy
    /// Target namespaces written concurrently per reconcile.
    public var namespaceParallelism: Int
    /// `--watch-secrets`: keep a metadata-only cache of managed Secrets and watch credential Secrets
    /// (needs list/watch on Secrets). Off: every write reads the Secret first, credential edits are
    /// noticed at the next refresh, and pruning covers the Secrets this process wrote.
    public var watchSecrets: Bool

    public init(
        ambientPolicy: AmbientCredentialsPolicy = .clusterOnly, defaultRefreshInterval: Duration = .seconds(6 * 3600),
        watchNamespace: String? = nil, refresh: RefreshPolicy = RefreshPolicy(), namespaceParallelism: Int = 16,
        watchSecrets: Bool = true
    ) {
        self.watchSecrets = watchSecrets
        self.ambientPolicy = ambientPolicy
        self.defaultRefreshInterval = defaultRefreshInterval
        self.watchNamespace = watchNamespace.flatMap { $0.isEmpty ? nil : $0 }
        self.refresh = refresh
        self.namespaceParallelism = namespaceParallelism
    }
}
