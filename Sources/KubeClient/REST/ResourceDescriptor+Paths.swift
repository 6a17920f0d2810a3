import CRDModels
import HTTPClient

extension ResourceDescriptor {
    /// `/api/v1` for the core group, `/apis/<group>/<version>` otherwise.
    public var apiPrefix: String { group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)" }

    /// The REST path of the collection (`namespace` nil: across all namespaces), of one object, or of
    /// one object's subresource.
    /// Built in one buffer (a request's path is built per request: interpolations cost a string each).
    public func path(namespace: String?, name: String? = nil, subresource: String? = nil) -> String {
        var path = group.isEmpty ? "/api/" : "/apis/"
        path.reserveCapacity(96)
        if !group.isEmpty {
            path += group
            path += "/"
        }
        path += version
        if namespaced, let namespace {
            path += "/namespaces/"
            path += PercentEncoding.encode(namespace)
        }
        path += "/"
        path += plural
        if let name {
            path += "/"
            path += PercentEncoding.encode(name)
            if let subresource, !subresource.isEmpty {
                path += "/"
                path += PercentEncoding.encode(subresource)
            }
        }
        return path
    }
}

/// Builds a query string with every key and value percent-encoded (selectors contain `=`, `!`, `,`).
func encodeQuery(_ items: [(String, String)]) -> String {
    items.map { "\(PercentEncoding.encode($0.0))=\(PercentEncoding.encode($0.1))" }.joined(separator: "&")
}
