import CRDModels
import HTTPClient

extension ResourceDescriptor {
    /// `/api/v1` for the core group, `/apis/<group>/<version>` otherwise.
    public var apiPrefix: String { group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)" }

    /// The REST path of the collection (`namespace` nil: across all namespaces), of one object, or of
    /// one object's subresource.
    public func path(namespace: String?, name: String? = nil, subresource: String? = nil) -> String {
        var path = apiPrefix
        if namespaced, let namespace { path += "/namespaces/\(PercentEncoding.encode(namespace))" }
        path += "/\(plural)"
        if let name {
            path += "/\(PercentEncoding.encode(name))"
            if let subresource, !subresource.isEmpty { path += "/\(PercentEncoding.encode(subresource))" }
        }
        return path
    }
}

/// Builds a query string with every key and value percent-encoded (selectors contain `=`, `!`, `,`).
func encodeQuery(_ items: [(String, String)]) -> String {
    items.map { "\(PercentEncoding.encode($0.0))=\(PercentEncoding.encode($0.1))" }.joined(separator: "&")
}
