import FoundationEssentials

/// One header line. Names compare case-insensitively.
public struct HTTPHeader: Hashable, Sendable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// Whether this header is `name`: header names are case-insensitive (ASCII).
    public func hasName(_ name: String) -> Bool { self.name.equalsIgnoringASCIICase(name) }
}

extension StringProtocol {
    /// Whether the two are equal with ASCII letters compared case-insensitively (HTTP header names), by bytes.
    public func equalsIgnoringASCIICase(_ other: some StringProtocol) -> Bool {
        func lower(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte | 0x20 : byte }
        return utf8.count == other.utf8.count && zip(utf8, other.utf8).allSatisfy { lower($0) == lower($1) }
    }

    /// Whether the text holds a CR or LF (header injection). By bytes: "\r\n" is one `Character`, so
    /// `contains("\r")` without Foundation misses it.
    public var containsLineBreak: Bool { utf8.contains { $0 == 0x0A || $0 == 0x0D } }
}

/// A request for `HTTPTransport`.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [HTTPHeader]
    public var body: Data
    /// Deadline for the whole exchange (for a stream: for the status line and headers only).
    public var timeout: Duration

    public init(
        method: String = "GET", url: String, headers: [HTTPHeader] = [], body: Data = Data(),
        timeout: Duration = .seconds(30)
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// A complete response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: Data
    /// The protocol of the status line, e.g. `HTTP/1.1` or `HTTP/2`, when the transport knows it.
    public var version: String?

    public init(status: Int, headers: [HTTPHeader], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// First value of the header `name`, case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.hasName(name) }?.value
    }
}

/// A response whose body arrives over time (Kubernetes watches). Ending iteration early, or
/// cancelling the iterating task, aborts the transfer.
public struct HTTPStreamResponse: Sendable {
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: AsyncThrowingStream<Data, any Error>

    public init(status: Int, headers: [HTTPHeader], body: AsyncThrowingStream<Data, any Error>) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.hasName(name) }?.value
    }
}

/// The narrow interface both API clients use, so tests can put a fake beneath them.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
    func stream(_ request: HTTPRequest) async throws -> HTTPStreamResponse
}

/// TLS settings for one client (one API server, or the system trust store for AWS).
public struct TLSConfiguration: Sendable, Hashable {
    /// PEM bundle of trusted CAs; nil uses the system store.
    public var caPEM: Data?
    /// PEM client certificate and key for mutual TLS.
    public var clientCertificatePEM: Data?
    public var clientKeyPEM: Data?
    public var insecureSkipVerify: Bool
    /// SNI and verification name when it differs from the URL's host.
    public var serverName: String?

    public init(
        caPEM: Data? = nil, clientCertificatePEM: Data? = nil, clientKeyPEM: Data? = nil,
        insecureSkipVerify: Bool = false, serverName: String? = nil
    ) {
        self.caPEM = caPEM
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.insecureSkipVerify = insecureSkipVerify
        self.serverName = serverName
    }
}

/// Why a request did not produce a response.
public struct HTTPClientError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        case timedOut, connectFailed, tls, transport, cancelled, invalidRequest
    }

    public var code: Code
    public var message: String
    /// The libcurl result code, when libcurl reported one.
    public var curlCode: Int?

    public init(code: Code, message: String, curlCode: Int? = nil) {
        self.code = code
        self.message = message
        self.curlCode = curlCode
    }

    public var description: String { "HTTP \(code.rawValue): \(message)" }
}
