import CRDModels
import Foundation

/// One HTTP request as the router sees it.
struct APIRequest: Sendable {
    var method: String
    /// Path and query as sent (`/api/v1/namespaces/a/secrets?limit=2`).
    var uri: String
    var headers: [(name: String, value: String)]
    var body: Data
    /// The user a verified TLS client certificate names (its CN), if any.
    var certificateUser: String?
    /// Who sends it, once authenticated (admission webhooks are told).
    var user: UserInfo?

    func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The `Accept` header split into its alternatives (`MediaNegotiation.alternatives`).
    var acceptAlternatives: [[String]]? { MediaNegotiation.alternatives(header("Accept")) }
}

/// What the HTTP layer must send back.
enum APIResponse: Sendable {
    case json(status: Int, body: JSONValue, headers: [(String, String)] = [])
    /// A JSON body already serialized (without the newline the handler ends every JSON body with).
    case serializedJSON(status: Int, body: Data, headers: [(String, String)] = [])
    case text(status: Int, body: String, contentType: String = "text/plain; charset=utf-8")
    case watch(WatchPlan)
    /// The answer, sent after a wait.
    indirect case delayed(Duration, APIResponse)

    static func error(_ error: APIError) -> APIResponse {
        var headers: [(String, String)] = []
        if let seconds = error.retryAfterSeconds { headers.append(("Retry-After", String(seconds))) }
        headers += error.warnings.map { ("Warning", $0) }
        return .json(status: error.code, body: error.status, headers: headers)
    }
}

/// A watch to open once the response head is written.
struct WatchPlan: Sendable {
    var type: APIResourceType
    var namespace: String?
    var labels: LabelQuery
    var fields: FieldQuery
    var resourceVersion: String?
    var metadataOnly: Bool
    var bookmarks: Bool
    var timeout: Duration?
    var uri: String
    /// The client accepts no encoding of watch events: the stream ends at the first one.
    var endsAtFirstEvent = false
}

/// Maps REST paths onto the store, as kube-apiserver's handlers do: discovery, collections,
/// objects and their `/status` subresource. Every request first passes `access` (authentication and
/// RBAC authorization).
struct APIRouter: Sendable {
    let store: ClusterStore
    let access: AccessControl
    let serverAddress: String

    func handle(_ request: APIRequest) -> APIResponse {
        let (path, query) = Self.split(request.uri)
        let user: UserInfo
        switch access.admit(request, path: path, query: query) {
        case .refused(let response): return response
        case .admitted(let admitted): user = admitted
        }
        if let answer = access.serve(request, path: path, user: user) { return answer }
        var request = request
        request.user = user
        if ["POST", "PUT", "PATCH"].contains(request.method.uppercased()) { store.withLock { store.warnings = [] } }
        do throws(APIError) {
            return try route(request, path: path, query: query)
        } catch {
            // A write that failed still sends the warnings its decoding gave (unknown fields).
            guard case .json(let status, let body, let headers) = APIResponse.error(error),
                ["POST", "PUT", "PATCH"].contains(request.method.uppercased())
            else { return .error(error) }
            return .json(status: status, body: body, headers: warningHeaders() + headers)
        }
    }

