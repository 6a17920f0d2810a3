import CRDModels
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// An in-process Kubernetes API server on 127.0.0.1 for tests, benchmarks and the demo.
///
/// It reproduces the kube-apiserver semantics an operator depends on (see issue 3 and
/// PROTOCOLS.md section 5): discovery, resourceVersion and 409 conflicts, Status bodies,
/// generation, the status subresource, selectors, pagination, metadata-only responses, watch
/// with bookmarks and 410 Gone, merge and JSON patch, finalizers, ownerReference garbage
/// collection, namespace lifecycle, bearer-token (static and ServiceAccount) and client-certificate
/// authentication with RBAC authorization of every request (`KubeAPITestServer+Access.swift`). Tests can
/// inject faults, count requests, and read or seed state directly.
///
/// Deliberate differences from the real server are noted where they are implemented: strategic
/// merge patch is applied as a JSON merge patch, server-side apply answers 415, there is no OpenAPI
/// (kubectl falls back) and no schema validation, pruning or defaulting of custom resources.
public final class KubeAPITestServer: Sendable {
    /// `http://127.0.0.1:<port>` or `https://127.0.0.1:<port>`.
    public let baseURL: String
    /// The admin's bearer token (user `admin` in group `system:masters`). With nil, requests without
    /// credentials are the admin instead of `system:anonymous`.
    public let token: String?
    /// PEM of the CA that signed the server certificate (TLS only).
    public let caPEM: Data?
    let store: ClusterStore
    let faults: FaultInjector
    let access: AccessControl
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let collector: CollectionScheduler
    let tlsMaterial: TLSMaterial?
    private let logger: Logger

