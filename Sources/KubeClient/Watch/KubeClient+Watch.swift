import CRDModels
import FoundationEssentials
import HTTPClient
import JSONDecoding

extension KubeClient {
    /// Events buffered between the connection and a slow consumer; beyond this the watch ends with
    /// an error and the consumer re-watches from the last version it processed.
    public static let watchBufferEvents = 1024

    /// The executor the current task tree prefers (SE-0417), for the task that reads a watch: `Task {}` does not
    /// inherit a task executor preference, but it does inherit task-local values. The operator sets both to its
    /// one thread, so a watch event is read, decoded and handed on without waking another thread.
    @TaskLocal public static var taskExecutor: (any TaskExecutor)?

    /// Watches a collection. The stream finishes normally when the server closes the watch (for
    /// example after `timeoutSeconds`); it throws `KubeAPIError` for an HTTP error, a watch ERROR
    /// event (`isGone` for 410 Expired/Gone: relist), a malformed line, or a dropped connection.
    /// BOOKMARK events are delivered so callers can advance their resourceVersion.
    public func watch<R: KubeResource>(
        _ type: R.Type = R.self, namespace: String? = nil, options: WatchOptions = WatchOptions()
    ) -> AsyncThrowingStream<WatchEvent<R>, any Error> {
        do {
            try checkTyped(R.self)
        } catch {
            return AsyncThrowingStream { $0.finish(throwing: error) }
        }
        return watchStream(path: R.resource.path(namespace: namespace), query: options.queryItems, accept: "application/json")
    }

    /// What a watcher's cache holds of an object (by namespace and name), if anything: its events' labels,
    /// annotations and owner references equal to those are read as these copies rather than built again.
    public typealias KnownMetadata = @Sendable (_ namespace: String?, _ name: String?) -> ObjectMeta?

    /// Watches only the metadata of `resource` objects.
    public func watchMetadata(
        _ resource: ResourceDescriptor, namespace: String? = nil, options: WatchOptions = WatchOptions(),
        known: KnownMetadata? = nil
    ) -> AsyncThrowingStream<WatchEvent<PartialObjectMetadata>, any Error> {
        watchStream(
            path: resource.path(namespace: namespace), query: options.queryItems, accept: Self.metadataWatchAccept,
            known: known)
    }

    func watchStream<R: KubeResource>(
        path: String, query: [(String, String)], accept: String, known: KnownMetadata? = nil
    ) -> AsyncThrowingStream<WatchEvent<R>, any Error> {
        let (stream, continuation) = AsyncThrowingStream<WatchEvent<R>, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(Self.watchBufferEvents))
        let task = Task(executorPreference: Self.taskExecutor) {
            do {
                try await self.runWatch(path: path, query: query, accept: accept, known: known, into: continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func runWatch<R: KubeResource>(
        path: String, query: [(String, String)], accept: String, known: KnownMetadata?,
        into continuation: AsyncThrowingStream<WatchEvent<R>, any Error>.Continuation
    ) async throws {
        let label = "WATCH \(path)"
        let response = try await openWatch(path: path, query: query, accept: accept, label: label)
        var splitter = LineSplitter(maxLineBytes: maxWatchLineBytes)

        func decode(_ line: Data) throws -> WatchEvent<R> {
            try self.decodeWatchEvent(R.self, from: line, request: label, known: known)
        }

        func deliver(_ event: WatchEvent<R>) throws {
            if case .error(let status) = event {
                let httpStatus = status.code ?? 500
                throw KubeAPIError(
                    code: KubeAPIError.classify(httpStatus: httpStatus, status: status),
                    message: status.message ?? "watch ERROR event", httpStatus: httpStatus, status: status,
                    retryAfter: status.details?.retryAfterSeconds.map { .seconds($0) }, request: label)
            }
            if case .dropped = continuation.yield(event) {
                throw KubeAPIError(
                    code: .transport, message: "watch consumer fell behind by \(Self.watchBufferEvents) events",
                    request: label)
            }
        }

        do {
            for try await chunk in response.body {
                for line in try splitter.append(chunk) { try deliver(try decode(line)) }
            }
        } catch let error as KubeAPIError {
            throw error
        } catch let error as LineSplitter.LineTooLong {
            throw KubeAPIError(code: .decoding, message: error.description, request: label, cause: error)
        } catch {
            throw KubeAPIError.transport(error, request: label)
        }
        if let rest = splitter.finish() {
            // A final line without its newline: deliver it if it is whole, else the connection broke.
            guard let event = try? decode(rest) else {
                throw KubeAPIError(code: .transport, message: "watch stream ended inside an event", request: label)
            }
            try deliver(event)
        }
    }

    /// One watch event line. Metadata-only events (one per write of a managed Secret) are read straight from the
    /// table (`FlatJSONDecoder.metadataWatchEvent`), with the values and errors of their `Codable` decode.
    func decodeWatchEvent<R: KubeResource>(
        _ type: R.Type, from line: Data, request: String, known: KnownMetadata? = nil
    ) throws -> WatchEvent<R> {
        guard R.self == PartialObjectMetadata.self else {
            return try decode(WatchEvent<R>.self, from: line, request: request)
        }
        do {
            let event = try FlatJSONDecoder().metadataWatchEvent(
                WatchEvent<PartialObjectMetadata>.self, from: line, defaults: PartialObjectMetadata.typeMetaDefaults,
                known: known ?? { _, _ in nil }
            ) { type, object in
                let object = PartialObjectMetadata(object)
                switch type {
                case .added: return .added(object)
                case .modified: return .modified(object)
                case .deleted: return .deleted(object)
                }
            }
            return unsafeBitCast(event, to: WatchEvent<R>.self)
        } catch {
            throw KubeAPIError.decoding(error, type: "\(WatchEvent<R>.self)", request: request)
        }
    }

    /// Opens the stream; non-200 answers become errors (401 refreshes credentials and retries once).
    private func openWatch(
        path: String, query: [(String, String)], accept: String, label: String
    ) async throws -> HTTPStreamResponse {
        var attempt = 0
        while true {
            attempt += 1
            let request = HTTPRequest(
                method: "GET", url: url(path: path, query: query),
                headers: try await headers(accept: accept, contentType: nil), timeout: requestTimeout)
            let response: HTTPStreamResponse
            let start = ContinuousClock.now
            do {
                response = try await transport.stream(request)
            } catch {
                metrics.record(method: "GET", status: nil, elapsed: ContinuousClock.now - start)
                throw KubeAPIError.transport(error, request: label)
            }
            metrics.record(method: "GET", status: response.status, elapsed: ContinuousClock.now - start)
            if response.status == 200 { return response }
            let body = await collect(response.body, limit: 64 << 10)
            if response.status == 401, attempt == 1, credentials.canRefresh {
                await credentials.invalidate()
                continue
            }
            throw KubeAPIError.fromResponse(
                httpStatus: response.status, headers: response.headers, body: body, request: label)
        }
    }

    /// Reads an error body up to `limit` bytes; a broken body just ends the read.
    private func collect(_ body: AsyncThrowingStream<Data, any Error>, limit: Int) async -> Data {
        var data = Data()
        do {
            for try await chunk in body {
                data.append(chunk.prefix(limit - data.count))
                if data.count >= limit { break }
            }
        } catch {
            // The status line already tells what happened; a truncated body only loses detail.
        }
        return data
    }
}