    private func route(_ request: APIRequest, path: String, query: [String: String]) throws(APIError) -> APIResponse {
        switch path {
        case "/version": return .json(status: 200, body: Discovery.version)
        case "/healthz", "/livez", "/readyz": return .text(status: 200, body: "ok")
        case "/api": return .json(status: 200, body: Discovery.apiVersions(serverAddress: serverAddress))
        case "/apis": return .json(status: 200, body: Discovery.groupList(store.allTypes()))
        case "/openapi/v3": return OpenAPIStub.rootResponse(store.allTypes())
        default: break
        }
        if let missing = Discovery.plainNotFound(path: path, types: store.allTypes()) { return missing }
        let segments = path.split(separator: "/").map(String.init)
        if segments.count >= 4, segments[0] == "openapi", segments[1] == "v3" {
            let (group, version) = segments[2] == "api" ? ("", segments[3]) : (segments[3], segments.count > 4 ? segments[4] : "")
            guard let document = OpenAPIStub.groupVersion(group: group, version: version, types: store.allTypes())
            else { throw APIError.pageNotFound(path) }
            return .json(status: 200, body: document)
        }
        let group: String
        let version: String
        let rest: ArraySlice<String>
        if segments.first == "api", segments.count >= 2 {
            (group, version, rest) = ("", segments[1], segments.dropFirst(2))
        } else if segments.first == "apis", segments.count >= 2 {
            guard segments.count >= 3 else {
                guard let document = Discovery.group(named: segments[1], types: store.allTypes()) else {
                    throw APIError.pageNotFound(path)
                }
                return .json(status: 200, body: document)
            }
            (group, version, rest) = (segments[1], segments[2], segments.dropFirst(3))
        } else {
            // Includes /openapi/v2: kubectl does without it when /openapi/v3 answers.
            throw APIError.pageNotFound(path)
        }
        if rest.isEmpty {
            guard let document = Discovery.resourceList(group: group, version: version, types: store.allTypes()) else {
                throw APIError.pageNotFound(path)
            }
            return .json(status: 200, body: document)
        }
        let target = try resolve(group: group, version: version, rest: Array(rest), path: path)
        return try dispatch(request, target: target, query: query)
    }

    struct Target {
        var type: APIResourceType
        var namespace: String?
        var name: String?
        var subresource: String?
    }

    /// `[namespaces/<ns>/]<plural>[/<name>[/<subresource>]]`.
    private func resolve(group: String, version: String, rest: [String], path: String) throws(APIError) -> Target {
        if rest.count >= 3, rest[0] == "namespaces",
            let type = store.resourceType(group: group, version: version, plural: rest[2]), type.namespaced
        {
            guard rest.count <= 5 else { throw APIError.pageNotFound(path) }
            return Target(
                type: type, namespace: rest[1], name: rest.count > 3 ? rest[3] : nil,
                subresource: rest.count > 4 ? rest[4] : nil)
        }
        guard let type = store.resourceType(group: group, version: version, plural: rest[0]), rest.count <= 3 else {
            throw APIError.pageNotFound(path)
        }
        if type.namespaced && rest.count > 1 { throw APIError.pageNotFound(path) }
        return Target(
            type: type, namespace: nil, name: rest.count > 1 ? rest[1] : nil, subresource: rest.count > 2 ? rest[2] : nil)
    }

