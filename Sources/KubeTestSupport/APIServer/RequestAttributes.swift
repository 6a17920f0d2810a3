import Foundation

/// What an authorizer decides on: kube-apiserver's `authorizer.Attributes`, derived from the URL and
/// method exactly as its `RequestInfoFactory` does (k8s.io/apiserver `pkg/endpoints/request/requestinfo.go`).
///
/// The verb of a resource request follows the method (POST create, GET/HEAD get, PUT update, PATCH
/// patch, DELETE delete); a GET without a name is `list`, or `watch` with a true `watch` parameter; a
/// DELETE without a name is `deletecollection`. `fieldSelector=metadata.name=X` names the object of a
/// list or watch, so `resourceNames` rules can allow it. Anything not under `/api/v1` or
/// `/apis/GROUP/VERSION` is a non-resource request whose verb is the lower-cased method.
struct RequestAttributes: Sendable, Hashable {
    var isResourceRequest: Bool
    /// The URL path (non-resource requests are matched on it).
    var path: String
    var verb: String
    var apiGroup = ""
    var apiVersion = ""
    var namespace = ""
    var resource = ""
    var subresource = ""
    var name = ""

    /// `resource/subresource`, as RBAC rules name it.
    var combinedResource: String { subresource.isEmpty ? resource : "\(resource)/\(subresource)" }

    static let namespaceSubresources: Set<String> = ["status", "finalize"]

    init(
        isResourceRequest: Bool, path: String, verb: String, apiGroup: String = "", apiVersion: String = "",
        namespace: String = "", resource: String = "", subresource: String = "", name: String = ""
    ) {
        self.isResourceRequest = isResourceRequest
        self.path = path
        self.verb = verb
        self.apiGroup = apiGroup
        self.apiVersion = apiVersion
        self.namespace = namespace
        self.resource = resource
        self.subresource = subresource
        self.name = name
    }

    init(method: String, path: String, query: [String: String]) {
        self.init(isResourceRequest: false, path: path, verb: method.lowercased())
        var parts = path.split(separator: "/").map(String.init)
        guard parts.count >= 3, parts[0] == "api" || parts[0] == "apis" else { return }
        if parts[0] == "apis" {
            guard parts.count >= 4 else { return }
            apiGroup = parts[1]
            parts.removeFirst()
        }
        parts.removeFirst()
        isResourceRequest = true
        apiVersion = parts.removeFirst()
        if parts[0] == "watch" || parts[0] == "proxy" {
            // Deprecated `/watch/...` and `/proxy/...` forms.
            verb = parts.removeFirst()
            guard !parts.isEmpty else { return }
        } else {
            switch method.uppercased() {
            case "POST": verb = "create"
            case "GET", "HEAD": verb = "get"
            case "PUT": verb = "update"
            case "PATCH": verb = "patch"
            case "DELETE": verb = "delete"
            default: verb = ""
            }
        }
        if parts[0] == "namespaces" {
            if parts.count > 1 {
                namespace = parts[1]
                if parts.count > 2 && !Self.namespaceSubresources.contains(parts[2]) { parts.removeFirst(2) }
            }
        }
        resource = parts[0]
        if parts.count >= 2 { name = parts[1] }
        if parts.count >= 3 && verb != "proxy" { subresource = parts[2] }
        if name.isEmpty && verb == "get" {
            verb = Self.isTrue(query["watch"]) ? "watch" : "list"
            if let selected = Self.exactName(fieldSelector: query["fieldSelector"]) { name = selected }
        }
        if name.isEmpty && verb == "delete" { verb = "deletecollection" }
    }

    /// Go's `strconv.ParseBool` truths, as the query parameter decoder reads `watch`.
    static func isTrue(_ value: String?) -> Bool {
        ["1", "t", "T", "true", "TRUE", "True"].contains(value ?? "")
    }

    /// `metadata.name=X` (or `==`) as the only requirement on the name in a field selector.
    static func exactName(fieldSelector: String?) -> String? {
        guard let fieldSelector else { return nil }
        for term in fieldSelector.split(separator: ",") {
            for separator in ["==", "="] {
                let pieces = term.components(separatedBy: separator)
                if pieces.count == 2, pieces[0].trimmingSpaces == "metadata.name" {
                    let name = pieces[1].trimmingSpaces
                    return name.isEmpty || name == "." || name == ".." || name.contains("/") || name.contains("%")
                        ? nil : name
                }
            }
        }
        return nil
    }
}
