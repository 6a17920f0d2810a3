import CRDModels
import Foundation
import Logging
import NIOConcurrencyHelpers

/// A request RBAC refused with 403, for tests that must prove a client needed no more rights than it has.
public struct RBACDenial: Sendable, Hashable, CustomStringConvertible {
    public var user: String
    public var groups: [String]
    public var verb: String
    /// `resource` or `resource/subresource`; empty for a non-resource request.
    public var resource: String
    public var apiGroup: String
    public var namespace: String
    public var name: String
    /// The URL path (what a non-resource rule is about).
    public var path: String

    public var description: String {
        guard !resource.isEmpty else { return "\(user) cannot \(verb) path \(path)" }
        let group = apiGroup.isEmpty ? "core" : apiGroup
        let scope = namespace.isEmpty ? "cluster-wide" : "in namespace \(namespace)"
        return "\(user) cannot \(verb) \(resource) (\(group))" + (name.isEmpty ? "" : " \"\(name)\"") + " \(scope)"
    }
}

/// A request RBAC allowed, reduced to what an RBAC rule is about, for tests that derive a client's least
/// privilege from what it really calls (the smoke test compares these with the chart's rules).
public struct AuthorizedRequest: Sendable, Hashable, Codable, Comparable {
    public var user: String
    public var verb: String
    public var apiGroup: String
    /// `resource` or `resource/subresource`; empty for a non-resource request.
    public var resource: String
    /// Whether the request was in a namespace (a Role can allow it) or cluster-wide (only a ClusterRole can).
    public var namespaced: Bool
    /// The URL path of a non-resource request (empty for a resource request: its path names objects).
    public var path: String

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.user, lhs.apiGroup, lhs.resource, lhs.verb, lhs.path, lhs.namespaced ? 1 : 0)
            < (rhs.user, rhs.apiGroup, rhs.resource, rhs.verb, rhs.path, rhs.namespaced ? 1 : 0)
    }
}

/// The router's one hook for who may do what: authenticates each request, authorizes it with the
/// RBAC objects in the store (denials answer kube-apiserver's Forbidden Status and are recorded),
/// and serves the two authentication/authorization APIs whose answer depends on the caller:
/// ServiceAccount TokenRequests and SelfSubjectAccessReviews.
final class AccessControl: Sendable {
    let authenticator: Authenticator
    private let store: ClusterStore
    private let logger: Logger
    private let denials = NIOLockedValueBox<[RBACDenial]>([])
    /// Distinct, so the record stays small however long a client runs.
    private let authorized = NIOLockedValueBox<Set<AuthorizedRequest>>([])
    /// The policy decoded at a store `rbacRevision`, reused until an RBAC object is written.
    private let cachedPolicy = NIOLockedValueBox<(rbacRevision: Int, policy: RBACPolicy)?>(nil)
    /// How many times the policy was decoded (tests check that other writes keep it).
    var policyBuilds: Int { policyBuildCount.withLockedValue { $0 } }
    private let policyBuildCount = NIOLockedValueBox(0)

    /// Audience of issued tokens when the request names none (kube-apiserver's `--api-audiences`
    /// defaults to the issuer; this is the usual in-cluster issuer).
    static let defaultAudience = "https://kubernetes.default.svc.cluster.local"

    init(adminToken: String?, store: ClusterStore, logger: Logger) {
        self.authenticator = Authenticator(adminToken: adminToken)
        self.store = store
        self.logger = logger
    }

    enum Admission {
        case admitted(UserInfo)
        case refused(APIResponse)
    }

    func admit(_ request: APIRequest, path: String, query: [String: String]) -> Admission {
        let outcome = authenticator.authenticate(request, now: Date()) { namespace, name in
            store.peek(GroupResource(group: "", resource: "serviceaccounts"), namespace: namespace, name: name)?[
                "metadata"]?["uid"]?.stringValue
        }
        guard case .user(let user) = outcome else { return .refused(.error(.unauthorized)) }
        let attributes = RequestAttributes(method: request.method, path: path, query: query)
        let decision = policy().authorize(attributes, user: user)
        if decision.allowed {
            let record = AuthorizedRequest(
                user: user.name, verb: attributes.verb, apiGroup: attributes.apiGroup,
                resource: attributes.combinedResource, namespaced: !attributes.namespace.isEmpty,
                path: attributes.isResourceRequest ? "" : path)
            authorized.withLockedValue { _ = $0.insert(record) }
            return .admitted(user)
        }
        let denial = RBACDenial(
            user: user.name, groups: user.groups, verb: attributes.verb, resource: attributes.combinedResource,
            apiGroup: attributes.apiGroup, namespace: attributes.namespace, name: attributes.name, path: path)
        denials.withLockedValue { $0.append(denial) }
        logger.warning("request forbidden by RBAC", metadata: ["rbac.denial": "\(denial)"])
        return .refused(.error(Self.forbidden(attributes, user: user, reason: decision.reason)))
    }