    private func dispatch(_ request: APIRequest, target: Target, query: [String: String]) throws(APIError) -> APIResponse {
        let type = target.type
        let namespace = target.namespace ?? ""
        let method = request.method.uppercased()
        if method == "POST" || method == "PUT" || (method == "DELETE" && !request.body.isEmpty) {
            try Self.checkJSONBody(request)
        }
        let dryRun = try Self.dryRun(query, method: method)
        let fieldValidation = FieldValidation(rawValue: query["fieldValidation"] ?? "") ?? .warn
        guard let name = target.name else {
            if method == "GET" { try MediaNegotiation.checkAcceptable(request.acceptAlternatives, type: type) }
            let options = try ListOptions(query: query, type: type)
            let (labels, fields) = (options.labels, options.fields)
            switch method {
            case "GET":
                let requestedVersion = try options.parsedResourceVersion()
                if options.watch {
                    // Only the list form of metadata is acceptable: the watch opens, but its first event
                    // cannot be encoded and ends the stream.
                    let listFormOnly = MediaNegotiation.asksOnlyForListForm(request.header("Accept"))
                    let metadataOnly =
                        try listFormOnly
                        ? true
                        : MediaNegotiation.metadataOnly(request.acceptAlternatives, wanted: "PartialObjectMetadata")
                    return .watch(
                        WatchPlan(
                            type: type, namespace: target.namespace, labels: labels, fields: fields,
                            resourceVersion: options.resourceVersion, metadataOnly: metadataOnly,
                            bookmarks: options.allowWatchBookmarks,
                            timeout: options.timeoutSeconds.map { .seconds($0) }, uri: request.uri,
                            endsAtFirstEvent: listFormOnly))
                }
                try MediaNegotiation.checkListForm(request.acceptAlternatives, isList: true, type: type)
                if let table = tableConvertor(request, type: type, query: query) {
                    let page = try store.list(
                        type, namespace: target.namespace, labels: labels, fields: fields,
                        limit: options.limit, continueToken: options.continueToken)
                    return .json(status: 200, body: table.table(page.items, metadata: Self.listMetadata(page)))
                }
                let metadataVersion = try MediaNegotiation.metadataVersion(
                    request.acceptAlternatives, wanted: "PartialObjectMetadataList")
                let current = store.withLock { store.resourceVersion }
                if options.resourceVersionMatch == "Exact", let requestedVersion,
                    requestedVersion < store.withLock({ store.hub.compactedResourceVersion })
                {
                    throw APIError.expired("The resourceVersion for the provided list is too old.")
                }
                let fromCache = options.servedFromCache(type)
                if fromCache, let requestedVersion, requestedVersion > current {
                    // The watch cache waits for the version, then gives up.
                    return .delayed(
                        ListOptions.freshnessWait,
                        .error(ListOptions.tooLargeResourceVersion(requestedVersion, current: current)))
                }
                // The watch cache ignores limit.
                let page = try store.list(
                    type, namespace: target.namespace, labels: labels, fields: fields,
                    limit: fromCache ? nil : options.limit, continueToken: options.continueToken)
                var body = Self.listBody(page, type: type, metadataOnly: metadataVersion != nil)
                if metadataVersion == "v1beta1" {
                    body["apiVersion"] = .string("meta.k8s.io/v1beta1")
                    body["items"] = body["items"]?.arrayValue.map { items in
                        .array(items.map { var item = $0; item["apiVersion"] = .string("meta.k8s.io/v1beta1"); return item })
                    } ?? .null
                }
                return Self.listResponse(body, accept: request.header("Accept"))
            case "POST":
                guard target.namespace != nil || !type.namespaced else { throw APIError.methodNotAllowed(method, type.groupResource) }
                let render = try MediaNegotiation.objectRender(request.acceptAlternatives, type: type)
                let created = try store.create(
                    type, namespace: namespace, body: try Self.decodeObject(request.body, type: type), dryRun: dryRun,
                    fieldValidation: fieldValidation, user: request.user)
                return written(
                    created, render: render, dryRun: dryRun, status: 201, headers: warningHeaders(body: request.body))
            case "DELETE":
                // The namespace registry has no deletecollection.
                if type.groupResource == ClusterStore.namespaces { throw APIError.methodNotAllowed(method, type.groupResource) }
                var deleted: [JSONValue] = []
                let page = try store.list(
                    type, namespace: target.namespace, labels: labels, fields: fields, limit: nil, continueToken: nil)
                for item in page.items {
                    guard let itemName = item["metadata"]?["name"]?.stringValue else { continue }
                    let itemNamespace = item["metadata"]?["namespace"]?.stringValue ?? ""
                    // Each item as it was before its deletion, or as marked when finalizers hold it.
                    switch try store.delete(
                        type, namespace: itemNamespace, name: itemName, preconditions: .init(), user: request.user)
                    {
                    case .deleted: deleted.append(item)
                    case .pending(let object): deleted.append(object)
                    }
                }
                let after = ClusterStore.ListPage(items: deleted, resourceVersion: store.withLock { store.resourceVersion })
                return .json(status: 200, body: Self.listBody(after, type: type, metadataOnly: false))
            default:
                throw APIError.methodNotAllowed(method, type.groupResource)
            }
        }
        let statusOnly = target.subresource == "status"
        if target.subresource != nil, !(statusOnly && type.hasStatusSubresource), type.isCustom {
            throw APIError.notFound(type.groupResource, name: name)  // CR handlers answer for the object
        }
        if let subresource = target.subresource, !(statusOnly && type.hasStatusSubresource) {
            throw APIError.pageNotFound("\(type.plural)/\(name)/\(subresource)")
        }
        let render = RenderOptions(type: type, metadataOnly: false)
        switch method {
        case "GET":
            if let table = tableConvertor(request, type: type, query: query) {
                try MediaNegotiation.checkAcceptable(request.acceptAlternatives, type: type)
                try MediaNegotiation.checkListForm(request.acceptAlternatives, isList: false, type: type)
                let object = try store.get(type, namespace: type.namespaced ? namespace : "", name: name)
                let metadata = ["resourceVersion": object["metadata"]?["resourceVersion"] ?? .string("")]
                return .json(status: 200, body: table.table([object], metadata: metadata))
            }
            let render = try MediaNegotiation.objectRender(request.acceptAlternatives, type: type)
            let object = try store.get(type, namespace: type.namespaced ? namespace : "", name: name)
            return .json(status: 200, body: render.render(object))
        case "PUT":
            let render = try MediaNegotiation.objectRender(request.acceptAlternatives, type: type)
            let existed = store.peek(type.groupResource, namespace: type.namespaced ? namespace : "", name: name) != nil
            let updated = try store.update(
                type, namespace: namespace, name: name, body: try Self.decodeObject(request.body, type: type),
                statusOnly: statusOnly, dryRun: dryRun, fieldValidation: fieldValidation, user: request.user)
            return written(
                updated, render: render, dryRun: dryRun, status: existed ? 200 : 201,
                headers: warningHeaders(body: request.body))
        case "PATCH":
            let contentType = request.header("Content-Type") ?? ""
            let accepted = ["application/json-patch+json", "application/merge-patch+json"]
                + (type.isCustom ? [] : ["application/strategic-merge-patch+json"]) + ["application/apply-patch+yaml"]
            let kind = PatchKind(contentType: contentType)
            if kind == nil && !type.isCustom {
                // go-restful refuses a type the route does not consume before the patch handler runs.
                throw APIError(
                    code: 415, reason: "UnsupportedMediaType", message: "415: Unsupported Media Type",
                    details: .object([:]))
            }
            guard let kind, kind != .apply, !(kind == .strategicMerge && type.isCustom) else {
                throw APIError.unsupportedMediaType(contentType, accepted: accepted)
            }
            let render = try MediaNegotiation.objectRender(request.acceptAlternatives, type: type)
            let patched = try store.patch(
                type, namespace: namespace, name: name, kind: kind,
                patch: try Self.decodePatch(request.body, kind: kind), statusOnly: statusOnly, dryRun: dryRun,
                fieldValidation: fieldValidation, user: request.user)
            return written(patched, render: render, dryRun: dryRun, status: 200, headers: warningHeaders())
        case "DELETE":
            let options = request.body.isEmpty ? JSONValue.object([:]) : try Self.decodeDeleteOptions(request.body)
            let preconditions = DeletePreconditions(
                uid: options["preconditions"]?["uid"]?.stringValue,
                resourceVersion: options["preconditions"]?["resourceVersion"]?.stringValue)
            let policy = options["propagationPolicy"]?.stringValue ?? query["propagationPolicy"]
            try Self.checkPropagation(policy, orphanDependents: options["orphanDependents"])
            switch try store.delete(
                type, namespace: namespace, name: name, preconditions: preconditions, propagationPolicy: policy,
                dryRun: dryRun, user: request.user)
            {
            case .pending(let object):
                return .json(status: 200, body: render.render(object), headers: warningHeaders())
            case .deleted(let object):
                // A completed delete answers a Success Status, except where the registry sets
                // ReturnDeletedObject (ServiceAccounts among the kinds served here).
                if type.returnsDeletedObject {
                    return .json(status: 200, body: render.render(object), headers: warningHeaders())
                }
                var details: [String: JSONValue] = [
                    "name": .string(name), "kind": .string(type.plural),
                    "uid": object["metadata"]?["uid"] ?? .string(""),
                ]
                if !type.group.isEmpty { details["group"] = .string(type.group) }
                return .json(
                    status: 200,
                    body: .object([
                        "kind": .string("Status"), "apiVersion": .string("v1"), "metadata": .object([:]),
                        "status": .string("Success"), "details": .object(details),
                    ]), headers: warningHeaders())
            }
        default:
            throw APIError.methodNotAllowed(method, type.groupResource)
        }
    }

