import FoundationEssentials
import NIOHTTP1

/// What a handler answers: a status, headers and either a complete body or a stream of chunks.
public struct HTTPServerResponse: Sendable {
    /// The body of a response.
    public enum Body: Sendable {
        /// Sent with `Content-Length`.
        case data(Data)
        /// Sent with `Content-Length`: for an answer built as bytes (every AdmissionReview's), which would otherwise
        /// be copied into a `Data` only to be copied out again (a `Data` made and freed cost 1,300 instructions).
        case bytes([UInt8])
        /// Sent with chunked encoding; the closure writes chunks until it returns. Each `write` waits until the
        /// chunk is handed to the socket, so a slow client slows the writer instead of growing a buffer. When
        /// the client goes away or the server shuts down, `write` throws and the task is cancelled.
        case stream(@Sendable (HTTPResponseBodyWriter) async throws -> Void)
    }

    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: Body

    public init(status: HTTPResponseStatus, headers: HTTPHeaders = HTTPHeaders(), body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = .data(body)
    }

    public init(status: HTTPResponseStatus, headers: HTTPHeaders = HTTPHeaders(), bytes: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = .bytes(bytes)
    }

    public init(
        status: HTTPResponseStatus, headers: HTTPHeaders = HTTPHeaders(),
        stream: @escaping @Sendable (HTTPResponseBodyWriter) async throws -> Void
    ) {
        self.status = status
        self.headers = headers
        self.body = .stream(stream)
    }

    /// The complete body; nil for a streamed one.
    public var bodyData: Data? {
        switch body {
        case .data(let data): data
        case .bytes(let bytes): Data(bytes)
        case .stream: nil
        }
    }

    /// A JSON body with `Content-Type: application/json`.
    public static func json(_ status: HTTPResponseStatus, _ body: Data, headers: HTTPHeaders = HTTPHeaders()) -> Self {
        HTTPServerResponse(status: status, headers: jsonHeaders(adding: headers), body: body)
    }

    /// A JSON body given as bytes, with `Content-Type: application/json`.
    public static func json(_ status: HTTPResponseStatus, bytes: [UInt8], headers: HTTPHeaders = HTTPHeaders()) -> Self {
        HTTPServerResponse(status: status, headers: jsonHeaders(adding: headers), bytes: bytes)
    }

    private static func jsonHeaders(adding headers: HTTPHeaders) -> HTTPHeaders {
        guard !headers.isEmpty else { return jsonHeaders }
        var headers = headers
        headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        return headers
    }

    /// The headers of a JSON answer with no others (every AdmissionReview's): shared, so an answer neither
    /// allocates its header list nor searches it (`replaceOrAdd`).
    private static let jsonHeaders: HTTPHeaders = ["Content-Type": "application/json"]

    /// A plain-text body ending in a newline.
    public static func text(_ status: HTTPResponseStatus, _ text: String, headers: HTTPHeaders = HTTPHeaders()) -> Self {
        var headers = headers
        headers.replaceOrAdd(name: "Content-Type", value: "text/plain; charset=utf-8")
        return HTTPServerResponse(status: status, headers: headers, body: Data((text + "\n").utf8))
    }
}

/// Writes the chunks of a streamed response body.
public protocol HTTPResponseBodyWriter: Sendable {
    /// Sends one chunk and waits until it is written. Throws when the connection is gone.
    func write(_ data: Data) async throws
}
