import CCurl
import FoundationEssentials
import Synchronization

/// `HTTPTransport` on libcurl's multi interface.
///
/// One background thread drives every transfer of this client through one `CURLM` handle, so
/// connections (HTTP/1.1 keep-alive and HTTP/2 multiplexing) are reused across requests and no thread
/// is blocked per waiting request. Callers suspend on continuations that the loop resumes.
///
/// Proxies follow libcurl's environment handling (`HTTPS_PROXY`, `https_proxy`, `NO_PROXY`, …).
public final class CurlHTTPClient: HTTPTransport, Sendable {
    public struct Configuration: Sendable {
        public var tls: TLSConfiguration
        /// Connections open at once per host; transfers beyond it wait inside libcurl. 0: no limit (every long-lived
        /// stream holds a connection of its own over HTTP/1.1; bound the requests elsewhere, as `KubeClient` does).
        public var maxConnectionsPerHost: Int
        /// Whether TLS connections offer HTTP/2 (ALPN); without it they speak HTTP/1.1.
        public var http2: Bool
        /// A complete (non-streamed) response body larger than this aborts the request.
        public var maxResponseBytes: Int
        /// Chunks a stream may hold for a slow consumer before the transfer is aborted.
        public var maxBufferedStreamChunks: Int
        public var connectTimeout: Duration
        public var userAgent: String

        public init(
            tls: TLSConfiguration = TLSConfiguration(), maxConnectionsPerHost: Int = 32,
            maxResponseBytes: Int = 256 << 20, maxBufferedStreamChunks: Int = 4096,
            connectTimeout: Duration = .seconds(10), userAgent: String = "ecr-pullsecret-operator", http2: Bool = true
        ) {
            self.tls = tls
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.http2 = http2
            self.maxResponseBytes = maxResponseBytes
            self.maxBufferedStreamChunks = maxBufferedStreamChunks
            self.connectTimeout = connectTimeout
            self.userAgent = userAgent
        }
    }

    private let configuration: Configuration
    private let loop: CurlLoop

    /// The client's loop thread as a task executor: tasks that prefer it run between its passes (`CurlLoop`).
    public var taskExecutor: any TaskExecutor { loop }

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.loop = CurlLoop(configuration: configuration)
    }

    deinit { loop.stop() }

    /// Whether the linked libcurl can speak HTTP/2 (built with nghttp2).
    public static var supportsHTTP2: Bool {
        ccurl_supports_http2() != 0
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let transfer = try CurlTransfer(
            request: request, mode: .buffered, configuration: configuration, handles: loop.handles)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.completion = continuation
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
    }

    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamResponse {
        let transfer = try CurlTransfer(
            request: request, mode: .streaming, configuration: configuration, handles: loop.handles)
        let (body, continuation) = AsyncThrowingStream<Data, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(configuration.maxBufferedStreamChunks))
        transfer.bodyContinuation = continuation
        // Capturing the client keeps it (and its loop) alive for as long as the body is being read, even
        // when the caller dropped its own reference after `stream` returned.
        continuation.onTermination = { @Sendable _ in self.loop.cancel(transfer) }
        let head: HTTPResponse = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { headContinuation in
                transfer.completion = headContinuation
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
        return HTTPStreamResponse(status: head.status, headers: head.headers, body: body)
    }
}

// MARK: - Transfer

/// One request's libcurl easy handle and the state its callbacks fill in.
///
/// Only the loop thread touches the handle and the mutable fields after `submit`; the
/// continuations are resumed exactly once, by the loop.
final class CurlTransfer: @unchecked Sendable {
    enum Mode { case buffered, streaming }
    enum Phase { case new, submitted, cancelledEarly, ended }

    /// Guarded by the owning `CurlLoop`'s inbox mutex.
    var phase = Phase.new
    let handle: UnsafeMutableRawPointer
    /// Where `handle` came from and goes back to.
    private let handles: CurlHandlePool
    let mode: Mode
    let maxResponseBytes: Int
    /// For streams: the deadline for the status line and headers. Buffered requests use CURLOPT_TIMEOUT_MS.
    let headerDeadline: ContinuousClock.Instant?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    var completion: CheckedContinuation<HTTPResponse, any Error>?
    var bodyContinuation: AsyncThrowingStream<Data, any Error>.Continuation?
    var status = 0
    var version: String?
    var headers: [HTTPHeader] = []
    var body = Data()
    var headersComplete = false
    /// Set by a callback that aborted the transfer, to report the real reason.
    var abortReason: HTTPClientError?

