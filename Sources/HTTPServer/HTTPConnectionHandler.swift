import FoundationEssentials
import Logging
import NIOCore
import NIOHTTP1

/// Sent to every connection when the server begins a graceful shutdown.
struct HTTPServerShuttingDown: Sendable {}

/// Sits between TLS and the HTTP decoder and tells the connection handler that bytes arrived, so it can start
/// the header timer at the first byte of a request, before the HTTP decoder has seen a whole head.
///
/// A direct call rather than a user event: an event would travel through the decoder's handler, and be cast
/// from `Any`, on every request of every keep-alive connection.
final class InboundBytesObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let connection: HTTPConnectionHandler

    init(reportingTo connection: HTTPConnectionHandler) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.bytesArrived()
        context.fireChannelRead(data)
    }
}

/// Serves HTTP/1.1 requests on one connection: reads each request whole within the limits, gets its response
/// from the server's `Responder`, writes it (`HTTPResponseBytes`), and keeps the connection alive when both
/// sides want to.
///
/// Everything here runs on the channel's event loop. A synchronous handler is called right here; an async one
/// runs in its own task, started immediately on the loop's thread and preferring that loop afterwards
/// (`EventLoopTaskExecutor`): handlers must not block, and should move long synchronous work elsewhere.
/// Requests are answered in order; pipelined ones wait in a bounded queue. Every body byte is reserved from the
/// server's `HTTPBodyBudget` before it is buffered and returned when the handler has answered (the body is no
/// longer held then) or the connection closes. The next request is not answered while the channel holds more
/// unwritten response bytes than its write high-water mark (NIO's default, 64 KiB): a client that pipelines
/// requests but reads no answers makes the connection wait, not grow a buffer. The header and body timers run
/// whether or not a response is pending, so a client cannot hold a half-sent request open behind a slow answer.
final class HTTPConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    /// The timeouts as NIO's `TimeAmount`s, converted once: a `Duration`'s nanoseconds take 128-bit arithmetic,
    /// and every request arms three timers.
    struct Limits {
        var maxBodyBytes: Int
        var headerReadTimeout: TimeAmount
        var bodyReadTimeout: TimeAmount
        var idleTimeout: TimeAmount
        var maxPipelinedRequests: Int
    }

    /// A complete request waiting for its turn, with its keep-alive wish and the budget bytes it holds.
    private struct Pending {
        var request: HTTPServerRequest
        var keepAlive: Bool
        var reserved: Int
        /// An answer to `HEAD` carries the body's length but not the body.
        var isHead: Bool
    }

    private enum ReadState {
        /// Between requests, no bytes of the next one yet.
        case idle
        /// Bytes of a request arrived; its head is not complete.
        case awaitingHead
        /// The body's bytes so far: the first chunk as the decoder handed it (usually the whole body, a slice of
        /// the read buffer), the later ones appended to it. Made into `Data` once, when the request is complete:
        /// a `Data` grown chunk by chunk cost 1,500 instructions a review in its allocation and appends.
        case body(HTTPRequestHead, ByteBuffer?)
        /// After an error: everything further is ignored until the connection closes.
        case ignoring
    }

    private enum TimeoutKind: String {
        case header, body, idle, linger
    }

    /// The largest response buffer a connection keeps for its next response. Reused, the buffer of a small answer
    /// (every AdmissionReview's) is not allocated and freed per request; a large one is not held while idle.
    static let reusedResponseCapacity = 4096

    /// How long a connection whose request was refused unread keeps discarding what the client still sends.
    static let lingerTimeout: TimeAmount = .seconds(2)

    private let limits: Limits
    private let budget: HTTPBodyBudget
    private let responder: HTTPServer.Responder
    private var logger: Logger
    private var reading: ReadState = .awaitingHead
    /// Complete requests not yet answered.
    private var queue: [Pending] = []
    /// Budget bytes held by the request being read, and by the one being answered until its handler returns.
    private var readingReserved = 0
    private var respondingReserved = 0
    private var responding = false
    private var closeAfterResponse = false
    private var shuttingDown = false
    /// The client has shut its sending side (the server allows half-closed connections): the requests it sent
    /// are answered, the last with `Connection: close`, and then the connection closes.
    private var inputClosed = false
    /// The running timeout, if any, and when it expires.
    private var deadline: (kind: TimeoutKind, at: NIODeadline)?
    /// The scheduled check, at or before `deadline`. Moving the deadline later leaves it in place (it re-checks
    /// when it fires), so a keep-alive request re-arms its timeouts without scheduling a task each time.
    private var timer: (task: Scheduled<Void>, at: NIODeadline)?
    private var tls: TLSHandshakeCompleted?
    private var currentTask: Task<Void, Never>?
    /// Whether `currentTask` produces a streamed body (cancelled on shutdown) rather than running the handler.
    private var currentTaskIsStream = false
    /// Requests handed to the handler so far, and the number of the one whose handler has not returned yet.
    private var answered = 0
    private var runningHandler: Int?
    private var remoteAddress: String?
    private var isActive = true
    private var executor: EventLoopTaskExecutor?
    /// This handler's context while it is in the pipeline, for `bytesArrived()`, which the observer calls.
    private var context: ChannelHandlerContext?
    /// The last small response's buffer, written into again once the socket has taken it (`reusedResponseCapacity`).
    private var responseBuffer: ByteBuffer?

    init(
        limits: Limits, budget: HTTPBodyBudget, logger: Logger, responder: HTTPServer.Responder
    ) {
        self.limits = limits
        self.budget = budget
        self.logger = logger
        self.responder = responder
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        executor = EventLoopTaskExecutor(context.eventLoop)
        remoteAddress = context.channel.remoteAddress.map { "\($0)" }
        logger[metadataKey: "peer"] = remoteAddress.map { .string($0) }
        // The first request's clock starts at accept and covers the TLS handshake.
        arm(.header, limits.headerReadTimeout, context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil  // the pipeline holds this handler: no cycle left behind
    }

    /// Bytes of the connection arrived (called by `InboundBytesObserver`, before the decoder sees them): the first
    /// bytes after an answered request start the next request's header timer.
    func bytesArrived() {
        guard case .idle = reading, let context else { return }
        reading = .awaitingHead
        arm(.header, limits.headerReadTimeout, context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        isActive = false
        timer?.task.cancel()
        timer = nil
        deadline = nil
        currentTask?.cancel()
        currentTask = nil
        budget.release(readingReserved + respondingReserved + queue.reduce(0) { $0 + $1.reserved })
        readingReserved = 0
        respondingReserved = 0
        queue = []
        reading = .ignoring
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let completed as TLSHandshakeCompleted:
            tls = completed
        case let event as ChannelEvent where event == .inputClosed:
            inputClosed = true
            guard !responding, queue.isEmpty else { return }  // closes after the last answer
            // Nothing left to answer; a request still incomplete never will be. The last answer may still wait
            // for its flush at the end of this pass: closing after an empty write flushed behind it sends it.
            // (The running timer stays armed, in case that write never completes.)
            reading = .ignoring
            if isInTLSHandshake(context) {
                return context.close(promise: nil)  // nothing was answered
            }
            whenAllWritten(context: context) { _ in context.close(promise: nil) }
        case is HTTPServerShuttingDown:
            shuttingDown = true
            if !responding, queue.isEmpty, case .idle = reading {
                context.close(promise: nil)
            } else if responding, currentTaskIsStream {
                // Long streams (watches) end on shutdown, as the API server's do.
                currentTask?.cancel()
            }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if case .ignoring = reading { return }
            startHead(head, context: context)
        case .body(var chunk):
            guard case .body(let head, var body) = reading else { return }
            let size = (body?.readableBytes ?? 0) + chunk.readableBytes
            if size > limits.maxBodyBytes {
                return reject(.payloadTooLarge, "request body exceeds \(limits.maxBodyBytes) bytes", context: context)
            }
            if size > readingReserved {
                guard budget.reserve(size - readingReserved) else { return refuseBusy(context: context) }
                readingReserved = size
            }
            reading = .ignoring  // avoid a copy-on-write of `body` while it is held in the enum
            // (A pattern, not `body == nil`: that compares through `ByteBuffer`'s `Equatable`, retaining it.)
            if case .some = body { body!.writeBuffer(&chunk) } else { body = chunk }
            reading = .body(head, body)
        case .end:
            guard case .body(let head, let bytes) = reading else { return }
            reading = .idle
            deadline = nil
            let body = bytes.map { $0.withUnsafeReadableBytes { Data($0) } } ?? Data()
            let reserved = readingReserved
            readingReserved = 0
            let pending = Pending(
                request: HTTPServerRequest(
                    method: head.method.rawValue, target: head.uri, headers: head.headers, body: body,
                    remoteAddress: remoteAddress, tls: tls),
                keepAlive: head.isKeepAlive, reserved: reserved, isHead: head.method == .HEAD)
            if !responding, queue.isEmpty {
                return answer(pending, context: context)  // the usual case: nothing to wait for, no queueing
            }
            if queue.count >= limits.maxPipelinedRequests {
                logger.debug("too many pipelined requests; closing")
                budget.release(reserved)
                return context.close(promise: nil)
            }
            queue.append(pending)
        }
    }

    private func startHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let declared = head.headers.first(name: "content-length").flatMap(Int.init) ?? 0
        if declared > limits.maxBodyBytes {
            return reject(.payloadTooLarge, "request body exceeds \(limits.maxBodyBytes) bytes", context: context)
        }
        // The whole declared body is reserved up front: a request that cannot have it is refused unread.
        if declared > 0 {
            guard budget.reserve(declared) else { return refuseBusy(context: context) }
            readingReserved = declared
        }
        reading = .body(head, nil)
        arm(.body, limits.bodyReadTimeout, context: context)
        if head.headers.first(name: "expect")?.lowercased() == "100-continue", !responding {
            let interim = HTTPResponseBytes.continueResponse(allocator: context.channel.allocator)
            context.writeAndFlush(wrapOutboundOut(interim), promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError {
            reject(.badRequest, "malformed HTTP request", context: context)
        } else {
            logger.debug("connection error", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    // MARK: Answering

    private func answerNext(context: ChannelHandlerContext) {
        guard !responding, isActive, !queue.isEmpty else { return }
        answer(queue.removeFirst(), context: context)
    }

    /// Hands `next` to the responder; nothing may be responding. (Consumed: a copy of the request retains each of
    /// its strings, headers and body again.)
    private func answer(_ next: consuming Pending, context: ChannelHandlerContext) {
        guard isActive else { return budget.release(next.reserved) }
        respondingReserved = next.reserved
        responding = true
        let keepAlive = next.keepAlive && !shuttingDown
        let isHead = next.isHead
        currentTaskIsStream = false
        switch responder {
        case .synchronous(let handler):
            write(handler(next.request), keepAlive: keepAlive, isHead: isHead, context: context)
        case .asynchronous(let handler):
            run(handler, next.request, keepAlive: keepAlive, isHead: isHead, context: context)
        }
    }

    /// Runs an async handler in its task and writes its response when it returns.
    private func run(
        _ handler: @escaping HTTPServer.Handler, _ request: HTTPServerRequest, keepAlive: Bool, isHead: Bool,
        context: ChannelHandlerContext
    ) {
        let promise = context.eventLoop.makePromise(of: HTTPServerResponse.self)
        answered &+= 1
        let id = answered
        runningHandler = id
        promise.futureResult.assumeIsolated().whenSuccess { response in
            if self.runningHandler == id { self.runningHandler = nil }
            self.write(response, keepAlive: keepAlive, isHead: isHead, context: context)
        }
        // Started immediately: a handler that does not suspend runs and is answered right here, without a trip
        // through the event loop's task queue; one that suspends resumes on the loop.
        let task = Task.immediate(executorPreference: executor) {
            let response = await handler(request)
            promise.succeed(response)
        }
        if runningHandler == id {
            currentTask = task  // still running: cancelled if the connection closes
        }
    }

    private func write(
        _ response: HTTPServerResponse, keepAlive: Bool, isHead: Bool = false, context: ChannelHandlerContext
    ) {
        guard isActive else { return }
        // The handler has answered: the request's body is gone. Returned before the write, so a client that
        // has read this answer never finds the budget still held by it.
        budget.release(respondingReserved)
        respondingReserved = 0
        let keepAlive = keepAlive && !shuttingDown && !closeAfterResponse && !(inputClosed && queue.isEmpty)
        switch response.body {
        case .data(let data):
            writeComplete(response, body: data, keepAlive: keepAlive, isHead: isHead, context: context)
        case .bytes(let bytes):
            writeComplete(response, body: bytes, keepAlive: keepAlive, isHead: isHead, context: context)
        case .stream(let produce):
            let head = HTTPResponseBytes.chunkedHead(
                response.status, headers: response.headers, keepAlive: keepAlive, allocator: context.channel.allocator)
            context.writeAndFlush(wrapOutboundOut(head), promise: nil)
            let channel = context.channel
            let done = context.eventLoop.makePromise(of: Bool.self)
            currentTaskIsStream = true
            currentTask = Task {
                let writer = ChannelBodyWriter(channel: channel)
                do {
                    try await produce(writer)
                    try await channel.writeAndFlush(HTTPResponseBytes.end(allocator: channel.allocator))
                    done.succeed(true)
                } catch {
                    done.succeed(false)
                }
            }
            done.futureResult.assumeIsolated().whenSuccess { completed in
                if !completed {
                    // A stream cut short cannot be framed properly: the only honest end is closing.
                    context.close(promise: nil)
                }
                self.finishResponse(keepAlive: keepAlive && completed, context: context)
            }
        }
    }

    /// Writes a response with a complete body (`Content-Length`), then goes on with the connection.
    private func writeComplete(
        _ response: HTTPServerResponse, body: some Collection<UInt8>, keepAlive: Bool, isHead: Bool,
        context: ChannelHandlerContext
    ) {
        currentTask = nil
        // One buffer, one write and one flush: the TLS handler seals it as one record. The flush waits for
        // the end of the loop's pass, with the other answers of that pass (`FlushAfterPass`).
        var bytes = responseBuffer ?? context.channel.allocator.buffer(capacity: 0)
        bytes.clear()  // new storage if the last response's is still held (a slow reader, plain HTTP)
        HTTPResponseBytes.write(
            response.status, headers: response.headers, body: body, omitBody: isHead, keepAlive: keepAlive,
            into: &bytes)
        context.write(wrapOutboundOut(bytes), promise: nil)
        FlushAfterPass.schedule(context.channel)
        responseBuffer = bytes.capacity <= Self.reusedResponseCapacity ? bytes : nil
        if keepAlive, context.channel.isWritable, context.channel.isActive {
            // The socket took it, or the channel holds less than its high-water mark (the usual case): go on
            // with no promise, future and callback made and released per request. Two atomic loads: asking
            // for the exact `bufferedWritableBytes` took five dynamic casts in NIO's `getOption0`, 1.1 % of
            // the webhook's CPU. Not when the connection closes after this answer: a close drops what the
            // channel still holds, so it waits until everything has reached the socket.
            return finishResponse(keepAlive: keepAlive, context: context)
        }
        // A slow reader: go on once the rest has reached the socket.
        whenAllWritten(context: context) { written in
            self.finishResponse(keepAlive: keepAlive && written, context: context)
        }
    }

    /// Flushes what was written and calls `body` once all of it has reached the socket (true) or the write
    /// failed (false): an empty write's promise completes after everything written before it.
    private func whenAllWritten(context: ChannelHandlerContext, _ body: @escaping (Bool) -> Void) {
        let barrier = context.channel.allocator.buffer(capacity: 0)
        context.writeAndFlush(wrapOutboundOut(barrier)).assumeIsolated().whenComplete { result in
            if case .failure = result { return body(false) }
            body(true)
        }
    }

    /// A TLS connection whose handshake has not completed: no HTTP has been read on it.
    private func isInTLSHandshake(_ context: ChannelHandlerContext) -> Bool {
        tls == nil && context.pipeline.syncOperations.handlerIfPresent(OpenSSLServerHandler.self) != nil
    }

    private func finishResponse(keepAlive: Bool, context: ChannelHandlerContext) {
        responding = false
        currentTask = nil
        currentTaskIsStream = false
        guard isActive else { return }
        if case .ignoring = reading, !keepAlive || closeAfterResponse {
            // A request refused before its body was read (413, 503, 408): closing now, with the client's
            // bytes unread, would make the kernel answer with a reset that can destroy the error response
            // before the client reads it. Send our end's close and discard the rest for a moment instead
            // (a lingering close, as nginx and Go's net/http do).
            context.close(mode: .output, promise: nil)
            arm(.linger, Self.lingerTimeout, context: context)
            return
        }
        if !keepAlive || closeAfterResponse || (shuttingDown && queue.isEmpty) {
            context.close(promise: nil)
            return
        }
        if !queue.isEmpty {
            return answerNext(context: context)
        }
        switch reading {
        case .idle:
            arm(.idle, limits.idleTimeout, context: context)
        case .awaitingHead, .body:
            break  // its timer has been running since the request began
        case .ignoring:
            context.close(promise: nil)
        }
    }

    /// Refuses a request the body budget cannot hold, before reading its body.
    private func refuseBusy(context: ChannelHandlerContext) {
        logger.warning(
            "refusing request: request bodies in flight reached the server's budget",
            metadata: ["limit.bytes": "\(budget.limit)"])
        var headers = HTTPHeaders()
        headers.add(name: "Retry-After", value: "1")
        reject(
            .serviceUnavailable,
            "server busy: request bodies in flight reached the limit of \(budget.limit) bytes; retry later",
            headers: headers, context: context)
    }

    /// Answers an unreadable request with `status` and closes. If a response is in flight, the connection
    /// closes after it instead, because responses must stay in order.
    private func reject(
        _ status: HTTPResponseStatus, _ message: String, headers extra: HTTPHeaders = [:],
        context: ChannelHandlerContext
    ) {
        reading = .ignoring
        budget.release(readingReserved)
        readingReserved = 0
        deadline = nil
        logger.debug("rejecting request", metadata: ["http.status": "\(status.code)", "reason": "\(message)"])
        if responding || !queue.isEmpty {
            closeAfterResponse = true
            return
        }
        responding = true
        let body = Data(#"{"message":"\#(message)"}"#.utf8 + [0x0A])
        var headers = extra
        headers.add(name: "Content-Type", value: "application/json")
        write(HTTPServerResponse(status: status, headers: headers, body: body), keepAlive: false, context: context)
    }

    // MARK: Timers

    private func arm(_ kind: TimeoutKind, _ timeout: TimeAmount, context: ChannelHandlerContext) {
        let at = NIODeadline.now() + timeout
        deadline = (kind, at)
        if let timer, timer.at <= at { return }
        schedule(at: at, context: context)
    }

    private func schedule(at: NIODeadline, context: ChannelHandlerContext) {
        timer?.task.cancel()
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: at) {
            self.timer = nil
            guard let deadline = self.deadline else { return }
            if deadline.at > .now() { return self.schedule(at: deadline.at, context: context) }
            self.deadline = nil
            self.timedOut(deadline.kind, context: context)
        }
        timer = (task, at)
    }

    private func timedOut(_ kind: TimeoutKind, context: ChannelHandlerContext) {
        guard isActive else { return }
        if kind != .idle, responding || !queue.isEmpty {
            // Responses go out in order, so this request cannot be answered before the pending ones.
            logger.debug("request not complete in time while a response is pending; closing")
            reading = .ignoring
            budget.release(readingReserved)
            readingReserved = 0
            return context.close(promise: nil)
        }
        switch kind {
        case .idle:
            logger.trace("closing idle keep-alive connection")
            context.close(promise: nil)
        case .linger:
            context.close(promise: nil)
        case .header:
            logger.debug("request headers not complete in time; closing")
            if isInTLSHandshake(context) {
                return context.close(promise: nil)  // there is no HTTP to answer
            }
            reject(.requestTimeout, "request headers not received in time", context: context)
        case .body:
            logger.debug("request body not complete in time; closing")
            reject(.requestTimeout, "request body not received in time", context: context)
        }
    }
}

extension ChannelPipeline.SynchronousOperations {
    /// The first handler of type `H`, or nil.
    func handlerIfPresent<H: ChannelHandler>(_ type: H.Type) -> H? {
        try? handler(type: type)
    }
}

/// Writes stream chunks through the channel, waiting for each write to reach the socket.
struct ChannelBodyWriter: HTTPResponseBodyWriter {
    let channel: any Channel

    func write(_ data: Data) async throws {
        guard !data.isEmpty else { return }
        try Task.checkCancellation()
        try await channel.writeAndFlush(HTTPResponseBytes.chunk(data, allocator: channel.allocator))
    }
}
