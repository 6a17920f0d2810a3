import CRDModels
import FoundationEssentials
import HTTPClient
import JSONDecoding
import Logging

/// Typed REST access to one API server over an `HTTPTransport`.
///
/// Namespaced kinds need an explicit namespace for get/update/patch/delete (a nil namespace is
/// refused rather than silently defaulted); `list`/`watch` with nil namespace span all namespaces.
/// Every call has a deadline (`timeout`, default `requestTimeout`); at most `maxConcurrentRequests`
/// non-watch requests are in flight, the rest wait in FIFO order. A 401 re-reads a rotating token
/// file or re-runs the exec plugin and retries once.
public final class KubeClient: Sendable {
    public let config: KubeConfig
    public let transport: any HTTPTransport
    public let credentials: CredentialProvider
    public let limiter: RequestLimiter
    public let requestTimeout: Duration
    /// Upper bound of one watch line (one serialized object); longer lines end the watch.
    public let maxWatchLineBytes: Int
    let metrics: KubeClientMetrics
    let logger: Logger

    public init(
        config: KubeConfig, transport: any HTTPTransport, maxConcurrentRequests: Int = 32,
        requestTimeout: Duration = .seconds(30), maxWatchLineBytes: Int = 16 << 20,
        credentials: CredentialProvider? = nil, logger: Logger = Logger(label: "kube-client")
    ) {
        self.config = config
        self.transport = transport
        self.credentials = credentials ?? CredentialProvider(auth: config.auth)
        self.limiter = RequestLimiter(limit: maxConcurrentRequests)
        self.requestTimeout = requestTimeout
        self.maxWatchLineBytes = maxWatchLineBytes
        self.metrics = KubeClientMetrics(server: config.server)
        self.logger = logger
    }

    // MARK: - Typed operations

    public func get<R: KubeResource>(
        _ type: R.Type = R.self, name: String, namespace: String? = nil, timeout: Duration? = nil
    ) async throws -> R {
        let path = try objectPath(R.self, name: name, namespace: namespace)
        let response = try await perform("GET", path: path, timeout: timeout)
        return try decode(R.self, from: response.body, request: "GET \(path)")
    }

    /// `get`, with nil for 404 (the common "does it exist yet" read of leases and owned objects).
    public func getIfPresent<R: KubeResource>(
        _ type: R.Type = R.self, name: String, namespace: String? = nil, timeout: Duration? = nil
    ) async throws -> R? {
        do {
            return try await get(R.self, name: name, namespace: namespace, timeout: timeout)
        } catch let error as KubeAPIError where error.isNotFound {
            return nil
        }
    }

    /// One page (or all, without `limit`) of a collection.
    public func list<R: KubeResource>(
        _ type: R.Type = R.self, namespace: String? = nil, options: ListOptions = ListOptions(),
        timeout: Duration? = nil
    ) async throws -> ObjectList<R> {
        try checkTyped(R.self)
        let path = R.resource.path(namespace: namespace)
        let response = try await perform("GET", path: path, query: options.queryItems, timeout: timeout)
        return try decodeList(R.self, from: response.body, request: "GET \(path)")
    }

    /// Every page of a collection, following `continue` tokens. When a token expires (410) the
    /// listing restarts from scratch, up to three times.
    public func listAll<R: KubeResource>(
        _ type: R.Type = R.self, namespace: String? = nil, options: ListOptions = ListOptions(), pageSize: Int = 500,
        timeout: Duration? = nil
    ) async throws -> ObjectList<R> {
        try await paginate(options: options, pageSize: pageSize) { pageOptions in
            try await self.list(R.self, namespace: namespace, options: pageOptions, timeout: timeout)
        }
    }

    /// Creates `object` in `namespace`, or in `object.metadata.namespace` when nil.
    public func create<R: KubeResource>(_ object: R, namespace: String? = nil, timeout: Duration? = nil) async throws -> R {
        try await post(object, namespace: namespace, answer: R.self, timeout: timeout)
    }

    /// PUT of the whole object; `metadata.resourceVersion` makes it conditional (409 when stale).
    public func update<R: KubeResource>(_ object: R, timeout: Duration? = nil) async throws -> R {
        try await put(object, subresource: nil, answer: R.self, timeout: timeout)
    }