    var recordedDenials: [RBACDenial] { denials.withLockedValue { $0 } }

    func clearDenials() { denials.withLockedValue { $0 = [] } }

    var recordedAuthorized: [AuthorizedRequest] { authorized.withLockedValue { $0 }.sorted() }

    func policy() -> RBACPolicy {
        store.withLock {
            let revision = store.rbacRevision
            if let cached = cachedPolicy.withLockedValue({ $0 }), cached.rbacRevision == revision {
                return cached.policy
            }
            let policy = RBACPolicy(objects: store.objects)
            cachedPolicy.withLockedValue { $0 = (revision, policy) }
            policyBuildCount.withLockedValue { $0 += 1 }
            return policy
        }
    }

    /// `responsewriters.Forbidden`: the message names the user, verb, resource and scope, then RBAC's reason.
    static func forbidden(_ attributes: RequestAttributes, user: UserInfo, reason: String) -> APIError {
        var message: String
        if attributes.isResourceRequest {
            let scope =
                attributes.namespace.isEmpty
                ? "at the cluster scope" : "in the namespace \"\(attributes.namespace)\""
            message =
                "User \"\(user.name)\" cannot \(attributes.verb) resource \"\(attributes.combinedResource)\" "
                + "in API group \"\(attributes.apiGroup)\" \(scope)"
        } else {
            message = "User \"\(user.name)\" cannot \(attributes.verb) path \"\(attributes.path)\""
        }
        if !reason.isEmpty { message += ": " + reason }
        guard attributes.isResourceRequest else {
            return APIError(code: 403, reason: "Forbidden", message: "forbidden: " + message, details: .object([:]))
        }
        let resource = GroupResource(group: attributes.apiGroup, resource: attributes.resource)
        return APIError.forbidden(resource, name: attributes.name, cause: message)
    }

    // MARK: Caller-dependent APIs

    /// Answers TokenRequests and SelfSubjectAccessReviews; nil for every other request.
    func serve(_ request: APIRequest, path: String, user: UserInfo) -> APIResponse? {
        guard request.method.uppercased() == "POST" else { return nil }
        let segments = path.split(separator: "/").map(String.init)
        do throws(APIError) {
            if segments.count == 7, segments[0] == "api", segments[1] == "v1", segments[2] == "namespaces",
                segments[4] == "serviceaccounts", segments[6] == "token"
            {
                try APIRouter.checkJSONBody(request)
                let body = request.body.isEmpty ? JSONValue.object([:]) : try APIRouter.decode(request.body)
                let answer = try issueToken(namespace: segments[3], name: segments[5], request: body)
                return .json(status: 201, body: answer)
            }
            if segments == ["apis", "authorization.k8s.io", "v1", "selfsubjectaccessreviews"] {
                try APIRouter.checkJSONBody(request)
                return try review(body: request.body, user: user)
            }
        } catch {
            return .error(error)
        }
        return nil
    }