    /// The `Warning` headers of the write just made (requests are served one at a time per event loop), after
    /// those for fields the body sets twice.
    private func warningHeaders(body: Data = Data()) -> [(String, String)] {
        let duplicates = GoJSON.duplicateFields(Array(body)).map {
            "299 - " + GoSyntax.quote("duplicate field \"\($0)\"")
        }
        return (duplicates + store.withLock { store.warnings }).map { ("Warning", $0) }
    }

    /// The answer to a create, update or patch: the stored object in the client's form, with the bytes a watcher of
    /// that form was just sent when there is one (the watch cache and the handler each serialize it in the real
    /// server; the bytes are the same).
    private func written(
        _ object: JSONValue, render: RenderOptions, dryRun: Bool, status: Int, headers: [(String, String)]
    ) -> APIResponse {
        if !dryRun, let body = store.withLock({ store.hub.renderedObject(object, as: render) }) {
            return .serializedJSON(status: status, body: body, headers: headers)
        }
        return .json(status: status, body: render.render(object), headers: headers)
    }

    /// `dryRun` must be `All` when given (the options kind depends on the verb).
    static func dryRun(_ query: [String: String], method: String) throws(APIError) -> Bool {
        guard let value = query["dryRun"] else { return false }
        if value == "All" { return true }
        let kind = ["POST": "CreateOptions", "PUT": "UpdateOptions", "PATCH": "PatchOptions"][method] ?? "DeleteOptions"
        throw APIError.invalid(
            kind: kind, group: "meta.k8s.io", name: "",
            causes: [
                FieldError(
                    type: "FieldValueNotSupported", field: "dryRun",
                    body: "Unsupported value: []string{\"\(value)\"}: supported values: \"All\"")
            ])
    }