    /// `create`, answered with the stored object's metadata only (resourceVersion, uid, labels, owners):
    /// for a caller that holds the rest, the content it just sent, and need not decode it back.
    /// `encoded`: `object`'s JSON as the caller already wrote it, sent instead of encoding `object` again.
    public func createReturningMetadata<R: KubeResource>(
        _ object: R, encoded: Data? = nil, namespace: String? = nil, timeout: Duration? = nil
    ) async throws -> ObjectMeta {
        try await post(
            object, encoded: encoded, namespace: namespace, answer: PartialObjectMetadata.self, timeout: timeout
        ).metadata
    }

    /// `update`, answered with the stored object's metadata only (see `createReturningMetadata`).
    public func updateReturningMetadata<R: KubeResource>(_ object: R, encoded: Data? = nil, timeout: Duration? = nil)
        async throws -> ObjectMeta
    {
        try await put(object, encoded: encoded, subresource: nil, answer: PartialObjectMetadata.self, timeout: timeout)
            .metadata
    }

    /// PUT to `/status`: only `.status` changes when the kind has the status subresource.
    public func updateStatus<R: KubeResource>(_ object: R, timeout: Duration? = nil) async throws -> R {
        try await put(object, subresource: "status", answer: R.self, timeout: timeout)
    }

    /// RFC 7386 JSON merge patch (`application/merge-patch+json`). A `null` deletes a key; including
    /// `metadata.resourceVersion` makes it conditional.
    public func patch<R: KubeResource>(
        _ type: R.Type = R.self, name: String, namespace: String? = nil, mergePatch: JSONValue,
        subresource: String? = nil, timeout: Duration? = nil
    ) async throws -> R {
        let path = try objectPath(R.self, name: name, namespace: namespace, subresource: subresource)
        let body: Data
        do {
            body = try mergePatch.serialized()
        } catch {
            throw KubeAPIError(code: .invalidRequest, message: "cannot encode merge patch", cause: error)
        }
        let response = try await perform(
            "PATCH", path: path, body: body, contentType: "application/merge-patch+json", timeout: timeout)
        return try decode(R.self, from: response.body, request: "PATCH \(path)")
    }

    /// Deletes one object. Preconditions turn a delete of a replaced or changed object into a 409.
    public func delete<R: KubeResource>(
        _ type: R.Type = R.self, name: String, namespace: String? = nil, preconditions: DeletePreconditions? = nil,
        propagationPolicy: PropagationPolicy? = nil, gracePeriodSeconds: Int? = nil, timeout: Duration? = nil
    ) async throws {
        let path = try objectPath(R.self, name: name, namespace: namespace)
        var body = Data()
        if preconditions != nil || propagationPolicy != nil || gracePeriodSeconds != nil {
            body = try encode(
                DeleteOptions(
                    preconditions: preconditions, propagationPolicy: propagationPolicy,
                    gracePeriodSeconds: gracePeriodSeconds))
        }
        _ = try await perform(
            "DELETE", path: path, body: body, contentType: body.isEmpty ? nil : "application/json", timeout: timeout)
    }

    // MARK: - Metadata-only

    /// The Accept header that asks for `PartialObjectMetadataList` instead of full objects. There is
    /// deliberately no plain `application/json` fallback: the operator must never receive Secret data.
    public static let metadataListAccept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"

    /// The Accept header of metadata-only watches. The API server converts each watch event's object
    /// on its own, so the per-object form comes first (kube-rs `watch_metadata` sends it); the list
    /// form follows for servers that key on it.
    public static let metadataWatchAccept =
        "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,"
        + "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"

    /// The Accept header of a metadata-only read of one object, and of a write answered with metadata only
    /// (the API server's create, update and patch handlers render their result in the negotiated form).
    public static let metadataAccept = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"

    /// Reads only the metadata of one `resource` object (never its data): enough to tell whose it is.
    public func getMetadata(
        _ resource: ResourceDescriptor, name: String, namespace: String?, timeout: Duration? = nil
    ) async throws -> PartialObjectMetadata {
        guard !name.isEmpty else {
            throw KubeAPIError(code: .invalidRequest, message: "\(resource.kind) name must not be empty")
        }
        let path = resource.path(namespace: namespace, name: name, subresource: nil)
        let response = try await perform("GET", path: path, accept: Self.metadataAccept, timeout: timeout)
        return try decode(PartialObjectMetadata.self, from: response.body, request: "GET \(path)")
    }