    /// `POST .../serviceaccounts/NAME/token` (authentication.k8s.io/v1 TokenRequest).
    func issueToken(namespace: String, name: String, request: JSONValue) throws(APIError) -> JSONValue {
        let resource = GroupResource(group: "", resource: "serviceaccounts")
        guard let account = store.peek(resource, namespace: namespace, name: name),
            let uid = account["metadata"]?["uid"]?.stringValue
        else { throw APIError.notFound(resource, name: name) }
        let spec = request["spec"]
        let seconds: Int
        switch spec?["expirationSeconds"] {
        case .number(let value): seconds = Int(value)
        default: seconds = 3600
        }
        var causes: [FieldError] = []
        let field = "spec.expirationSeconds"
        if seconds < 600 {
            causes.append(.invalid(field, value: "\(seconds)", "may not specify a duration less than 10 minutes"))
        }
        if seconds > 1 << 32 {
            causes.append(.invalid(field, value: "\(seconds)", "may not specify a duration larger than 2^32 seconds"))
        }
        guard causes.isEmpty else {
            throw APIError.invalid(kind: "TokenRequest", group: "authentication.k8s.io", name: name, causes: causes)
        }
        let requested = spec?["audiences"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let audiences = requested.isEmpty ? [Self.defaultAudience] : requested
        let now = Date()
        let expires = now.addingTimeInterval(TimeInterval(seconds))
        let token = Self.makeToken(
            namespace: namespace, name: name, uid: uid, audiences: audiences, issued: now, expires: expires)
        authenticator.addServiceAccountToken(
            token, .init(namespace: namespace, name: name, uid: uid, expires: expires))
        return .object([
            "kind": .string("TokenRequest"), "apiVersion": .string("authentication.k8s.io/v1"),
            "metadata": .object(["name": .string(name), "namespace": .string(namespace), "creationTimestamp": .null]),
            "spec": .object([
                "audiences": .array(audiences.map(JSONValue.string)),
                "expirationSeconds": .number(Double(seconds)), "boundObjectRef": spec?["boundObjectRef"] ?? .null,
            ]),
            "status": .object(["token": .string(token), "expirationTimestamp": .string(Timestamp.format(expires))]),
        ])
    }

    /// A JWT-shaped token with the claims a real ServiceAccount token carries. The server recognises
    /// tokens it issued by value; the signature is random, not verifiable.
    static func makeToken(
        namespace: String, name: String, uid: String, audiences: [String], issued: Date, expires: Date
    ) -> String {
        func encode(_ value: JSONValue) -> String {
            let data = (try? value.serialized()) ?? Data()
            return data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let header: JSONValue = .object(["alg": .string("RS256"), "kid": .string("kube-api-test-server")])
        let claims: JSONValue = .object([
            "aud": .array(audiences.map(JSONValue.string)), "iss": .string(defaultAudience),
            "sub": .string("system:serviceaccount:\(namespace):\(name)"),
            "iat": .number(issued.timeIntervalSince1970.rounded(.down)),
            "nbf": .number(issued.timeIntervalSince1970.rounded(.down)),
            "exp": .number(expires.timeIntervalSince1970.rounded(.down)),
            "kubernetes.io": .object([
                "namespace": .string(namespace),
                "serviceaccount": .object(["name": .string(name), "uid": .string(uid)]),
            ]),
        ])
        let signature = Data((UUID().uuidString + UUID().uuidString).utf8).base64EncodedString()
            .replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
        return encode(header) + "." + encode(claims) + "." + signature
    }

    /// `POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews`: may the caller do this?
    private func review(body: Data, user: UserInfo) throws(APIError) -> APIResponse {
        let request = try APIRouter.decode(body)
        let resourceKeys = ["namespace", "verb", "group", "version", "resource", "subresource", "name"]
        func kept(_ value: JSONValue?, _ keys: [String]) -> JSONValue? {
            guard let object = value?.objectValue else { return nil }
            return .object(object.filter { keys.contains($0.key) && $0.value != .string("") && $0.value != .null })
        }
        let resource = kept(request["spec"]?["resourceAttributes"], resourceKeys)
        let nonResource = kept(request["spec"]?["nonResourceAttributes"], ["path", "verb"])
        guard (resource == nil) != (nonResource == nil) else {
            throw APIError.invalid(
                kind: "SelfSubjectAccessReview", group: "authorization.k8s.io", name: "",
                causes: [
                    .invalid(
                        "spec.resourceAttributes", value: "\"null\"",
                        "exactly one of nonResourceAttributes or resourceAttributes must be specified")
                ])
        }
        let attributes: RequestAttributes
        if let resource {
            func field(_ key: String) -> String { resource[key]?.stringValue ?? "" }
            attributes = RequestAttributes(
                isResourceRequest: true, path: "", verb: field("verb"), apiGroup: field("group"),
                apiVersion: field("version"), namespace: field("namespace"), resource: field("resource"),
                subresource: field("subresource"), name: field("name"))
        } else {
            attributes = RequestAttributes(
                isResourceRequest: false, path: nonResource?["path"]?.stringValue ?? "",
                verb: nonResource?["verb"]?.stringValue ?? "")
        }
        let decision = policy().authorize(attributes, user: user)
        var status: [String: JSONValue] = ["allowed": .bool(decision.allowed)]
        if !decision.reason.isEmpty { status["reason"] = .string(decision.reason) }
        var spec: [String: JSONValue] = [:]
        if let resource { spec["resourceAttributes"] = resource }
        if let nonResource { spec["nonResourceAttributes"] = nonResource }
        return .json(
            status: 201,
            body: .object([
                "kind": .string("SelfSubjectAccessReview"), "apiVersion": .string("authorization.k8s.io/v1"),
                "metadata": .object(["creationTimestamp": .null]), "spec": .object(spec), "status": .object(status),
            ]))
    }
}

extension RBACPolicy {
    /// The policy of the stored Roles, ClusterRoles and bindings (objects that do not decode are skipped).
    init(objects: [GroupResource: [ObjectKey: JSONValue]]) {
        func decoded<T: Decodable>(_ resource: String, as type: T.Type) -> [(ObjectKey, T)] {
            (objects[GroupResource(group: RBAC.group, resource: resource)] ?? [:]).compactMap { key, value in
                (try? value.decode(as: T.self)).map { (key, $0) }
            }
        }
        self.init()
        for (key, role) in decoded("roles", as: RBAC.Role.self) { roles[key.namespace, default: [:]][key.name] = role }
        for (key, role) in decoded("clusterroles", as: RBAC.Role.self) { clusterRoles[key.name] = role }
        for (key, binding) in decoded("rolebindings", as: RBAC.Binding.self) {
            roleBindings[key.namespace, default: []].append(binding)
        }
        clusterRoleBindings = decoded("clusterrolebindings", as: RBAC.Binding.self).map(\.1)
    }
}
