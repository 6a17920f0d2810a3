import CRDModels
import Foundation

extension ResourceDescriptor {
    /// `/api/v1` for the core group, `/apis/<group>/<version>` otherwise.
    public var apiPrefix: String { group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)" }

    /// The REST path of the collection (`namespace` nil: across all namespaces), of one object, or of
    /// one object's subresource.
    public func path(namespace: String?, name: String? = nil, subresource: String? = nil) -> String {
        var path = apiPrefix
        if namespaced, let namespace { path += "/namespaces/\(escapePathSegment(namespace))" }
        path += "/\(plural)"
        if let name {
            path += "/\(escapePathSegment(name))"
            if let subresource, !subresource.isEmpty { path += "/\(escapePathSegment(subresource))" }
        }
        return path
    }
}

/// Percent-encodes everything outside RFC 3986 unreserved characters (UTF-8 bytes, uppercase hex).
/// By hand over bytes: every request's path passes here, and names are nearly always unreserved already.
func escapePathSegment(_ text: String) -> String {
    func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default: false
        }
    }
    if text.utf8.allSatisfy(isUnreserved) { return text }
    let hex = Array("0123456789ABCDEF".utf8)
    var escaped: [UInt8] = []
    escaped.reserveCapacity(text.utf8.count * 3)
    for byte in text.utf8 {
        if isUnreserved(byte) {
            escaped.append(byte)
        } else {
            escaped += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
        }
    }
    return String(decoding: escaped, as: UTF8.self)
}

/// Builds a query string with every key and value percent-encoded (selectors contain `=`, `!`, `,`).
func encodeQuery(_ items: [(String, String)]) -> String {
    items.map { "\(escapePathSegment($0.0))=\(escapePathSegment($0.1))" }.joined(separator: "&")
}