    /// Lists only the metadata of `resource` objects (never their data).
    public func listMetadata(
        _ resource: ResourceDescriptor, namespace: String? = nil, options: ListOptions = ListOptions(),
        timeout: Duration? = nil
    ) async throws -> ObjectList<PartialObjectMetadata> {
        let path = resource.path(namespace: namespace)
        let response = try await perform(
            "GET", path: path, query: options.queryItems, accept: Self.metadataListAccept, timeout: timeout)
        return try decodeList(PartialObjectMetadata.self, from: response.body, request: "GET \(path)")
    }

    /// The body of a GET of a non-resource path (e.g. `/metrics`, `/version`), with this client's credentials,
    /// limiter and errors.
    public func nonResourceGET(_ path: String, accept: String, timeout: Duration? = nil) async throws -> Data {
        try await perform("GET", path: path, accept: accept, timeout: timeout).body
    }

    // MARK: - Internals

    /// The Accept header of a write whose answer decodes as `A`: the object, or its metadata only.
    private func accept<A: KubeResource>(answering answer: A.Type) -> String {
        A.self == PartialObjectMetadata.self ? Self.metadataAccept : "application/json"
    }

    private func post<R: KubeResource, A: KubeResource>(
        _ object: R, encoded: Data? = nil, namespace: String?, answer: A.Type, timeout: Duration?
    ) async throws -> A {
        try checkTyped(R.self)
        let namespace = try requireNamespace(R.self, namespace ?? object.metadata.namespace)
        let path = R.resource.path(namespace: namespace)
        let response = try await perform(
            "POST", path: path, body: try encoded ?? encode(object), contentType: "application/json",
            accept: accept(answering: A.self), timeout: timeout)
        return try decode(A.self, from: response.body, request: "POST \(path)", template: object.metadata)
    }

    private func put<R: KubeResource, A: KubeResource>(
        _ object: R, encoded: Data? = nil, subresource: String?, answer: A.Type, timeout: Duration?
    ) async throws -> A {
        guard let name = object.metadata.name, !name.isEmpty else {
            throw KubeAPIError(code: .invalidRequest, message: "update of \(R.resource.kind) needs metadata.name")
        }
        let path = try objectPath(R.self, name: name, namespace: object.metadata.namespace, subresource: subresource)
        let response = try await perform(
            "PUT", path: path, body: try encoded ?? encode(object), contentType: "application/json",
            accept: accept(answering: A.self), timeout: timeout)
        return try decode(A.self, from: response.body, request: "PUT \(path)", template: object.metadata)
    }

    private func paginate<R: KubeResource>(
        options: ListOptions, pageSize: Int, page: (ListOptions) async throws -> ObjectList<R>
    ) async throws -> ObjectList<R> {
        var attempts = 0
        while true {
            attempts += 1
            var pageOptions = options
            pageOptions.limit = pageSize
            pageOptions.continueToken = nil
            var result: ObjectList<R>?
            do {
                while true {
                    let current = try await page(pageOptions)
                    if result == nil {
                        result = current
                    } else {
                        result?.items.append(contentsOf: current.items)
                    }
                    guard let token = current.metadata.continue, !token.isEmpty else { break }
                    pageOptions.continueToken = token
                    // Pages after the first are served from the first page's snapshot.
                    pageOptions.resourceVersion = nil
                    pageOptions.resourceVersionMatch = nil
                }
            } catch let error as KubeAPIError where error.isGone && pageOptions.continueToken != nil && attempts < 3 {
                logger.debug("continue token expired; restarting the list", metadata: ["k8s.error": "\(error)"])
                continue
            }
            guard var list = result else { throw KubeAPIError(code: .decoding, message: "empty list response") }
            list.metadata.continue = nil
            list.metadata.remainingItemCount = nil
            return list
        }
    }

    func checkTyped<R: KubeResource>(_ type: R.Type) throws {
        if R.resource.plural.isEmpty {
            throw KubeAPIError(
                code: .invalidRequest,
                message: "\(R.resource.kind) has no REST collection; use listMetadata/watchMetadata")
        }
    }

