import CRDModels
import FoundationEssentials

/// `admission.k8s.io/v1` AdmissionReview: the envelope the API server POSTs and expects back.
public struct AdmissionReview: Codable, Sendable {
    public static let apiVersionV1 = "admission.k8s.io/v1"

    public var apiVersion: String
    public var kind: String
    public var request: AdmissionRequest?
    public var response: AdmissionResponse?

    public init(request: AdmissionRequest) {
        self.apiVersion = Self.apiVersionV1
        self.kind = "AdmissionReview"
        self.request = request
        self.response = nil
    }

    public init(response: AdmissionResponse) {
        self.apiVersion = Self.apiVersionV1
        self.kind = "AdmissionReview"
        self.request = nil
        self.response = response
    }
}

/// The `group`/`version`/`kind` triple of `request.kind`.
public struct GroupVersionKind: Codable, Hashable, Sendable {
    public var group: String
    public var version: String
    public var kind: String

    public init(group: String, version: String, kind: String) {
        self.group = group
        self.version = version
        self.kind = kind
    }
}

/// The `group`/`version`/`resource` triple of `request.resource`.
public struct GroupVersionResource: Codable, Hashable, Sendable {
    public var group: String
    public var version: String
    public var resource: String

    public init(group: String, version: String, resource: String) {
        self.group = group
        self.version = version
        self.resource = resource
    }
}

/// Who is asking; kept only for logs.
public struct AdmissionUserInfo: Codable, Hashable, Sendable {
    public var username: String?
    public var uid: String?
    public var groups: [String]?

    public init(username: String? = nil, uid: String? = nil, groups: [String]? = nil) {
        self.username = username
        self.uid = uid
        self.groups = groups
    }
}

/// `request` of an AdmissionReview. Objects stay as JSON until the kind is known.
public struct AdmissionRequest: Codable, Sendable {
    public var uid: String
    public var kind: GroupVersionKind
    public var resource: GroupVersionResource?
    public var subResource: String?
    public var name: String?
    public var namespace: String?
    /// `CREATE`, `UPDATE`, `DELETE` or `CONNECT`.
    public var operation: String
    public var userInfo: AdmissionUserInfo?
    /// The new object; null on DELETE.
    public var object: JSONValue?
    /// The existing object on UPDATE and DELETE.
    public var oldObject: JSONValue?
    public var dryRun: Bool?

    public init(
        uid: String, kind: GroupVersionKind, resource: GroupVersionResource? = nil, name: String? = nil,
        namespace: String? = nil, operation: String, userInfo: AdmissionUserInfo? = nil, object: JSONValue? = nil,
        oldObject: JSONValue? = nil, dryRun: Bool? = nil
    ) {
        self.uid = uid
        self.kind = kind
        self.resource = resource
        self.subResource = nil
        self.name = name
        self.namespace = namespace
        self.operation = operation
        self.userInfo = userInfo
        self.object = object
        self.oldObject = oldObject
        self.dryRun = dryRun
    }
}

/// `response.status`: read by the API server only when `allowed` is false.
public struct AdmissionStatus: Codable, Hashable, Sendable {
    public var code: Int
    public var message: String
    public var reason: String?

    public init(code: Int, message: String, reason: String? = nil) {
        self.code = code
        self.message = message
        self.reason = reason
    }
}

/// `response` of an AdmissionReview.
public struct AdmissionResponse: Codable, Hashable, Sendable {
    /// Must echo `request.uid`.
    public var uid: String
    public var allowed: Bool
    public var status: AdmissionStatus?
    /// Shown by kubectl; kept under 120 characters each.
    public var warnings: [String]?

    public init(uid: String, allowed: Bool, status: AdmissionStatus? = nil, warnings: [String]? = nil) {
        self.uid = uid
        self.allowed = allowed
        self.status = status
        self.warnings = warnings
    }

    public static func allow(_ uid: String, warnings: [String] = []) -> AdmissionResponse {
        AdmissionResponse(uid: uid, allowed: true, warnings: warnings.isEmpty ? nil : warnings)
    }

    public static func deny(_ uid: String, message: String, warnings: [String] = []) -> AdmissionResponse {
        AdmissionResponse(
            uid: uid, allowed: false, status: AdmissionStatus(code: 403, message: message, reason: "Forbidden"),
            warnings: warnings.isEmpty ? nil : warnings)
    }
}

extension AdmissionReview {
    /// The AdmissionReview that answers with `response`, as JSON: the same bytes as `JSONEncoder` with sorted keys
    /// and unescaped slashes gives, written directly because the reply is on every review's path and this small
    /// fixed shape needs none of the encoder's generic machinery. Bytes, not `Data`: the answer's body takes them as
    /// they are.
    public static func encoded(response: AdmissionResponse) -> [UInt8] {
        var json = JSONText()
        json.bytes.reserveCapacity(160 + response.uid.utf8.count + (response.status?.message.utf8.count ?? 0))
        json.append(fixed: #"{"apiVersion":"#)
        json.append(string: apiVersionV1)
        json.append(fixed: #","kind":"AdmissionReview","response":{"allowed":"#)
        json.append(fixed: response.allowed ? "true" : "false")
        if let status = response.status {
            json.append(fixed: #","status":{"code":"#)
            json.append(String(status.code))
            json.append(fixed: #","message":"#)
            json.append(string: status.message)
            if let reason = status.reason {
                json.append(fixed: #","reason":"#)
                json.append(string: reason)
            }
            json.append(fixed: "}")
        }
        json.append(fixed: #","uid":"#)
        json.append(string: response.uid)
        if let warnings = response.warnings {
            json.append(fixed: #","warnings":["#)
            for (index, warning) in warnings.enumerated() {
                if index > 0 { json.append(fixed: ",") }
                json.append(string: warning)
            }
            json.append(fixed: "]")
        }
        json.append(fixed: "}}")
        return json.bytes
    }
}
