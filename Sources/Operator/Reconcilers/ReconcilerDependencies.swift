import CRDModels
import FoundationEssentials
import KubeClient
import Logging

/// Everything a reconciler uses, each behind the narrowest type that does the job, so a reconciler
/// runs against an in-memory API in tests as it runs against the API server in production.
public struct ReconcilerDependencies: Sendable {
    /// Reads and writes by name (Secrets, ServiceAccounts, the resources' status and finalizers).
    public var api: any KubeObjectAPI
    public var tokens: any TokenSource
    public var events: (any EventSink)?
    public var settings: OperatorSettings
    public var clock: any OperatorClock
    public var logger: Logger
    /// What this process last wrote to each target Secret (shared with the watch that ignores our own writes).
    public var written: WrittenSecrets
    /// The informer caches the reconcilers read.
    public var caches: Caches
    /// The cluster resources' namespace selections over `caches.namespaces`.
    public var selections: NamespaceSelectionCache

    /// The informer caches: resources, namespaces and the metadata of managed Secrets.
    public struct Caches: Sendable {
        public var namespacedResources: ObjectStore<AWSECRImagePullSecret>
        public var clusterResources: ObjectStore<ClusterAWSECRImagePullSecret>
        public var namespaces: ObjectStore<CachedNamespace>
        /// Metadata of Secrets labelled managed-by this operator, indexed by the uid of their controller.
        public var managedSecrets: ObjectStore<PartialObjectMetadata>

        public init(
            namespacedResources: ObjectStore<AWSECRImagePullSecret> = .init(),
            clusterResources: ObjectStore<ClusterAWSECRImagePullSecret> = .init(),
            namespaces: ObjectStore<CachedNamespace> = .init(),
            managedSecrets: ObjectStore<PartialObjectMetadata> = .init(index: PartialObjectMetadata.controllerUID)
        ) {
            self.namespacedResources = namespacedResources
            self.clusterResources = clusterResources
            self.namespaces = namespaces
            self.managedSecrets = managedSecrets
        }
    }

    public init(
        api: any KubeObjectAPI, tokens: any TokenSource, events: (any EventSink)?, settings: OperatorSettings,
        clock: any OperatorClock = SystemClock(), logger: Logger, written: WrittenSecrets = WrittenSecrets(),
        caches: Caches = Caches(), selections: NamespaceSelectionCache = NamespaceSelectionCache()
    ) {
        self.api = api
        self.tokens = tokens
        self.events = events
        self.settings = settings
        self.clock = clock
        self.logger = logger
        self.written = written
        self.caches = caches
        self.selections = selections
    }
}