    init(
        request: HTTPRequest, mode: Mode, configuration: CurlHTTPClient.Configuration, handles: CurlHandlePool
    ) throws {
        guard let handle = handles.take() else {
            throw HTTPClientError(code: .transport, message: "curl_easy_init failed")
        }
        self.handle = handle
        self.handles = handles
        self.mode = mode
        self.maxResponseBytes = configuration.maxResponseBytes
        self.headerDeadline = mode == .streaming ? ContinuousClock.now + request.timeout : nil
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        do {
            try configure(request: request, configuration: configuration)
        } catch {
            cleanup()
            throw error
        }
    }

    private func configure(request: HTTPRequest, configuration: CurlHTTPClient.Configuration) throws {
        let tls = configuration.tls
        try setString(CURLOPT_URL, try url(of: request, tls: tls))
        try setLong(CURLOPT_NOSIGNAL, 1)
        try setLong(CURLOPT_FOLLOWLOCATION, 0)
        try setLong(CURLOPT_TCP_KEEPALIVE, 1)
        try setLong(CURLOPT_HTTP_VERSION, Int(configuration.http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1))
        // While a connection's ALPN is unknown (TLS handshake in flight), queue on it rather than opening
        // another: with HTTP/2 one connection carries every request; over HTTP/1.1 this changes nothing.
        try setLong(CURLOPT_PIPEWAIT, 1)
        try setString(CURLOPT_USERAGENT, configuration.userAgent)
        try setString(CURLOPT_ACCEPT_ENCODING, "")  // every encoding libcurl can decode
        // libcurl 7.88 allocates the upload buffer for every transfer and frees it when the transfer is done
        // (`multi_done`), reset or not; at its default 64 KiB glibc serves that with mmap and munmap each time.
        // Our bodies are set with COPYPOSTFIELDS and small; the smallest size libcurl accepts is plenty.
        try setLong(CURLOPT_UPLOAD_BUFFERSIZE, Self.uploadBufferSize)
        try setLong(CURLOPT_CONNECTTIMEOUT_MS, Int(min(configuration.connectTimeout, request.timeout).milliseconds))
        if mode == .buffered {
            try setLong(CURLOPT_TIMEOUT_MS, Int(request.timeout.milliseconds))
        }
        try check(ccurl_easy_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer))

        switch request.method {
        case "GET": try setLong(CURLOPT_HTTPGET, 1)
        case "HEAD": try setLong(CURLOPT_NOBODY, 1)
        default: try setString(CURLOPT_CUSTOMREQUEST, request.method)
        }
        if !request.body.isEmpty || request.method == "POST" || request.method == "PUT" || request.method == "PATCH" {
            try check(ccurl_easy_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
            try request.body.withUnsafeBytes { bytes in
                // COPYPOSTFIELDS copies, so the bytes need not outlive this call.
                let base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
                try check(ccurl_easy_setopt_ptr(handle, CURLOPT_COPYPOSTFIELDS, base))
            }
        }

        for header in request.headers {
            let line = header.value.isEmpty ? "\(header.name):" : "\(header.name): \(header.value)"
            guard !line.containsLineBreak else {
                throw HTTPClientError(code: .invalidRequest, message: "header \(header.name) contains a line break")
            }
            headerList = curl_slist_append(headerList, line)
        }
        // "Expect:" suppresses libcurl's 100-continue round trip for request bodies.
        headerList = curl_slist_append(headerList, "Expect:")
        try check(ccurl_easy_setopt_ptr(handle, CURLOPT_HTTPHEADER, headerList))

        try applyTLS(tls)

        let context = Unmanaged.passUnretained(self).toOpaque()
        try check(ccurl_easy_setopt_write(handle, CURLOPT_WRITEFUNCTION, curlWriteCallback))
        try check(ccurl_easy_setopt_ptr(handle, CURLOPT_WRITEDATA, context))
        try check(ccurl_easy_setopt_write(handle, CURLOPT_HEADERFUNCTION, curlHeaderCallback))
        try check(ccurl_easy_setopt_ptr(handle, CURLOPT_HEADERDATA, context))
        try check(ccurl_easy_setopt_ptr(handle, CURLOPT_PRIVATE, context))
    }

