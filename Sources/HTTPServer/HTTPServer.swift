import FoundationEssentials
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A small HTTP/1.1 server on swift-nio, with optional OpenSSL TLS, for the webhook, the operator's probe and
/// metrics endpoint and the Kubernetes API test server.
///
/// It is a `Service`: `run()` binds, serves until graceful shutdown (or cancellation), then lets requests in
/// flight finish for up to `shutdownTimeout` before closing what is left. With TLS from a directory it also
/// polls the certificate files while it runs. `localPort()` tells which port was bound (useful with port 0).
public final class HTTPServer: Service, Sendable {
    /// A handler that may suspend: it runs in a task started immediately on the connection's event loop.
    public typealias Handler = @Sendable (HTTPServerRequest) async -> HTTPServerResponse
    /// A handler that answers without suspending: called on the connection's event loop inside the read that
    /// completed the request, with no task, promise or executor hop. It must not block.
    public typealias SynchronousHandler = @Sendable (HTTPServerRequest) -> HTTPServerResponse

    /// How the server gets each request's response.
    public enum Responder: Sendable {
        /// For handlers that only compute (the admission webhook, probes): the cheapest path per request.
        case synchronous(SynchronousHandler)
        /// For handlers that await (the API test server's writes and watches).
        case asynchronous(Handler)
    }

    private enum Phase {
        case idle, running, draining, stopped
    }

    private struct State {
        var phase: Phase = .idle
        var serverChannel: (any Channel)?
        var connections: [ObjectIdentifier: any Channel] = [:]
        var accepted = 0
        var bound: Result<Int, HTTPServerError>?
        var waiters: [CheckedContinuation<Int, any Error>] = []
    }

    public let configuration: HTTPServerConfiguration
    private let responder: Responder
    private let logger: Logger
    private let group: any EventLoopGroup
    private let state = Mutex(State())
    private let budget: HTTPBodyBudget

    public convenience init(
        configuration: HTTPServerConfiguration,
        logger: Logger = Logger(label: "http.server"),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        handler: @escaping Handler
    ) {
        self.init(
            configuration: configuration, logger: logger, eventLoopGroup: eventLoopGroup,
            responder: .asynchronous(handler))
    }

    public init(
        configuration: HTTPServerConfiguration,
        logger: Logger = Logger(label: "http.server"),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        responder: Responder
    ) {
        self.configuration = configuration
        self.budget = HTTPBodyBudget(limit: configuration.maxInFlightBodyBytes)
        self.responder = responder
        var logger = logger
        logger[metadataKey: "server"] = .string(configuration.name)
        self.logger = logger
        self.group = eventLoopGroup
    }