    /// DeleteOptions validation of `propagationPolicy`.
    static func checkPropagation(_ policy: String?, orphanDependents: JSONValue?) throws(APIError) {
        guard let policy else { return }
        var causes: [FieldError] = []
        if !["Foreground", "Background", "Orphan"].contains(policy) {
            causes.append(
                FieldError(
                    type: "FieldValueNotSupported", field: "propagationPolicy",
                    body: "Unsupported value: \"\(policy)\": supported values: \"Foreground\", \"Background\", "
                        + "\"Orphan\", \"nil\""))
        } else if let orphanDependents, orphanDependents != .null {
            causes.append(
                .invalid(
                    "propagationPolicy", value: "\"\(policy)\"",
                    "orphanDependents and deletionPropagation cannot be both set"))
        }
        guard !causes.isEmpty else { return }
        throw APIError.invalid(kind: "DeleteOptions", group: "meta.k8s.io", name: "", causes: causes)
    }

    /// A list in the negotiated encoding: JSON, or YAML when asked for first (written in YAML's
    /// flow style, which JSON text is, rather than the block style kube-apiserver writes).
    static func listResponse(_ body: JSONValue, accept: String?) -> APIResponse {
        guard MediaNegotiation.prefersYAML(accept), let data = try? body.serialized() else {
            return .json(status: 200, body: body)
        }
        return .text(status: 200, body: String(decoding: data, as: UTF8.self) + "\n", contentType: "application/yaml")
    }

