import FoundationEssentials
import HTTPClient
import NIOHTTP1

/// A complete HTTP request as handed to the server's handler: the body is fully read (and bounded).
public struct HTTPServerRequest: Sendable {
    /// `GET`, `POST`, ...
    public var method: String
    /// The request target as sent, e.g. `/validate?timeout=10s`.
    public var target: String
    public var headers: HTTPHeaders
    public var body: Data
    /// The remote address, for logs.
    public var remoteAddress: String?
    /// What TLS negotiated; nil on plain HTTP.
    public var tls: TLSHandshakeCompleted?

    public init(
        method: String, target: String, headers: HTTPHeaders = HTTPHeaders(), body: Data = Data(),
        remoteAddress: String? = nil, tls: TLSHandshakeCompleted? = nil
    ) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        self.tls = tls
    }

    /// The path part of the target, without the query.
    public var path: String {
        // Bytes, not Characters: read on every request (twice by the webhook), and `?` is ASCII. Searched in the
        // string's contiguous bytes: `target.utf8.firstIndex(of:)` stepped through `String.Index`es, about 950
        // instructions for a 31-byte target.
        var target = target
        return target.withUTF8 { bytes in
            bytes.firstIndex(of: UInt8(ascii: "?")).map {
                String(decoding: UnsafeBufferPointer(rebasing: bytes[..<$0]), as: UTF8.self)
            }
        } ?? target
    }

    /// The raw query string after `?`, if any.
    public var query: String? {
        guard let index = target.firstIndex(of: "?") else { return nil }
        return String(target[target.index(after: index)...])
    }

    /// Query parameters, percent-decoded; a repeated name keeps every value in order.
    public var queryItems: [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in
                PercentEncoding.decode(s, plusIsSpace: true) ?? String(s)
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// The verified client certificate's common name (mutual TLS only).
    public var peerCommonName: String? { tls?.peerCommonName }
}
