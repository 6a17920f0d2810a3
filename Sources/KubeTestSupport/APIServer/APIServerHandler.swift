import CRDModels
import Foundation
import HTTPServer
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// One HTTP/1.1 connection to the test API server: collects a request, asks the router, and writes
/// the answer; for a watch, keeps the response open and streams events as chunked JSON lines.
final class APIServerHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let router: APIRouter
    private let faults: FaultInjector
    private let options: @Sendable () -> KubeAPITestServerOptions
    private let logger: Logger
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var bodyTooLarge = false
    private var certificateUser: String?
    private var context: ChannelHandlerContext?
    /// The open watch on this connection, its timers, and how many of its writes are unflushed.
    private var watchID: Int?
    private var watchTimers: [Scheduled<Void>] = []
    private var bookmarkTask: RepeatedTask?
    private var pendingWatchWrites = 0
    private var watchKeepAlive = true
    /// A watch response is open: its head is written and its end is not.
    private var watchOpen = false
    /// A slow watch client (this many unwritten batches of events) is disconnected rather than buffered
    /// without bound (the real server does the same).
    static let maxPendingWatchWrites = 10_000

    init(
        router: APIRouter, faults: FaultInjector, options: @escaping @Sendable () -> KubeAPITestServerOptions,
        logger: Logger
    ) {
        self.router = router
        self.faults = faults
        self.options = options
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopWatch()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopWatch()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let handshake = event as? TLSHandshakeCompleted { certificateUser = handshake.peerCommonName }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body.clear()
            bodyTooLarge = false
            // curl sends `Expect: 100-continue` for larger bodies and would otherwise wait a second.
            if requestHead.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                let interim = HTTPResponseHead(version: requestHead.version, status: .continue)
                context.writeAndFlush(wrapOutboundOut(.head(interim)), promise: nil)
            }
        case .body(var chunk):
            if body.readableBytes + chunk.readableBytes > options().maxRequestBodyBytes {
                bodyTooLarge = true
            } else {
                body.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            handle(head, context: context)
        }
    }

    private func handle(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let keepAlive = head.isKeepAlive
        let (failure, delay, holdsRequest) = faults.intercept(
            method: head.method.rawValue, uri: head.uri, accept: head.headers.first(name: "Accept"))
        let tooLarge = bodyTooLarge
        let limit = options().maxRequestBodyBytes
        let router = self.router
        let request = APIRequest(
            method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) },
            body: Data(body.readableBytesView), certificateUser: certificateUser)
        let serve = { () -> APIResponse in
            if let failure { return .error(failure) }
            if tooLarge {
                return .error(
                    APIError(
                        code: 413, reason: "RequestEntityTooLarge",
                        message: "Request entity too large: limit is \(limit)"))
            }
            return router.handle(request)
        }
        logger.trace("request", metadata: ["http.method": "\(head.method.rawValue)", "http.uri": "\(head.uri)"])
        guard let delay else {
            respond(serve(), keepAlive: keepAlive, context: context)
            return
        }
        // Latency holds the answer, or with `holdsRequest` the request itself, which is then served even if
        // the client has gone.
        let early = holdsRequest ? nil : serve()
        let later = NIOLoopBound(serve, eventLoop: context.eventLoop)
        let faults = self.faults
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .milliseconds(delay.milliseconds)) {
            let response = early ?? later.value()
            if holdsRequest { faults.releaseHold() }
            guard let context = bound.value.context else { return }
            bound.value.respond(response, keepAlive: keepAlive, context: context)
        }
    }

    private func respond(_ response: APIResponse, keepAlive: Bool, context: ChannelHandlerContext) {
        switch response {
        case .json(let status, let body, let extraHeaders):
            let data = (try? body.serialized()) ?? Data()
            respond(
                .serializedJSON(status: status, body: data, headers: extraHeaders), keepAlive: keepAlive,
                context: context)
        case .serializedJSON(let status, let body, let extraHeaders):
            var buffer = context.channel.allocator.buffer(capacity: body.count + 1)
            buffer.writeBytes(body)
            buffer.writeInteger(UInt8(ascii: "\n"))
            writeComplete(
                status: status, contentType: "application/json", body: buffer, extraHeaders: extraHeaders,
                keepAlive: keepAlive, context: context)
        case .text(let status, let body, let contentType):
            writeComplete(
                status: status, contentType: contentType, body: ByteBuffer(string: body), extraHeaders: [],
                keepAlive: keepAlive, context: context)
        case .watch(let plan):
            startWatch(plan, keepAlive: keepAlive, context: context)
        case .delayed(let delay, let response):
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(delay.milliseconds)) {
                guard let context = bound.value.context else { return }
                bound.value.respond(response, keepAlive: keepAlive, context: context)
            }
        }
    }

    private func writeComplete(
        status: Int, contentType: String, body: ByteBuffer, extraHeaders: [(String, String)], keepAlive: Bool,
        context: ChannelHandlerContext
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Cache-Control", value: "no-cache, private")
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    // MARK: Watch

    private func startWatch(_ plan: WatchPlan, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Transfer-Encoding", value: "chunked")
        headers.add(name: "Cache-Control", value: "no-cache, private")
        context.writeAndFlush(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        watchKeepAlive = keepAlive
        watchOpen = true
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        let endsAtFirstEvent = plan.endsAtFirstEvent
        let outbox = WatchOutbox()
        let sink: WatchSink = { signal in
            // An event the client's media type cannot encode ends the stream (the watch server's error path).
            let queued: WatchSignal
            if endsAtFirstEvent, case .line = signal { queued = .end } else { queued = signal }
            guard outbox.push(queued) else { return }
            loop.execute { bound.value.deliver(outbox.drain()) }
        }
        let store = router.store
        do throws(APIError) {
            let id = try store.watch(
                plan.type, namespace: plan.namespace, labels: plan.labels, fields: plan.fields,
                from: plan.resourceVersion, metadataOnly: plan.metadataOnly,
                requestPath: plan.uri, sink: sink)
            watchID = id
            let options = options()
            if plan.bookmarks {
                let interval = TimeAmount.milliseconds(options.bookmarkInterval.milliseconds)
                bookmarkTask = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { task in
                    if !store.bookmark(id) { task.cancel() }
                }
            }
            if let timeout = plan.timeout {
                watchTimers.append(
                    loop.scheduleTask(in: .milliseconds(timeout.milliseconds)) {
                        store.endWatch(id)
                        bound.value.deliver([.end])
                    })
            }
        } catch {
            sink(.line(Watcher.line(.object(["type": .string("ERROR"), "object": error.status]))))
            sink(.end)
        }
    }

    /// Writes the queued events of a watch as one chunk and flushes once: the real watch server
    /// (`serveWatch` in k8s.io/apiserver `pkg/endpoints/handlers/watch.go`) flushes only when no further
    /// event is waiting, so a burst of writes reaches the client in few TLS records and socket writes.
    private func deliver(_ signals: [WatchSignal]) {
        var lines = ByteBuffer()
        var count = 0
        for signal in signals {
            guard case .line(let data) = signal else {
                writeLines(&lines, count: count)
                count = 0
                finishWatch(signal)
                continue
            }
            lines.writeBytes(data)
            count += 1
        }
        writeLines(&lines, count: count)
    }

    /// Writes `count` queued events as one chunk.
    private func writeLines(_ lines: inout ByteBuffer, count: Int) {
        guard count > 0, let context, watchOpen else { return }
        defer { lines.clear() }
        guard pendingWatchWrites < Self.maxPendingWatchWrites else {
            logger.warning("dropping a watch whose client does not read")
            finishWatch(.drop)
            return
        }
        pendingWatchWrites += 1
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(lines)))).whenComplete { _ in
            bound.value.pendingWatchWrites -= 1
        }
    }

    /// Ends the watch response (`.end`) or the connection (`.drop`).
    private func finishWatch(_ signal: WatchSignal) {
        guard let context, watchOpen else { return }
        stopWatch()
        watchOpen = false
        if case .drop = signal {
            context.close(promise: nil)
            return
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !watchKeepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    private func stopWatch() {
        if let watchID { router.store.endWatch(watchID) }
        watchID = nil
        bookmarkTask?.cancel()
        bookmarkTask = nil
        for timer in watchTimers { timer.cancel() }
        watchTimers = []
    }
}

/// The watch signals waiting for one connection's event loop. The store's writers push (under its lock,
/// from any thread); one scheduled task drains everything queued by then, so a burst costs one task and
/// one flush instead of one each per event.
final class WatchOutbox: Sendable {
    private let state = NIOLockedValueBox<(signals: [WatchSignal], scheduled: Bool)>(([], false))

    /// Queues a signal; true when no drain is scheduled yet, so the caller must schedule one.
    func push(_ signal: WatchSignal) -> Bool {
        state.withLockedValue { state in
            state.signals.append(signal)
            defer { state.scheduled = true }
            return !state.scheduled
        }
    }

    /// Everything queued, in order; the next push schedules a new drain.
    func drain() -> [WatchSignal] {
        state.withLockedValue { state in
            defer {
                state.signals = []
                state.scheduled = false
            }
            return state.signals
        }
    }
}