    static func listMetadata(_ page: ClusterStore.ListPage) -> [String: JSONValue] {
        var metadata: [String: JSONValue] = ["resourceVersion": .string(String(page.resourceVersion))]
        if let token = page.continueToken { metadata["continue"] = .string(token) }
        if let remaining = page.remainingItemCount { metadata["remainingItemCount"] = .number(Double(remaining)) }
        return metadata
    }

    static func listBody(_ page: ClusterStore.ListPage, type: APIResourceType, metadataOnly: Bool) -> JSONValue {
        var metadata = listMetadata(page)
        if type.isCustom && !metadataOnly && metadata["continue"] == nil {
            metadata["continue"] = .string("")  // unstructured lists always carry it
        }
        let render = RenderOptions(type: type, metadataOnly: metadataOnly)
        return .object([
            "kind": .string(metadataOnly ? "PartialObjectMetadataList" : type.listKind),
            "apiVersion": .string(metadataOnly ? "meta.k8s.io/v1" : type.apiVersion),
            "metadata": .object(metadata),
            // An empty metadata-only list encodes its nil slice as null; typed lists answer [].
            "items": metadataOnly && page.items.isEmpty
                ? .null : .array(page.items.map { render.render($0, inList: true) }),
        ])
    }

    /// Request bodies must be JSON. Protobuf (what kubectl's typed clients such as `kubectl create
    /// secret` send) gets 415: deliberate difference, the test server speaks JSON only.
    static func checkJSONBody(_ request: APIRequest) throws(APIError) {
        let mediaType = (request.header("Content-Type") ?? "application/json").split(separator: ";").first
            .map { String($0).trimmingSpaces.lowercased() } ?? ""
        guard request.body.isEmpty || mediaType == "application/json" || mediaType.isEmpty else {
            throw APIError.unsupportedMediaType(mediaType, accepted: ["application/json", "application/yaml"])
        }
    }

    static func decode(_ body: Data) throws(APIError) -> JSONValue {
        do {
            return try JSONValue.parse(body)
        } catch {
            throw APIError.badRequest("the request body is not valid JSON: \(error.localizedDescription)")
        }
    }

    /// A create or update body, with the errors of the real decoder (`transformDecodeError`) when it does not
    /// even name a kind: Go's JSON error and a summary of the body.
    static func decodeObject(_ body: Data, type: APIResourceType) throws(APIError) -> JSONValue {
        guard let failure = GoJSON.versionKindError(Array(body)) else { return try decode(body) }
        let summary: String
        if body.isEmpty {
            summary = "<empty>"
        } else if body.first == UInt8(ascii: "{") {
            summary = String(decoding: body.prefix(30), as: UTF8.self) + (body.count > 30 ? " ..." : "")
        } else {
            summary = body.prefix(30).map { String(format: "%02x", $0) }.joined() + (body.count > 30 ? " ..." : "")
        }
        throw APIError.badRequest(
            "the object provided is unrecognized (must be of type \(type.kind)): \(failure) (\(summary))")
    }

    /// The patch handler decodes merge and JSON patches with Go's `encoding/json` first (field
    /// validation `Warn`), answering its error texts as 400s.
    static func decodePatch(_ body: Data, kind: PatchKind) throws(APIError) -> JSONValue {
        let goType: String? = switch kind {
        case .merge: "map[string]interface {}"
        case .json: "[]handlers.jsonPatchOp"
        case .strategicMerge, .apply: nil
        }
        if let goType, let error = GoJSON.unmarshalError(Array(body), into: goType) {
            throw APIError.badRequest("error decoding patch: \(error)")
        }
        return try decode(body)
    }

    /// DeleteOptions are decoded by the serializer, whose error the handler answers as a bare 500.
    static func decodeDeleteOptions(_ body: Data) throws(APIError) -> JSONValue {
        if let error = GoJSON.versionKindError(Array(body)) { throw APIError(code: 500, reason: "", message: error) }
        return try decode(body)
    }

