import COpenSSL
import Logging
import NIOCore

/// Fired inbound (as a user event) once the TLS handshake completes, so handlers behind the TLS handler learn
/// who the client is without reaching into OpenSSL.
public struct TLSHandshakeCompleted: Sendable, Hashable {
    /// `TLSv1.2` or `TLSv1.3`.
    public var protocolVersion: String
    public var cipher: String
    /// The protocol chosen by ALPN, if the client offered one the server speaks.
    public var negotiatedProtocol: String?
    /// The verified client certificate's subject common name (only with client CA verification on).
    public var peerCommonName: String?
}

/// Server-side TLS for a swift-nio channel over OpenSSL memory BIOs.
///
/// Ciphertext from the network is written into a read BIO and OpenSSL's output is drained from a write BIO,
/// so OpenSSL never touches the socket and never blocks the event loop. Writes made before the handshake
/// completes are held and sent after it. Writes between two flushes are encrypted together at the flush,
/// so a response's head and body go out as one TLS record and one socket write. Closing sends
/// `close_notify` first; a peer's `close_notify` is answered and the connection closed. A failed handshake
/// (wrong version, no shared cipher, garbage) sends OpenSSL's alert, if any, and closes the connection; it
/// is logged at debug level, never thrown further.
public final class OpenSSLServerHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private enum State {
        case idle, handshaking, active, closing, closed
    }

    private let context: TLSServerContext
    private var logger: Logger
    private var ssl: OpaquePointer?
    private var readBIO: OpaquePointer?
    private var writeBIO: OpaquePointer?
    private var state: State = .idle
    private var heldWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    private var flushHeld = false
    /// Plaintext written since the last flush, and the promise that completes when it is written (later
    /// writes' promises cascade from it).
    private var unflushed: ByteBuffer?
    private var unflushedPromise: EventLoopPromise<Void>?
    /// The last small ciphertext buffer, written into again once the socket has taken it: a keep-alive
    /// connection's records then cost no allocation each (see `HTTPConnectionHandler.reusedResponseCapacity`).
    private var ciphertextBuffer: ByteBuffer?
    /// Set after the handshake: what the client negotiated.
    public private(set) var handshake: TLSHandshakeCompleted?

    /// - Parameter context: the pair and settings for this connection; keep passing the current one from a
    ///   `CertificateStore` so each new connection uses the latest certificate.
    public init(context: TLSServerContext, logger: Logger = Logger(label: "tls")) {
        self.context = context
        self.logger = logger
    }

    deinit {
        if let ssl { SSL_free(ssl) }
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        guard let ssl = SSL_new(self.context.ctx),
            let readBIO = BIO_new(BIO_s_mem()),
            let writeBIO = BIO_new(BIO_s_mem())
        else {
            logger.error("cannot create an OpenSSL connection", metadata: ["tls.error": "\(OpenSSLErrors.drain() ?? "")"])
            state = .closed
            context.close(promise: nil)
            return
        }
        SSL_set_bio(ssl, readBIO, writeBIO)  // the SSL owns both BIOs from here on
        SSL_set_accept_state(ssl)
        self.ssl = ssl
        self.readBIO = readBIO
        self.writeBIO = writeBIO
        state = .handshaking
        if let remote = context.channel.remoteAddress {
            logger[metadataKey: "peer"] = "\(remote)"
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        failHeldWrites(ChannelError.ioOnClosedChannel)
        state = .closed
    }

    // MARK: Inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard let readBIO, state == .handshaking || state == .active || state == .closing else { return }
        while buffer.readableBytes > 0 {
            let written = buffer.withUnsafeReadableBytes { raw in
                BIO_write(readBIO, raw.baseAddress, Int32(min(raw.count, Int(Int32.max))))
            }
            guard written > 0 else {
                fail(context: context, TLSServerError(code: .protocolError, message: "BIO_write failed"))
                return
            }
            buffer.moveReaderIndex(forwardBy: Int(written))
        }
        switch state {
        case .handshaking:
            doHandshake(context: context)
        case .active, .closing:
            readPlaintext(context: context)
        case .idle, .closed:
            break
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        failHeldWrites(ChannelError.ioOnClosedChannel)
        state = .closed
        context.fireChannelInactive()
    }

    private func doHandshake(context: ChannelHandlerContext) {
        guard let ssl else { return }
        OpenSSLErrors.clear()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            state = .active
            let completed = describeSession(ssl)
            handshake = completed
            writeCiphertext(context: context, promise: nil)
            context.flush()
            logger.trace(
                "TLS handshake completed",
                metadata: ["tls.version": "\(completed.protocolVersion)", "tls.cipher": "\(completed.cipher)"])
            context.fireUserInboundEventTriggered(completed)
            releaseHeldWrites(context: context)
            readPlaintext(context: context)
            return
        }
        let error = SSL_get_error(ssl, result)
        if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE {
            writeCiphertext(context: context, promise: nil)
            context.flush()
            return
        }
        let cause = OpenSSLErrors.drain() ?? "SSL error \(error)"
        logger.debug("TLS handshake failed", metadata: ["tls.error": "\(cause)"])
        // Send the alert OpenSSL queued (for instance protocol_version), then close.
        writeCiphertext(context: context, promise: nil)
        context.flush()
        state = .closed
        failHeldWrites(TLSServerError(code: .handshakeFailed, message: "TLS handshake failed", cause: cause))
        context.close(promise: nil)
    }

    private func readPlaintext(context: ChannelHandlerContext) {
        guard let ssl, let readBIO else { return }
        while state == .active || state == .closing {
            // Sized by what is buffered (ciphertext bounds the plaintext), not a fixed 16 KiB per read; with
            // nothing buffered there is nothing to read, so no buffer is made only to learn SSL_ERROR_WANT_READ.
            let buffered = Int(copenssl_bio_pending(readBIO)) + Int(SSL_pending(ssl))
            guard buffered > 0 || SSL_has_pending(ssl) == 1 else {
                // Post-handshake messages (TLS 1.3 key updates) may have produced output.
                if writeCiphertext(context: context, promise: nil) { context.flush() }
                return
            }
            let size = min(max(buffered, 1024), 16 * 1024)
            OpenSSLErrors.clear()
            var buffer = context.channel.allocator.buffer(capacity: size)
            var result: Int32 = 0
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { raw in
                result = SSL_read(ssl, raw.baseAddress, Int32(raw.count))
                return result > 0 ? Int(result) : 0
            }
            if result > 0 {
                context.fireChannelRead(wrapInboundOut(buffer))
                continue
            }
            let error = SSL_get_error(ssl, result)
            switch error {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                // Post-handshake messages (TLS 1.3 key updates) may have produced output.
                if writeCiphertext(context: context, promise: nil) { context.flush() }
                return
            case SSL_ERROR_ZERO_RETURN:
                // The peer sent close_notify: answer it and close.
                logger.trace("peer sent close_notify")
                close(context: context, mode: .all, promise: nil)
                return
            default:
                let cause = OpenSSLErrors.drain() ?? "SSL error \(error)"
                fail(context: context, TLSServerError(code: .protocolError, message: "TLS read failed", cause: cause))
                return
            }
        }
    }

    // MARK: Outbound

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let plaintext = unwrapOutboundIn(data)
        switch state {
        case .idle, .handshaking:
            heldWrites.append((plaintext, promise))
        case .active:
            hold(plaintext, promise: promise)
        case .closing, .closed:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    public func flush(context: ChannelHandlerContext) {
        switch state {
        case .idle, .handshaking:
            flushHeld = true
        case .active:
            encryptUnflushed(context: context)
            context.flush()
        case .closing:
            context.flush()
        case .closed:
            break
        }
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all || mode == .output else {
            context.close(mode: mode, promise: promise)
            return
        }
        if state == .active, let ssl {
            encryptUnflushed(context: context)  // what was written goes out before our close_notify
            state = .closing
            OpenSSLErrors.clear()
            _ = SSL_shutdown(ssl)  // queues our close_notify; we do not wait for the peer's
            _ = OpenSSLErrors.drain()
            writeCiphertext(context: context, promise: nil)
            context.flush()
        }
        if state != .closed {
            state = .closed
        }
        failHeldWrites(ChannelError.ioOnClosedChannel)
        context.close(mode: mode, promise: promise)
    }

    private func encrypt(context: ChannelHandlerContext, _ plaintext: ByteBuffer, promise: EventLoopPromise<Void>?) {
        guard let ssl else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        var remaining = plaintext
        while remaining.readableBytes > 0 {
            OpenSSLErrors.clear()
            let written = remaining.withUnsafeReadableBytes { raw in
                SSL_write(ssl, raw.baseAddress, Int32(min(raw.count, Int(Int32.max))))
            }
            guard written > 0 else {
                let cause = OpenSSLErrors.drain() ?? "SSL error \(SSL_get_error(ssl, written))"
                let error = TLSServerError(code: .protocolError, message: "TLS write failed", cause: cause)
                promise?.fail(error)
                fail(context: context, error)
                return
            }
            remaining.moveReaderIndex(forwardBy: Int(written))
        }
        if !writeCiphertext(context: context, promise: promise), let promise {
            // Nothing to send (an empty write), but its promise must still complete only after everything
            // written before it has reached the socket, as the channel's own writes do.
            context.write(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)), promise: promise)
        }
    }

    /// Adds a write to the plaintext of the next flush.
    private func hold(_ plaintext: ByteBuffer, promise: EventLoopPromise<Void>?) {
        if unflushed == nil {
            unflushed = plaintext
        } else {
            unflushed!.writeImmutableBuffer(plaintext)
        }
        guard let promise else { return }
        if let first = unflushedPromise {
            first.futureResult.cascade(to: promise)
        } else {
            unflushedPromise = promise
        }
    }

    private func encryptUnflushed(context: ChannelHandlerContext) {
        guard let plaintext = unflushed else { return }
        let promise = unflushedPromise
        unflushed = nil
        unflushedPromise = nil
        encrypt(context: context, plaintext, promise: promise)
    }

    private func releaseHeldWrites(context: ChannelHandlerContext) {
        let held = heldWrites
        heldWrites = []
        for (plaintext, promise) in held {
            hold(plaintext, promise: promise)
        }
        if flushHeld {
            flushHeld = false
            encryptUnflushed(context: context)
            context.flush()
        }
    }

    /// Fails the writes held before the handshake and those not flushed yet.
    private func failHeldWrites(_ error: any Error) {
        let held = heldWrites
        heldWrites = []
        for (_, promise) in held {
            promise?.fail(error)
        }
        unflushed = nil
        let promise = unflushedPromise
        unflushedPromise = nil
        promise?.fail(error)
    }

    /// Moves everything OpenSSL wrote into the write BIO onto the channel. Returns whether it wrote anything;
    /// `promise` is attached to the last buffer written.
    @discardableResult
    private func writeCiphertext(context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) -> Bool {
        guard let writeBIO else { return false }
        let pending = Int(copenssl_bio_pending(writeBIO))
        guard pending > 0 else { return false }
        var buffer = ciphertextBuffer ?? context.channel.allocator.buffer(capacity: pending)
        ciphertextBuffer = nil
        buffer.clear()  // new storage if the socket still holds the last records
        buffer.reserveCapacity(minimumWritableBytes: pending)
        while true {
            let available = Int(copenssl_bio_pending(writeBIO))
            if available <= 0 { break }
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: available) { raw in
                let n = BIO_read(writeBIO, raw.baseAddress, Int32(min(raw.count, Int(Int32.max))))
                return n > 0 ? Int(n) : 0
            }
        }
        context.write(wrapOutboundOut(buffer), promise: promise)
        if buffer.capacity <= HTTPConnectionHandler.reusedResponseCapacity + 1024 {  // with the records' overhead
            ciphertextBuffer = buffer
        }
        return true
    }

    private func fail(context: ChannelHandlerContext, _ error: TLSServerError) {
        logger.debug("closing TLS connection", metadata: ["tls.error": "\(error)"])
        writeCiphertext(context: context, promise: nil)
        context.flush()
        state = .closed
        failHeldWrites(error)
        context.close(promise: nil)
    }

    private func describeSession(_ ssl: OpaquePointer) -> TLSHandshakeCompleted {
        let version = SSL_get_version(ssl).map { String(cString: $0) } ?? "unknown"
        let cipher = SSL_get_current_cipher(ssl).flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) } ?? ""
        var alpnPointer: UnsafePointer<UInt8>?
        var alpnLength: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &alpnPointer, &alpnLength)
        let alpn = alpnPointer.map { String(decoding: UnsafeBufferPointer(start: $0, count: Int(alpnLength)), as: UTF8.self) }
        var commonName: String?
        if let peer = SSL_get1_peer_certificate(ssl) {
            defer { X509_free(peer) }
            if SSL_get_verify_result(ssl) == X509_V_OK {
                commonName = X509Names.commonName(peer)
            }
        }
        return TLSHandshakeCompleted(
            protocolVersion: version, cipher: cipher, negotiatedProtocol: alpn.flatMap { $0.isEmpty ? nil : $0 },
            peerCommonName: commonName)
    }
}