    /// Starts a server on a loopback port (`port` 0: a free one) with the usual namespaces (`default`,
    /// `kube-system`, `kube-public`, `kube-node-lease`).
    public static func start(
        tls: Bool = false, token: String? = "test-token", options: KubeAPITestServerOptions = .init(),
        port: Int = 0, logger: Logger = Logger(label: "kube-api-test-server")
    ) async throws -> KubeAPITestServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let collector = CollectionScheduler(loop: loop)
        let store = ClusterStore(options: options, requestCollection: { collector.request() })
        collector.attach(store)
        let faults = FaultInjector()
        let access = AccessControl(adminToken: token, store: store, logger: logger)
        let tlsMaterial = tls ? try TLSMaterial.make() : nil
        let addressBox = NIOLockedValueBox("127.0.0.1:0")
        do {
            let bootstrap = ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let router = APIRouter(
                            store: store, access: access, serverAddress: addressBox.withLockedValue { $0 })
                        if let tlsMaterial { try tlsMaterial.addHandler(to: channel, logger: logger) }
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(
                            APIServerHandler(
                                router: router, faults: faults, options: { store.withLock { store.options } },
                                logger: logger))
                    }
                }
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            let channel = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
            let port = channel.localAddress?.port ?? 0
            addressBox.withLockedValue { $0 = "127.0.0.1:\(port)" }
            let server = KubeAPITestServer(
                baseURL: "\(tls ? "https" : "http")://127.0.0.1:\(port)", token: token, caPEM: tlsMaterial?.caPEM,
                store: store, faults: faults, access: access, group: group, channel: channel,
                collector: collector, tlsMaterial: tlsMaterial, logger: logger)
            for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
                _ = try server.seed(
                    .object([
                        "apiVersion": .string("v1"), "kind": .string("Namespace"),
                        "metadata": .object(["name": .string(name)]),
                    ]))
            }
            for object in RBACDefaults.objects() { try server.seed(object) }
            // Bootstrapping happened before any client could watch: as on a real cluster, whose watch
            // cache starts later, a watch from these early resourceVersions is too old (410).
            server.compactWatchHistory()
            logger.debug("Kubernetes API test server listening", metadata: ["url": "\(server.baseURL)"])
            return server
        } catch {
            tlsMaterial?.remove()
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private init(
        baseURL: String, token: String?, caPEM: Data?, store: ClusterStore, faults: FaultInjector,
        access: AccessControl, group: MultiThreadedEventLoopGroup, channel: any Channel, collector: CollectionScheduler,
        tlsMaterial: TLSMaterial?, logger: Logger
    ) {
        self.baseURL = baseURL
        self.token = token
        self.caPEM = caPEM
        self.store = store
        self.faults = faults
        self.access = access
        self.group = group
        self.channel = channel
        self.collector = collector
        self.tlsMaterial = tlsMaterial
        self.logger = logger
    }

    /// Stops listening, ends every watch and connection, and stops the event loop.
    public func shutdown() async {
        store.closeAllWatches(abruptly: true)
        collector.detach()
        try? await channel.close()
        tlsMaterial?.remove()
        do {
            try await group.shutdownGracefully()
        } catch {
            logger.warning("event loop shutdown failed", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Options

    /// Changes tunables while running (e.g. a short bookmark interval or a tiny watch window).
    public func updateOptions(_ change: (inout KubeAPITestServerOptions) -> Void) {
        store.withLock {
            change(&store.options)
            store.hub.historyLimit = store.options.watchHistoryLimit
        }
    }

    // MARK: Direct state access

    /// The current global resourceVersion.
    public var resourceVersion: String { String(store.withLock { store.resourceVersion }) }

    /// One stored object, by resource (`secrets`, `leases`, `awsecrimagepullsecrets` or
    /// `plural.group`), namespace (nil for cluster-scoped) and name.
    public func object(_ resource: String, namespace: String? = nil, name: String) -> JSONValue? {
        guard let type = store.resourceType(named: resource) else { return nil }
        guard let object = store.peek(type.groupResource, namespace: namespace ?? "", name: name) else { return nil }
        return RenderOptions(type: type, metadataOnly: false).render(object)
    }

    /// All stored objects of a resource, in one namespace or all, sorted by namespace and name.
    public func objects(_ resource: String, namespace: String? = nil) -> [JSONValue] {
        guard let type = store.resourceType(named: resource) else { return [] }
        let render = RenderOptions(type: type, metadataOnly: false)
        return store.withLock { store.matching(type.groupResource, namespace: namespace) }.map { render.render($0) }
    }

    /// Creates the object, or replaces it unconditionally if it exists, with the server's usual
    /// rules (uid, resourceVersion, generation, events to watchers). Its `apiVersion` and `kind`
    /// pick the resource; CustomResourceDefinitions register their resources.
    @discardableResult
    public func seed(_ object: JSONValue) throws -> JSONValue {
        let apiVersion = object["apiVersion"]?.stringValue ?? ""
        let kind = object["kind"]?.stringValue ?? ""
        guard let type = store.resourceType(apiVersion: apiVersion, kind: kind) else {
            throw APIError.badRequest("no resource is registered for apiVersion \(apiVersion) kind \(kind)")
        }
        let namespace = object["metadata"]?["namespace"]?.stringValue ?? (type.namespaced ? "default" : "")
        let name = object["metadata"]?["name"]?.stringValue ?? ""
        let key = type.namespaced ? namespace : ""
        if store.peek(type.groupResource, namespace: key, name: name) == nil || name.isEmpty {
            return try store.create(type, namespace: namespace, body: object)
        } else {
            var replacement = object
            replacement["metadata"]?["resourceVersion"] =
                store.peek(type.groupResource, namespace: key, name: name)?["metadata"]?["resourceVersion"]
            return try store.update(type, namespace: namespace, name: name, body: replacement, statusOnly: false)
        }
    }

    /// Deletes an object as a DELETE request would (finalizers are honoured).
    public func deleteObject(_ resource: String, namespace: String? = nil, name: String) throws {
        guard let type = store.resourceType(named: resource) else {
            throw APIError.badRequest("unknown resource \(resource)")
        }
        _ = try store.delete(type, namespace: namespace ?? "", name: name, preconditions: .init())
    }

    /// Reads every CustomResourceDefinition in the YAML files of a directory (e.g. `config/crd`) and
    /// creates it, registering its resources.
    public func installCRDs(fromDirectory path: String) throws {
        for document in try CRDLoader.crdDocuments(inDirectory: path) { try seed(document) }
    }

    // MARK: Watch control

    /// Compacts storage at the current resourceVersion, as etcd compaction does: every
    /// resourceVersion and continue token issued before now is too old (watches and continued lists
    /// get 410 Expired).
    public func compact() {
        store.withLock {
            store.hub.compact(through: store.resourceVersion)
            store.snapshots = [:]
        }
    }

    /// Forgets the watch history up to now: a watch from any older resourceVersion gets 410 Gone.
    public func compactWatchHistory() {
        store.withLock { store.hub.compact(through: store.resourceVersion) }
    }

    /// Makes every outstanding list continue token expire (410 on the next page).
    public func expireContinueTokens() {
        store.withLock { store.snapshots = [:] }
    }

    /// Ends every open watch now: cleanly (end of the chunked body, as on a server timeout) or
    /// abruptly (the connection is closed, as when it drops).
    public func closeWatches(abruptly: Bool = false) {
        store.closeAllWatches(abruptly: abruptly)
    }

    /// Ends every open watch mid-stream with an ERROR event `410 Expired`, as the API server does when etcd
    /// compacts past a watch's position, after compacting the watch history (a re-watch from the
    /// version the client last saw gets 410 too: it must relist).
    public func expireWatches() {
        let watchers = store.withLock {
            store.hub.compact(through: store.resourceVersion)
            return store.hub.removeAll()
        }
        let error = APIError.expired("The resourceVersion for the provided watch is too old.")
        for watcher in watchers {
            watcher.sink(.line(Watcher.line(.object(["type": .string("ERROR"), "object": error.status]))))
            watcher.sink(.end)
        }
    }

    /// How many watches are open.
    public var openWatchCount: Int { store.openWatchCount }

    // MARK: Faults and counting

    /// Fails the next `count` requests whose method (any if nil) and path+query (containing
    /// `pathContains`) match, with `status` and the real server's Status reason for it. With
    /// `retryAfterSeconds`, adds `Retry-After` and `details.retryAfterSeconds` (use 429 for throttling).
    public func injectFault(
        method: String? = nil, pathContains: String = "", status: Int, count: Int = 1, retryAfterSeconds: Int? = nil,
        message: String? = nil
    ) {
        faults.addFailure(
            .init(
                method: method, pathContains: pathContains, remaining: count, status: status,
                retryAfterSeconds: retryAfterSeconds, message: message))
    }

    /// Delays responses to matching requests (`count` nil: until `clearFaults()`). The request is served at
    /// once and its answer held; with `holdsRequest`, the request itself waits and is served when the delay
    /// ends, even if its client has gone meanwhile (a write already queued in the API server lands late).
    public func injectLatency(
        _ delay: Duration, method: String? = nil, pathContains: String = "", count: Int? = nil,
        holdsRequest: Bool = false
    ) {
        faults.addLatency(
            .init(
                method: method, pathContains: pathContains, remaining: count, delay: delay,
                holdsRequest: holdsRequest))
    }

    /// Requests held by `injectLatency(holdsRequest: true)` that have not been served yet.
    public var heldRequestCount: Int { faults.heldRequests }

    /// The next watch whose path+query contains `pathContains` is dropped (connection closed)
    /// after it has sent `afterEvents` events.
    public func dropNextWatch(pathContains: String = "", afterEvents: Int) {
        store.withLock { store.pendingWatchDrops.append((pathContains, afterEvents)) }
    }

    /// Removes pending failures, latencies and watch drops.
    public func clearFaults() {
        faults.clear()
        store.withLock { store.pendingWatchDrops = [] }
    }

    /// Requests received so far with this method (any if nil) whose path+query contains `pathContains`.
    public func requestCount(method: String? = nil, pathContains: String? = nil) -> Int {
        faults.count(method: method, pathContains: pathContains)
    }

    /// When each request with this method (any if nil) whose path+query contains `pathContains` arrived.
    public func requestTimes(method: String? = nil, pathContains: String? = nil) -> [ContinuousClock.Instant] {
        faults.times(method: method, pathContains: pathContains)
    }
}

/// Runs the garbage collector shortly after changes, once per burst, on the server's event loop.
final class CollectionScheduler: Sendable {
    private let loop: any EventLoop
    private let state = NIOLockedValueBox<(pending: Bool, store: ClusterStore?)>((false, nil))

    init(loop: any EventLoop) { self.loop = loop }

    func attach(_ store: ClusterStore) { state.withLockedValue { $0.store = store } }
    func detach() { state.withLockedValue { $0.store = nil } }

    func request() {
        let (schedule, delay): (Bool, Duration) = state.withLockedValue { state in
            guard let store = state.store, !state.pending else { return (false, .zero) }
            state.pending = true
            return (true, store.withLock { store.options.garbageCollectionDelay })
        }
        guard schedule else { return }
        loop.scheduleTask(in: .milliseconds(delay.milliseconds)) { [self] in
            let store = state.withLockedValue { state -> ClusterStore? in
                state.pending = false
                return state.store
            }
            store?.collectGarbage()
        }
    }
}
