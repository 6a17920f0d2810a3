import CRDModels
import HTTPClient

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
func escapePathSegment(_ text: String) -> String {
    PercentEncoding.encode(text)
}

/// Builds a query string with every key and value percent-encoded (selectors contain `=`, `!`, `,`).
func encodeQuery(_ items: [(String, String)]) -> String {
    items.map { "\(escapePathSegment($0.0))=\(escapePathSegment($0.1))" }.joined(separator: "&")
}