    func requireNamespace<R: KubeResource>(_ type: R.Type, _ namespace: String?) throws -> String? {
        guard R.resource.namespaced else { return nil }
        guard let namespace, !namespace.isEmpty else {
            throw KubeAPIError(
                code: .invalidRequest, message: "\(R.resource.kind) is namespaced: a namespace is required")
        }
        return namespace
    }

    func objectPath<R: KubeResource>(
        _ type: R.Type, name: String, namespace: String?, subresource: String? = nil
    ) throws -> String {
        try checkTyped(R.self)
        guard !name.isEmpty else {
            throw KubeAPIError(code: .invalidRequest, message: "\(R.resource.kind) name must not be empty")
        }
        let namespace = try requireNamespace(R.self, namespace)
        return R.resource.path(namespace: namespace, name: name, subresource: subresource)
    }

    func encode<T: Encodable>(_ value: T) throws -> Data {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            return try encoder.encode(value)
        } catch {
            throw KubeAPIError(code: .invalidRequest, message: "cannot encode \(T.self)", cause: error)
        }
    }

    /// Decodes an answer with `FlatJSONDecoder` (JSONDecoder's semantics in one scan, see `FlatJSON`).
    /// Metadata-only answers (one per write of a managed Secret) are read straight from the table
    /// (`FlatJSONDecoder.metadataObject`), with the values and errors of their `Codable` decode; the labels,
    /// annotations and owner references of a write's answer that equal those sent (`template`) are the sent copies.
    func decode<T: Decodable>(
        _ type: T.Type, from data: Data, request: String, template: ObjectMeta? = nil
    ) throws -> T {
        do {
            if T.self == PartialObjectMetadata.self {
                let object = try FlatJSONDecoder().metadataObject(from: data, template: template)
                return unsafeBitCast(PartialObjectMetadata(object), to: T.self)
            }
            return try FlatJSONDecoder().decode(T.self, from: data)
        } catch {
            throw KubeAPIError.decoding(error, type: "\(T.self)", request: request)
        }
    }

    /// Decodes a list; `ObjectList` supplies the `apiVersion`/`kind` the server omits on items.
    func decodeList<R: KubeResource>(_ type: R.Type, from data: Data, request: String) throws -> ObjectList<R> {
        try decode(ObjectList<R>.self, from: data, request: request)
    }

    func url(path: String, query: [(String, String)]) -> String {
        query.isEmpty ? config.server + path : config.server + path + "?" + encodeQuery(query)
    }

    func headers(accept: String, contentType: String?) async throws -> [HTTPHeader] {
        var headers = [HTTPHeader("Accept", accept)]
        if let contentType { headers.append(HTTPHeader("Content-Type", contentType)) }
        let authorization: String?
        do {
            authorization = try await credentials.authorization()
        } catch {
            throw KubeAPIError(
                code: .unauthorized, message: "cannot obtain credentials: \(error)", cause: error)
        }
        if let authorization { headers.append(HTTPHeader("Authorization", authorization)) }
        return headers
    }

    /// Sends one request and returns a 2xx response; anything else becomes a `KubeAPIError`.
    func perform(
        _ method: String, path: String, query: [(String, String)] = [], body: Data = Data(),
        contentType: String? = nil, accept: String = "application/json", timeout: Duration? = nil
    ) async throws -> HTTPResponse {
        let label = "\(method) \(path)"
        var attempt = 0
        while true {
            attempt += 1
            let request = HTTPRequest(
                method: method, url: url(path: path, query: query),
                headers: try await headers(accept: accept, contentType: contentType), body: body,
                timeout: timeout ?? requestTimeout)
            let response: HTTPResponse
            let start = ContinuousClock.now
            do {
                response = try await limiter.withSlot { try await self.transport.send(request) }
            } catch {
                metrics.record(method: method, status: nil, elapsed: ContinuousClock.now - start)
                throw KubeAPIError.transport(error, request: label)
            }
            metrics.record(method: method, status: response.status, elapsed: ContinuousClock.now - start)
            if (200..<300).contains(response.status) { return response }
            if response.status == 401, attempt == 1, credentials.canRefresh {
                await credentials.invalidate()
                continue
            }
            throw KubeAPIError.fromResponse(
                httpStatus: response.status, headers: response.headers, body: response.body, request: label)
        }
    }
}