    /// The bound port, once `run()` has bound; waits until then. Throws if binding failed.
    public func localPort() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<Int, HTTPServerError>? = state.withLock { state in
                if let bound = state.bound { return bound }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    /// Open connections right now.
    public var connectionCount: Int {
        state.withLock { $0.connections.count }
    }

    /// Request body bytes held right now across all connections (bounded by `maxInFlightBodyBytes`).
    public var inFlightBodyBytes: Int { budget.inUse }

    /// Connections admitted since start (refused ones not counted): with keep-alive clients this stays small.
    public var acceptedConnectionCount: Int {
        state.withLock { $0.accepted }
    }

    public func run() async throws {
        let started = state.withLock { state -> Bool in
            guard state.phase == .idle else { return false }
            state.phase = .running
            return true
        }
        guard started else {
            throw HTTPServerError(code: .alreadyStarted, message: "run() was called twice")
        }
        let channel: any Channel
        do {
            channel = try await bind()
        } catch {
            let failure = HTTPServerError(
                code: .bindFailed, message: "cannot listen on \(configuration.host):\(configuration.port)",
                cause: "\(error)")
            resolveBound(.failure(failure))
            state.withLock { $0.phase = .stopped }
            throw failure
        }
        let port = channel.localAddress?.port ?? configuration.port
        resolveBound(.success(port))
        logger.info(
            "listening",
            metadata: ["address": "\(configuration.host):\(port)", "tls": "\(configuration.tls != nil)"])

        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withTaskGroup(of: Void.self) { tasks in
                    if let store = configuration.tls {
                        tasks.addTask { await store.runReloading() }
                    }
                    // Ends when shutdown closes the listener.
                    await Self.waitForClose(channel)
                    await drainConnections()
                    tasks.cancelAll()
                }
            } onGracefulShutdown: {
                self.shutdownGracefully()
            }
        } onCancel: {
            self.closeEverything()
        }
        state.withLock { $0.phase = .stopped }
        logger.info("stopped")
    }

    /// Stops accepting connections, lets requests in flight finish (up to `shutdownTimeout`), then ends `run()`.
    public func shutdownGracefully() {
        let (listener, connections) = state.withLock { state -> ((any Channel)?, [any Channel]) in
            guard state.phase == .running else { return (nil, []) }
            state.phase = .draining
            return (state.serverChannel, Array(state.connections.values))
        }
        guard let listener else { return }
        logger.info("shutting down gracefully", metadata: ["connections": "\(connections.count)"])
        listener.close(promise: nil)
        for connection in connections {
            connection.eventLoop.execute {
                connection.pipeline.fireUserInboundEventTriggered(HTTPServerShuttingDown())
            }
        }
    }

    private func closeEverything() {
        let channels = state.withLock { state -> [any Channel] in
            state.phase = .draining
            return [state.serverChannel].compactMap { $0 } + Array(state.connections.values)
        }
        for channel in channels {
            channel.close(promise: nil)
        }
    }

    private func drainConnections() async {
        let deadline = ContinuousClock.now + configuration.shutdownTimeout
        // Polling here is bounded by the deadline and only happens during shutdown.
        while connectionCount > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
            if Task.isCancelled { break }
        }
        let left = state.withLock { Array($0.connections.values) }
        if !left.isEmpty {
            logger.info("closing connections still open at the shutdown deadline", metadata: ["count": "\(left.count)"])
        }
        for channel in left {
            channel.close(promise: nil)
            await Self.waitForClose(channel)
        }
    }

    private static func waitForClose(_ channel: any Channel) async {
        // The close future fails only when closing itself failed, which leaves nothing to do.
        _ = try? await channel.closeFuture.get()
    }

    private func resolveBound(_ result: Result<Int, HTTPServerError>) {
        let waiters = state.withLock { state -> [CheckedContinuation<Int, any Error>] in
            state.bound = result
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters {
            waiter.resume(with: result.mapError { $0 as any Error })
        }
    }

    // MARK: Channels

    private func bind() async throws -> any Channel {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // A client that shuts its sending side after its requests still gets their answers: NIO would
            // otherwise close the connection at the end of input, dropping answers not yet flushed.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try self.initialize(channel)
                }
            }
        let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        let keep = state.withLock { state -> Bool in
            guard state.phase == .running else { return false }
            state.serverChannel = channel
            return true
        }
        if !keep {
            try? await channel.close()
            throw CancellationError()
        }
        return channel
    }

    /// Sets up one accepted connection, or closes it when the server is full or draining.
    private func initialize(_ channel: any Channel) throws {
        let id = ObjectIdentifier(channel)
        let admitted = state.withLock { state -> Bool in
            guard state.phase == .running, state.connections.count < configuration.maxConnections else {
                return false
            }
            state.connections[id] = channel
            state.accepted += 1
            return true
        }
        guard admitted else {
            logger.warning(
                "refusing connection: limit reached or shutting down",
                metadata: ["limit": "\(configuration.maxConnections)"])
            channel.close(promise: nil)
            return
        }
        channel.closeFuture.whenComplete { [self] _ in
            _ = state.withLock { $0.connections.removeValue(forKey: id) }
        }
        let limits = HTTPConnectionHandler.Limits(
            maxBodyBytes: configuration.maxBodyBytes,
            headerReadTimeout: TimeAmount(configuration.headerReadTimeout),
            bodyReadTimeout: TimeAmount(configuration.bodyReadTimeout),
            idleTimeout: TimeAmount(configuration.idleTimeout),
            maxPipelinedRequests: configuration.maxPipelinedRequests)
        let connection = HTTPConnectionHandler(limits: limits, budget: budget, logger: logger, responder: responder)
        let sync = channel.pipeline.syncOperations
        if let store = configuration.tls {
            try sync.addHandler(OpenSSLServerHandler(context: store.current, logger: logger))
        }
        try sync.addHandler(InboundBytesObserver(reportingTo: connection))
        try sync.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
        // No HTTPResponseEncoder: the connection handler writes each response's bytes itself (HTTPResponseBytes).
        try sync.addHandler(connection)
    }
}
