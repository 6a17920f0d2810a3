import Foundation
import HTTPClient
import Synchronization

/// A scripted `HTTPTransport`: records each request and answers from a handler. The least powerful
/// fake that shows what the client puts on the wire; wire behaviour is proven against the test server.
final class FakeTransport: HTTPTransport, Sendable {
    typealias Handler = @Sendable (HTTPRequest) throws -> HTTPResponse
    typealias StreamHandler = @Sendable (HTTPRequest) throws -> HTTPStreamResponse

    private let handler: Handler
    private let streamHandler: StreamHandler?
    private let recorded = Mutex<[HTTPRequest]>([])

    init(
        _ handler: @escaping Handler = { _ in HTTPResponse(status: 404, headers: [], body: Data()) },
        stream: StreamHandler? = nil
    ) {
        self.handler = handler
        self.streamHandler = stream
    }

    var requests: [HTTPRequest] { recorded.withLock { $0 } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        recorded.withLock { $0.append(request) }
        return try handler(request)
    }

    func stream(_ request: HTTPRequest) async throws -> HTTPStreamResponse {
        recorded.withLock { $0.append(request) }
        guard let streamHandler else { throw HTTPClientError(code: .invalidRequest, message: "no stream handler") }
        return try streamHandler(request)
    }
}

extension HTTPResponse {
    static func json(_ status: Int, _ text: String, headers: [HTTPHeader] = []) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: [HTTPHeader("Content-Type", "application/json")] + headers, body: Data(text.utf8))
    }
}

extension HTTPRequest {
    func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    var bodyJSON: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
    }
}

/// A stream body made of the given chunks.
func chunkedBody(_ chunks: [String], failing error: (any Error)? = nil) -> AsyncThrowingStream<Data, any Error> {
    AsyncThrowingStream { continuation in
        for chunk in chunks { continuation.yield(Data(chunk.utf8)) }
        continuation.finish(throwing: error)
    }
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kubeclient-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