    /// Splits `path?query` and decodes the query as Go's `url.ParseQuery` does (`+` is a space).
    static func split(_ uri: String) -> (path: String, query: [String: String]) {
        // Most requests have neither `%` nor `+`: Foundation's decoding is then skipped (it was 4 % of this server's
        // CPU per Secret write).
        func unescaped(_ text: String) -> String {
            text.utf8.contains(UInt8(ascii: "%")) ? text.removingPercentEncoding ?? text : text
        }
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = unescaped(String(parts[0]))
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                func decode(_ text: Substring) -> String {
                    let text = String(text)
                    let spaced =
                        text.utf8.contains(UInt8(ascii: "+")) ? text.replacingOccurrences(of: "+", with: " ") : text
                    return unescaped(spaced)
                }
                let key = decode(keyValue[0])
                if query[key] == nil { query[key] = keyValue.count > 1 ? decode(keyValue[1]) : "" }
            }
        }
        return (path, query)
    }
}

/// `Accept` negotiation for metadata-only responses (`as=PartialObjectMetadata[List];g=meta.k8s.io;v=v1`).
/// The checks read the header as `APIRequest.acceptAlternatives` splits it, once per request.
enum MediaNegotiation {
    /// Each alternative of an `Accept` header as its parts (media type, then parameters), trimmed, in order;
    /// nil when the header is absent or blank.
    static func alternatives(_ accept: String?) -> [[String]]? {
        guard let accept, !accept.trimmingSpaces.isEmpty else { return nil }
        // Cut at the bytes, as Go's `strings.Split` does (and without walking the header's Characters).
        return accept.utf8.split(separator: UInt8(ascii: ",")).map { alternative in
            alternative.split(separator: UInt8(ascii: ";")).map { String(Substring($0)).trimmingSpaces }
        }
    }

