import CRDModels
import Foundation
import KubeClient
import Logging

/// Operator-wide settings from the command line.
public struct OperatorSettings: Sendable {
    public var ambientPolicy: AmbientCredentialsPolicy
    /// Used when a resource sets no `refreshInterval`.
    public var defaultRefreshInterval: Duration
    /// `--watch-namespace`; nil or empty watches every namespace.
    public var watchNamespace: String?
    public var schedule: RefreshSchedule
    /// Target namespaces written concurrently per reconcile.
    public var namespaceParallelism: Int
    /// `--watch-secrets`: keep a metadata-only cache of managed Secrets and watch credential Secrets
    /// (needs list/watch on Secrets). Off: every write reads the Secret first, credential edits are
    /// noticed at the next refresh, and pruning covers the Secrets this process wrote.
    public var watchSecrets: Bool

    public init(
        ambientPolicy: AmbientCredentialsPolicy = .clusterOnly, defaultRefreshInterval: Duration = .seconds(6 * 3600),
        watchNamespace: String? = nil, schedule: RefreshSchedule = RefreshSchedule(), namespaceParallelism: Int = 16,
        watchSecrets: Bool = true
    ) {
        self.watchSecrets = watchSecrets
        self.ambientPolicy = ambientPolicy
        self.defaultRefreshInterval = defaultRefreshInterval
        self.watchNamespace = watchNamespace.flatMap { $0.isEmpty ? nil : $0 }
        self.schedule = schedule
        self.namespaceParallelism = namespaceParallelism
    }
}

/// What both reconcilers share: the API client, the token source, the caches the informers fill,
/// the event recorder, settings and clock.
public final class ReconcileContext: Sendable {
    public let client: KubeClient
    public let tokens: any TokenSource
    public let events: EventRecorder?
    public let settings: OperatorSettings
    public let clock: any OperatorClock
    public let logger: Logger
    public let written = WrittenSecrets()
    /// Metadata of Secrets labelled managed-by this operator.
    public let managedSecrets: ObjectStore<PartialObjectMetadata>
    public let namespaces: ObjectStore<Namespace>
    public let namespacedResources: ObjectStore<AWSECRImagePullSecret>
    public let clusterResources: ObjectStore<ClusterAWSECRImagePullSecret>

    public init(
        client: KubeClient, tokens: any TokenSource, events: EventRecorder?, settings: OperatorSettings,
        clock: any OperatorClock = SystemClock(), logger: Logger,
        managedSecrets: ObjectStore<PartialObjectMetadata>, namespaces: ObjectStore<Namespace>,
        namespacedResources: ObjectStore<AWSECRImagePullSecret>,
        clusterResources: ObjectStore<ClusterAWSECRImagePullSecret>
    ) {
        self.client = client
        self.tokens = tokens
        self.events = events
        self.settings = settings
        self.clock = clock
        self.logger = logger
        self.managedSecrets = managedSecrets
        self.namespaces = namespaces
        self.namespacedResources = namespacedResources
        self.clusterResources = clusterResources
    }

    var secretWriter: SecretWriter { SecretWriter(client: client, written: written) }
    var serviceAccounts: ServiceAccountPatcher { ServiceAccountPatcher(client: client) }

    /// The finalizer that removes the Secret from ServiceAccounts when a resource goes.
    public static let finalizer = "ecr.pullsecrets.dev/service-accounts"
}
