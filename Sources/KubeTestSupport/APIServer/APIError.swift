import CRDModels

/// A failed API call, rendered as a `metav1.Status` body exactly as kube-apiserver words it
/// (apimachinery `pkg/api/errors`), so clients can be tested against the real message formats.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public var code: Int
    public var reason: String
    public var message: String
    public var details: JSONValue?
    /// Seconds for a `Retry-After` header and `details.retryAfterSeconds` (429 and 5xx throttling).
    public var retryAfterSeconds: Int?
    /// `metadata.continue` of the Status: where a list whose token expired may resume.
    public var continueToken: String?
    /// `Warning` headers sent with the error (an admission webhook's warnings with its denial).
    public var warnings: [String] = []

    public init(code: Int, reason: String, message: String, details: JSONValue? = nil, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(code) \(reason): \(message)" }

    /// The `Status` object sent as the response body (also inside watch ERROR events).
    public var status: JSONValue {
        var object: [String: JSONValue] = [
            "kind": .string("Status"), "apiVersion": .string("v1"), "metadata": .object([:]),
            "status": .string("Failure"),
            "message": .string(message), "reason": .string(reason), "code": .number(Double(code)),
        ]
        // An explicitly empty `details` is sent as `{}`, as Go sends a non-nil pointer to empty StatusDetails.
        var details = self.details
        if let retryAfterSeconds {
            details = details ?? .object([:])
            details?["retryAfterSeconds"] = .number(Double(retryAfterSeconds))
        }
        if let details { object["details"] = details }
        if let continueToken { object["metadata"] = .object(["continue": .string(continueToken)]) }
        if reason.isEmpty { object.removeValue(forKey: "reason") }
        return .object(object)
    }

    // MARK: Factories mirroring apimachinery's errors.NewXxx

    static func details(_ resource: GroupResource, name: String) -> JSONValue {
        var details: [String: JSONValue] = ["kind": .string(resource.resource)]
        if !name.isEmpty { details["name"] = .string(name) }
        if !resource.group.isEmpty { details["group"] = .string(resource.group) }
        return .object(details)
    }

    static func notFound(_ resource: GroupResource, name: String) -> APIError {
        APIError(
            code: 404, reason: "NotFound", message: "\(resource) \"\(name)\" not found",
            details: details(resource, name: name))
    }

    static func alreadyExists(_ resource: GroupResource, name: String) -> APIError {
        APIError(
            code: 409, reason: "AlreadyExists", message: "\(resource) \"\(name)\" already exists",
            details: details(resource, name: name))
    }

    /// `errors.NewConflict` with the optimistic-concurrency cause (PROTOCOLS.md 5.1).
    static func conflict(_ resource: GroupResource, name: String, cause: String = Self.modifiedCause) -> APIError {
        APIError(
            code: 409, reason: "Conflict", message: "Operation cannot be fulfilled on \(resource) \"\(name)\": \(cause)",
            details: details(resource, name: name))
    }

    /// A failed DELETE precondition: the registry names the kind (`Secret`, `Kind.group`), not the resource.
    static func preconditionConflict(_ type: APIResourceType, name: String, cause: String) -> APIError {
        var details: [String: JSONValue] = ["kind": .string(type.kind), "name": .string(name)]
        if !type.group.isEmpty { details["group"] = .string(type.group) }
        let qualifiedKind = type.group.isEmpty ? type.kind : "\(type.kind).\(type.group)"
        return APIError(
            code: 409, reason: "Conflict", message: "Operation cannot be fulfilled on \(qualifiedKind) \"\(name)\": \(cause)",
            details: .object(details))
    }

    static let modifiedCause =
        "the object has been modified; please apply your changes to the latest version and try again"

    /// `errors.NewForbidden`.
    static func forbidden(_ resource: GroupResource, name: String, cause: String) -> APIError {
        let subject = name.isEmpty ? "\(resource)" : "\(resource) \"\(name)\""
        return APIError(
            code: 403, reason: "Forbidden", message: "\(subject) is forbidden: \(cause)",
            details: details(resource, name: name))
    }

    /// `errors.NewInvalid`: the message names the kind (`Secret`, `Kind.group`), each cause a field.
    static func invalid(kind: String, group: String, name: String, causes: [FieldError]) -> APIError {
        let qualifiedKind = group.isEmpty ? kind : "\(kind).\(group)"
        var list: [String] = []  // the aggregate message lists each distinct error once
        for cause in causes.map({ "\($0.field): \($0.body)" }) where !list.contains(cause) { list.append(cause) }
        let aggregate = list.count == 1 ? list[0] : "[" + list.joined(separator: ", ") + "]"
        var details: [String: JSONValue] = [
            "kind": .string(kind),
            "causes": .array(causes.map {
                .object(["reason": .string($0.type), "message": .string($0.body), "field": .string($0.field)])
            }),
        ]
        if !name.isEmpty { details["name"] = .string(name) }
        if !group.isEmpty { details["group"] = .string(group) }
        return APIError(
            code: 422, reason: "Invalid", message: "\(qualifiedKind) \"\(name)\" is invalid: \(aggregate)",
            details: .object(details))
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message)
    }

    /// `errors.NewResourceExpired`: 410 with reason `Expired`.
    static func expired(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message)
    }

    static func unsupportedMediaType(_ contentType: String, accepted: [String]) -> APIError {
        APIError(
            code: 415, reason: "UnsupportedMediaType",
            message: "the body of the request was in an unknown format - accepted media types include: "
                + accepted.joined(separator: ", "))
    }

    static func methodNotAllowed(_ method: String, _ resource: GroupResource) -> APIError {
        APIError(
            code: 405, reason: "MethodNotAllowed",
            message: "the server does not allow this method on the requested resource", details: .object([:]))
    }

    static let unauthorized = APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")

    /// `errors.NewNotFound` with no resource: go-restful's answer to an unrouted path (`details` is `{}`).
    static func pageNotFound(_ path: String) -> APIError {
        APIError(
            code: 404, reason: "NotFound", message: "the server could not find the requested resource",
            details: .object([:]))
    }

    /// The error a fault rule produces for `status`, with the reason the real server uses for it.
    static func injected(status: Int, retryAfterSeconds: Int?, message: String?) -> APIError {
        let (reason, defaultMessage): (String, String) =
            switch status {
            case 400: ("BadRequest", "bad request")
            case 401: ("Unauthorized", "Unauthorized")
            case 403: ("Forbidden", "forbidden")
            case 404: ("NotFound", "the server could not find the requested resource")
            case 409: ("Conflict", "conflict")
            case 410: ("Expired", "gone")
            case 429: ("TooManyRequests", "Too many requests, please try again later.")
            case 500: ("InternalError", "Internal error occurred: injected fault")
            case 503: ("ServiceUnavailable", "the server is currently unable to handle the request")
            case 504: ("Timeout", "the server was unable to return a response in the time allotted")
            default: ("", "injected fault")
            }
        return APIError(
            code: status, reason: reason, message: message ?? defaultMessage, retryAfterSeconds: retryAfterSeconds)
    }
}

/// One `field.Error`: `type` is the cause reason (`FieldValueInvalid`), `body` the text after the field.
struct FieldError: Sendable {
    var type: String
    var field: String
    var body: String

    static func required(_ field: String, _ detail: String) -> FieldError {
        // field.Required prints no ": " when there is no detail.
        FieldError(
            type: "FieldValueRequired", field: field, body: detail.isEmpty ? "Required value" : "Required value: \(detail)")
    }

    static func invalid(_ field: String, value: String, _ detail: String) -> FieldError {
        FieldError(type: "FieldValueInvalid", field: field, body: "Invalid value: \(value): \(detail)")
    }

    static func forbidden(_ field: String, _ detail: String) -> FieldError {
        FieldError(type: "FieldValueForbidden", field: field, body: "Forbidden: \(detail)")
    }
}

/// `schema.GroupResource`; prints as `secrets` or `leases.coordination.k8s.io`, as in server messages.
public struct GroupResource: Hashable, Sendable, CustomStringConvertible {
    public var group: String
    public var resource: String

    public init(group: String, resource: String) {
        self.group = group
        self.resource = resource
    }

    public var description: String { group.isEmpty ? resource : "\(resource).\(group)" }
}