    /// `NegotiateOutputMediaType`: some alternative must name a media type the server encodes.
    /// Protobuf is accepted here and answered as JSON (deliberate difference).
    static func checkAcceptable(_ alternatives: [[String]]?, type: APIResourceType) throws(APIError) {
        guard let alternatives else { return }
        let served = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf", "*/*", "application/*"]
        let acceptable = alternatives.contains { served.contains($0.first?.lowercased() ?? "") }
        guard !acceptable else { return }
        let representations =
            type.isCustom
            ? ["application/json", "application/yaml", "application/json;stream=watch"]
            : [
                "application/json", "application/yaml", "application/vnd.kubernetes.protobuf",
                "application/json;stream=watch", "application/vnd.kubernetes.protobuf;stream=watch",
            ]
        throw APIError(
            code: 406, reason: "NotAcceptable",
            message: "406: Not Acceptable\n\nAvailable representations: " + representations.joined(separator: ", "),
            details: .object([:]))
    }

    /// Whether every JSON alternative asks for `PartialObjectMetadataList` (no fallback to another form).
    static func asksOnlyForListForm(_ accept: String?) -> Bool {
        guard let accept else { return false }
        let alternatives = accept.split(separator: ",").map { $0.split(separator: ";").map { String($0).trimmingSpaces } }
        return !alternatives.isEmpty
            && alternatives.allSatisfy { $0.first == "application/json" && $0.contains("as=PartialObjectMetadataList") }
    }

    /// Whether the first acceptable alternative is YAML.
    static func prefersYAML(_ accept: String?) -> Bool {
        accept?.split(separator: ",").first?.split(separator: ";").first.map { String($0).trimmingSpaces.lowercased() }
            == "application/yaml"
    }

    /// When the first alternative asks for the metadata form of the other shape (a list form for one
    /// object, or the object form for a list), the real server answers 406 without falling back.
    static func checkListForm(_ alternatives: [[String]]?, isList: Bool, type: APIResourceType) throws(APIError) {
        guard let parameters = alternatives?.first else { return }
        guard parameters.first == "application/json", parameters.contains("g=meta.k8s.io") else { return }
        let requested = isList ? "as=PartialObjectMetadata" : "as=PartialObjectMetadataList"
        guard parameters.contains(requested) else { return }
        if type.isCustom && !isList {
            throw APIError(code: 500, reason: "", message: "content is not a list")  // the unstructured encoder's error
        }
        let goPackage = type.group.isEmpty ? "core" : String(type.group.split(separator: ".")[0])
        let goType =
            type.isCustom ? "*unstructured.Unstructured" : "*\(goPackage).\(type.kind)\(isList ? "List" : "")"
        let form = String(requested.dropFirst(3))
        throw APIError(
            code: 406, reason: "NotAcceptable",
            message:
                "you requested \(form), but the requested object is \(isList ? "a list" : "not a list") (\(goType))")
    }

    /// How one object is answered: a GET of it, and the object a create, update or patch stored. The
    /// real handlers negotiate the output media type before they write (`NegotiateOutputMediaType` at the
    /// top of `createHandler`/`UpdateResource`/`PatchResource` in k8s.io/apiserver
    /// `pkg/endpoints/handlers`, so an unacceptable Accept is a 406 and nothing is written) and render the
    /// result through `transformResponseObject` with it: `as=PartialObjectMetadata;g=meta.k8s.io;v=v1`
    /// (or `v1beta1`) answers `kind: PartialObjectMetadata`, `apiVersion: meta.k8s.io/<v>` and the whole
    /// `metadata` (`asPartialObjectMetadata` in `handlers/response.go`), with the write's status code.
    static func objectRender(_ alternatives: [[String]]?, type: APIResourceType) throws(APIError) -> RenderOptions {
        try checkAcceptable(alternatives, type: type)
        try checkListForm(alternatives, isList: false, type: type)
        let version = try metadataVersion(alternatives, wanted: "PartialObjectMetadata")
        return RenderOptions(type: type, metadataOnly: version != nil, metadataVersion: version ?? "v1")
    }

    /// Walks the alternatives in order: plain JSON gives the full object, the wanted metadata form
    /// gives metadata only, Table and protobuf are skipped (clients then fall back to plain JSON).
    static func metadataOnly(_ alternatives: [[String]]?, wanted: String) throws(APIError) -> Bool {
        try metadataVersion(alternatives, wanted: wanted) != nil
    }

    /// The `meta.k8s.io` version (`v1`, `v1beta1`) of the wanted metadata form, nil for the full object.
    static func metadataVersion(_ alternatives: [[String]]?, wanted: String) throws(APIError) -> String? {
        guard let alternatives else { return nil }
        for parts in alternatives {
            let mediaType = parts.first?.lowercased() ?? ""
            if mediaType == "application/yaml" { return nil }
            guard ["application/json", "*/*", "application/*"].contains(mediaType) else { continue }
            // The last of each parameter counts; one without a name or a value is none (read in place: every
            // request with an Accept header comes here, a metadata-only one with three parameters).
            var target: Substring?
            var group: Substring?
            var version: Substring?
            for parameter in parts.dropFirst() {
                guard let equals = parameter.firstIndex(of: "="), equals != parameter.startIndex else { continue }
                let value = parameter[parameter.index(after: equals)...]
                guard !value.isEmpty else { continue }
                switch parameter[..<equals].lowercased() {
                case "as": target = value
                case "g": group = value
                case "v": version = value
                default: break
                }
            }
            guard let target else { return nil }
            if target == wanted && group == "meta.k8s.io", let version, version == "v1" || version == "v1beta1" {
                return String(version)
            }
        }
        throw APIError(
            code: 406, reason: "NotAcceptable",
            message: "only the following media types are accepted: application/json, "
                + "application/json;as=\(wanted);g=meta.k8s.io;v=v1")
    }
}
