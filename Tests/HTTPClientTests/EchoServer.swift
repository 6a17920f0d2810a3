import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A thread-safe count.
final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func increment() { count.withLock { $0 += 1 } }
}

/// A loopback HTTP/1.1 server for the client's wire tests.
///
/// - `/echo`: 200 with a JSON body describing the request (method, path, headers, body).
/// - `/stream?chunks=N&delayMs=D`: N chunks `chunk-i\n`, D ms apart, then the end.
/// - `/forever`: one chunk, then nothing until the client goes away; counts disconnects.
/// - `/hang`: never answers.
/// - `/status/N`: status N with body `status N`.
/// - `/bytes/N`: N bytes of `x`.
final class EchoServer: Sendable {
    let channel: any Channel
    let group: MultiThreadedEventLoopGroup
    let disconnects = Counter()

    var port: Int { channel.localAddress!.port! }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    init() async throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let disconnects = self.disconnects
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(EchoHandler(disconnects: disconnects))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func shutdown() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }
}

private final class EchoHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let disconnects: Counter
    var head: HTTPRequestHead?
    var body = ByteBuffer()
    var streaming = false

    init(disconnects: Counter) { self.disconnects = disconnects }

    func channelInactive(context: ChannelHandlerContext) {
        if streaming { disconnects.increment() }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            respond(context: context, head: head)
        }
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead) {
        let components = URLComponents(string: head.uri)!
        let query = Dictionary(
            (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
        let path = components.path
        if path == "/echo" {
            var headers: [String: String] = [:]
            for (name, value) in head.headers { headers[name.lowercased()] = value }
            let object: [String: Any] = [
                "method": head.method.rawValue, "uri": head.uri, "headers": headers,
                "body": String(buffer: body),
            ]
            let data = try! JSONSerialization.data(withJSONObject: object)
            send(context: context, status: .ok, body: String(decoding: data, as: UTF8.self))
        } else if path == "/stream" {
            let chunks = Int(query["chunks"] ?? "3") ?? 3
            let delay = Int64(query["delayMs"] ?? "50") ?? 50
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok))), promise: nil)
            context.flush()
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            for index in 0..<chunks {
                context.eventLoop.scheduleTask(in: .milliseconds(delay * Int64(index + 1))) {
                    let context = loopBound.value
                    context.writeAndFlush(
                        self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "chunk-\(index)\n")))), promise: nil)
                    if index == chunks - 1 {
                        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
                    }
                }
            }
        } else if path == "/forever" {
            streaming = true
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "first\n")))), promise: nil)
        } else if path == "/hang" {
            return
        } else if path.hasPrefix("/status/"), let code = Int(path.dropFirst("/status/".count)) {
            send(context: context, status: HTTPResponseStatus(statusCode: code), body: "status \(code)")
        } else if path.hasPrefix("/bytes/"), let count = Int(path.dropFirst("/bytes/".count)) {
            send(context: context, status: .ok, body: String(repeating: "x", count: count))
        } else {
            send(context: context, status: .notFound, body: "no route")
        }
    }

    private func send(context: ChannelHandlerContext, status: HTTPResponseStatus, body: String) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
        headers.add(name: "X-Test", value: "yes")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