    /// The URL to hand libcurl; when the TLS server name differs from the URL's host, the URL names the
    /// server and CURLOPT_CONNECT_TO the real host (libcurl has no SNI override).
    private func url(of request: HTTPRequest, tls: TLSConfiguration) throws -> String {
        let url = request.url
        // The common case, checked without URLComponents (a visible cost per request): http(s)://host...
        // in printable ASCII (nothing URLComponents would percent-encode), no server name to substitute.
        if tls.serverName == nil, let rest = Self.afterScheme(url), let first = rest.utf8.first,
            first != UInt8(ascii: "/"), rest.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        {
            return url
        }
        guard var components = URLComponents(string: url), let host = components.host,
            let scheme = components.scheme, scheme == "http" || scheme == "https"
        else {
            throw HTTPClientError(code: .invalidRequest, message: "not an http(s) URL: \(url)")
        }
        if let serverName = tls.serverName, serverName != host, scheme == "https" {
            let port = components.port ?? 443
            let connectHost = host.contains(":") ? "[\(host)]" : host
            try setString(CURLOPT_CONNECT_TO, "\(serverName):\(port):\(connectHost):\(port)", keepList: true)
            components.host = serverName
        }
        guard let rewritten = components.string else {
            throw HTTPClientError(code: .invalidRequest, message: "not a valid URL: \(url)")
        }
        return rewritten
    }

    /// What follows `http://` or `https://` (lowercase, as every caller writes it); nil for anything else.
    private static func afterScheme(_ url: String) -> Substring? {
        for prefix in ["https://", "http://"] where url.hasPrefix(prefix) {
            return url.dropFirst(prefix.count)
        }
        return nil
    }

    private func applyTLS(_ tls: TLSConfiguration) throws {
        if tls.insecureSkipVerify {
            try setLong(CURLOPT_SSL_VERIFYPEER, 0)
            try setLong(CURLOPT_SSL_VERIFYHOST, 0)
        }
        if let ca = tls.caPEM { try setBlob(CURLOPT_CAINFO_BLOB, ca) }
        if let certificate = tls.clientCertificatePEM {
            try setBlob(CURLOPT_SSLCERT_BLOB, certificate)
            try setString(CURLOPT_SSLCERTTYPE, "PEM")
        }
        if let key = tls.clientKeyPEM {
            try setBlob(CURLOPT_SSLKEY_BLOB, key)
            try setString(CURLOPT_SSLKEYTYPE, "PEM")
        }
    }

    /// Called when the status line and all headers of the final response are in.
    func finishHeaders() {
        headersComplete = true
        guard mode == .streaming, let completion else { return }
        self.completion = nil
        completion.resume(returning: response(body: Data()))
    }

    /// Ends the transfer: resumes whoever still waits, exactly once.
    func finish(error: HTTPClientError?) {
        if let completion {
            self.completion = nil
            if let error {
                completion.resume(throwing: error)
            } else {
                completion.resume(returning: response(body: body))
            }
        }
        if let bodyContinuation {
            self.bodyContinuation = nil
            if let error { bodyContinuation.finish(throwing: error) } else { bodyContinuation.finish() }
        }
    }

    private func response(body: Data) -> HTTPResponse {
        var response = HTTPResponse(status: status, headers: headers, body: body)
        response.version = version
        return response
    }

    /// Returns the handle to the pool (reset, so nothing of this request stays on it), then frees the lists it
    /// pointed to. Once only, after the handle left the multi handle (or never entered it).
    func cleanup() {
        handles.giveBack(handle)
        curl_slist_free_all(headerList)
        curl_slist_free_all(connectTo)
        headerList = nil
        connectTo = nil
        errorBuffer.deallocate()
    }

    var errorDetail: String { String(cString: errorBuffer) }

    /// libcurl's minimum upload buffer (`UPLOADBUFFER_MIN`, 16 KiB), below glibc's mmap threshold.
    static let uploadBufferSize = 16 * 1024

    private func setLong(_ option: CURLoption, _ value: Int) throws {
        try check(ccurl_easy_setopt_long(handle, option, value))
    }

    private func setString(_ option: CURLoption, _ value: String, keepList: Bool = false) throws {
        if keepList {
            connectTo = curl_slist_append(connectTo, value)
            try check(ccurl_easy_setopt_ptr(handle, option, connectTo))
        } else {
            // libcurl copies string options.
            try value.withCString { try check(ccurl_easy_setopt_ptr(handle, option, $0)) }
        }
    }

    /// CURLOPT_CONNECT_TO takes a list, which must live as long as the handle.
    private var connectTo: UnsafeMutablePointer<curl_slist>?

    private func setBlob(_ option: CURLoption, _ data: Data) throws {
        try data.withUnsafeBytes { bytes in
            var blob = curl_blob(
                data: UnsafeMutableRawPointer(mutating: bytes.baseAddress), len: bytes.count,
                flags: UInt32(CURL_BLOB_COPY))
            try withUnsafePointer(to: &blob) { try check(ccurl_easy_setopt_ptr(handle, option, $0)) }
        }
    }

    private func check(_ code: CURLcode) throws {
        guard code == CURLE_OK else {
            throw HTTPClientError(
                code: .invalidRequest, message: "libcurl option rejected: \(String(cString: curl_easy_strerror(code)))",
                curlCode: Int(code.rawValue))
        }
    }
}

/// libcurl's header callback: one call per header line, including the status line and the blank
/// line that ends a header block. Redirect and 1xx blocks reset what was collected.
private func curlHeaderCallback(
    _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    let length = size * count
    guard let buffer, let context else { return length }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    // Byte-level: this runs for every header line of every response (Foundation's trimming was a visible cost).
    let line = trimmed(UnsafeRawBufferPointer(start: buffer, count: length))
    if line.starts(with: "HTTP/".utf8) {
        let parts = line.split(separator: UInt8(ascii: " "), maxSplits: 2)
        transfer.headers = []
        transfer.version = parts.first.map { String(decoding: $0, as: UTF8.self) }
        transfer.status = parts.dropFirst().first.flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
    } else if line.isEmpty {
        if transfer.status >= 200 { transfer.finishHeaders() }
    } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
        let name = String(decoding: line[..<colon], as: UTF8.self)
        let value = String(decoding: trimmed(line[(colon + 1)...]), as: UTF8.self)
        transfer.headers.append(HTTPHeader(name, value))
    }
    return length
}

/// `bytes` without leading and trailing ASCII whitespace (space, tab, CR, LF).
private func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> Slice<UnsafeRawBufferPointer> {
    func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
    var start = bytes.startIndex
    var end = bytes.endIndex
    while start < end, isSpace(bytes[start]) { start += 1 }
    while end > start, isSpace(bytes[end - 1]) { end -= 1 }
    return bytes[start..<end]
}

private func trimmed(_ bytes: UnsafeRawBufferPointer) -> Slice<UnsafeRawBufferPointer> {
    trimmed(bytes[...])
}

/// libcurl's body callback. Returning less than `length` aborts the transfer.
private func curlWriteCallback(
    _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    let length = size * count
    guard let buffer, let context else { return length }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    switch transfer.mode {
    case .buffered:
        guard transfer.body.count + length <= transfer.maxResponseBytes else {
            transfer.abortReason = HTTPClientError(
                code: .transport, message: "response body exceeds \(transfer.maxResponseBytes) bytes")
            return 0
        }
        // Straight into the body: no intermediate `Data` per chunk.
        UnsafeRawPointer(buffer).withMemoryRebound(to: UInt8.self, capacity: length) {
            transfer.body.append($0, count: length)
        }
    case .streaming:
        if !transfer.headersComplete { transfer.finishHeaders() }
        guard let continuation = transfer.bodyContinuation else { return 0 }
        if case .dropped = continuation.yield(Data(bytes: buffer, count: length)) {
            transfer.abortReason = HTTPClientError(
                code: .transport, message: "stream consumer too slow: buffered chunk limit reached")
            return 0
        }
    }
    return length
}

enum CurlGlobal {
    private static let once: Void = { curl_global_init(Int(CURL_GLOBAL_ALL)) }()
    static func initialize() { _ = once }
}
