import CRDModels
import Foundation

/// Pure per-kind rules the real registry strategies apply on create and update: defaults,
/// server-owned fields, immutability, and which changes bump `metadata.generation`.
enum ObjectRules {
    /// The strategy's name rule: namespaces are DNS labels; Events and RBAC objects (`system:discovery`)
    /// may use any path-safe name; the rest are subdomains. Returns the messages, as `ValidateNameFunc` does.
    static func nameErrors(_ name: String, type: APIResourceType) -> [String] {
        if type.plural == "events" || type.group == RBAC.group { return pathSegmentNameErrors(name) }
        if type.plural == "namespaces" { return StringValidation.dns1123Label(name) }
        return StringValidation.dns1123Subdomain(name)
    }

    /// `path.IsValidPathSegmentName`: what every name must satisfy to be used in a URL path.
    static func pathSegmentNameErrors(_ name: String) -> [String] {
        if name == "." || name == ".." { return ["may not be '\(name)'"] }
        return ["/", "%"].filter { name.contains($0) }.map { "may not contain '\($0)'" }
    }

    /// The top-level fields of the built-in kinds served here (their Go structs): anything else in a body is
    /// an unknown field.
    static let topLevelFields: [String: Set<String>] = [
        "secrets": ["data", "stringData", "type", "immutable"],
        "configmaps": ["data", "binaryData", "immutable"],
        "serviceaccounts": ["secrets", "imagePullSecrets", "automountServiceAccountToken"],
        "namespaces": ["spec", "status"],
        "leases": ["spec"],
        "events": [
            "involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count", "type",
            "eventTime", "series", "action", "related", "reportingComponent", "reportingInstance",
        ],
    ]

    /// The fields of list elements of the built-in kinds served here (`LocalObjectReference`,
    /// `ObjectReference`): anything else in an element is an unknown field too. A strategic merge
    /// patch directive left in a list that does not merge ends up here (`imagePullSecrets[0].$patch`).
    static let elementFields: [String: [String: Set<String>]] = [
        "serviceaccounts": [
            "imagePullSecrets": ["name"],
            "secrets": ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"],
        ]
    ]

    /// Drops unknown top-level fields of a built-in kind, and unknown fields of the list elements
    /// `elementFields` describes; returns their paths.
    static func pruneTopLevel(_ object: inout JSONValue, type: APIResourceType) -> [String] {
        guard !type.isCustom, let known = topLevelFields[type.plural], case .object(var fields) = object else {
            return []
        }
        let unknown = fields.keys.filter { !known.contains($0) && !["apiVersion", "kind", "metadata"].contains($0) }
        for key in unknown { fields[key] = nil }
        var unknownInElements: [String] = []
        for (field, knownInElement) in (elementFields[type.plural] ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let elements = fields[field]?.arrayValue else { continue }
            fields[field] = .array(
                elements.enumerated().map { index, element in
                    guard case .object(var members) = element else { return element }
                    for key in members.keys.sorted() where !knownInElement.contains(key) {
                        members[key] = nil
                        unknownInElements.append("\(field)[\(index)].\(key)")
                    }
                    return .object(members)
                })
        }
        object = .object(fields)
        return unknown.sorted() + unknownInElements
    }

    /// `generateName` suffix: five characters from the alphabet apimachinery uses.
    static func generatedSuffix() -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<5).map { _ in alphabet.randomElement()! })
    }

    /// Defaults the real server fills on create (Namespace phase and finalizer, Secret type, ...).
    static func prepareForCreate(_ object: inout JSONValue, type: APIResourceType) throws(APIError) {
        if !type.isCustom { object = omittingEmpty(object) }
        object["metadata"] = omittingEmpty(object["metadata"] ?? .object([:]))  // ObjectMeta is typed
        try validateOwnerReferences(object)
        if type.group == RBAC.group { try RBACValidation.prepare(&object, old: nil, type: type) }
        switch type.plural {
        case "leases":
            if object["spec"] == nil { object["spec"] = .object([:]) }
            try normalizeMicroTimes(&object)
        case "events":
            // Time structs are not omitted by omitempty (zero is null); a zero count is.
            for field in ["eventTime", "firstTimestamp", "lastTimestamp"] where object[field] == nil {
                object[field] = .null
            }
            if object["count"] == .number(0) { object["count"] = nil }
            for field in ["reportingComponent", "reportingInstance"] where object[field] == nil {
                object[field] = .string("")
            }
        case "namespaces":
            let name = object["metadata"]?["name"]?.stringValue ?? ""
            var labels = object["metadata"]?["labels"]?.objectValue ?? [:]
            labels["kubernetes.io/metadata.name"] = .string(name)
            object["metadata"]?["labels"] = .object(labels)
            object["spec"] = .object(["finalizers": .array([.string("kubernetes")])])
            object["status"] = .object(["phase": .string("Active")])
        case "secrets":
            try foldStringData(&object)
            if object["type"]?.stringValue?.isEmpty ?? true { object["type"] = .string("Opaque") }
        case "customresourcedefinitions":
            object["status"] = crdStatus(object)
        default:
            // Custom resources with a status subresource cannot set status on create.
            if type.hasStatusSubresource && type.isCustom { object["status"] = nil }
        }
    }

    /// Rules for an update of `old` to `new` on the main resource or `/status`.
    static func prepareForUpdate(
        _ new: inout JSONValue, old: JSONValue, type: APIResourceType, statusOnly: Bool
    ) throws(APIError) {
        if statusOnly {
            // Only .status changes through the status subresource; spec and metadata stay.
            let status = new["status"]
            new = old
            new["status"] = status
            return
        }
        if type.hasStatusSubresource { new["status"] = old["status"] }
        new["metadata"] = omittingEmpty(new["metadata"] ?? .object([:]))
        try validateOwnerReferences(new)
        if type.plural == "leases" {
            if new["spec"] == nil { new["spec"] = .object([:]) }
            try normalizeMicroTimes(&new)
        }
        if type.group == RBAC.group { try RBACValidation.prepare(&new, old: old, type: type) }
        if !type.isCustom {
            new = omittingEmpty(new)
            if type.plural == "events" {
                for field in [
                    "eventTime", "firstTimestamp", "lastTimestamp", "reportingComponent", "reportingInstance",
                ] where new[field] == nil {
                    new[field] = old[field]
                }
                if new["count"] == .number(0) { new["count"] = nil }
            }
        }
        switch type.plural {
        case "namespaces":
            // The namespace strategy keeps spec and status: only the finalize and status
            // subresources change them.
            new["spec"] = old["spec"]
            new["status"] = old["status"]
            var labels = new["metadata"]?["labels"]?.objectValue ?? [:]
            labels["kubernetes.io/metadata.name"] = old["metadata"]?["name"]
            new["metadata"]?["labels"] = .object(labels)
        case "secrets":
            try foldStringData(&new)
            // Decoding defaults a missing type; a change is reported by validation.
            if new["type"]?.stringValue?.isEmpty ?? true { new["type"] = .string("Opaque") }
        default:
            break
        }
    }

    /// The CRD's status as the apiextensions controllers settle it: names accepted, established.
    static func crdStatus(_ crd: JSONValue) -> JSONValue {
        let now = JSONValue.string(Timestamp.format(Date()))
        let storage = crd["spec"]?["versions"]?.arrayValue?.first { $0["storage"] == .bool(true) }?["name"]
        func condition(_ type: String, _ reason: String, _ message: String) -> JSONValue {
            .object([
                "type": .string(type), "status": .string("True"), "reason": .string(reason),
                "message": .string(message), "lastTransitionTime": now,
            ])
        }
        return .object([
            "acceptedNames": crd["spec"]?["names"] ?? .object([:]),
            "conditions": .array([
                condition("NamesAccepted", "NoConflicts", "no conflicts found"),
                condition("Established", "InitialNamesAccepted", "the initial names have been accepted"),
            ]),
            "storedVersions": .array(storage.map { [$0] } ?? []),
        ])
    }

    /// ObjectMeta validation of ownerReferences (apimachinery `ValidateOwnerReferences`).
    static func validateOwnerReferences(_ object: JSONValue) throws(APIError) {
        let references = object["metadata"]?["ownerReferences"]?.arrayValue ?? []
        let path = "metadata.ownerReferences"
        var causes: [FieldError] = []
        var firstController: String?
        for reference in references {
            let apiVersion = reference["apiVersion"]?.stringValue ?? ""
            let version = apiVersion.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
            for (field, value, rule) in [
                ("apiVersion", apiVersion, version.isEmpty ? "version must not be empty" : nil),
                ("kind", reference["kind"]?.stringValue ?? "", "kind must not be empty"),
                ("name", reference["name"]?.stringValue ?? "", "name must not be empty"),
                ("uid", reference["uid"]?.stringValue ?? "", "uid must not be empty"),
            ] where field == "apiVersion" ? rule != nil : value.isEmpty {
                causes.append(.invalid("\(path).\(field)", value: GoSyntax.quote(value), rule ?? ""))
            }
            guard reference["controller"] == .bool(true) else { continue }
            let current = "\(reference["kind"]?.stringValue ?? "")/\(reference["name"]?.stringValue ?? "")"
            if let firstController {
                causes.append(
                    .invalid(
                        path, value: GoSyntax.ownerReferences(references),
                        "Only one reference can have Controller set to true. Found \"true\" in references for "
                            + "\(firstController) and \(current)"))
            } else {
                firstController = current
            }
        }
        guard !causes.isEmpty else { return }
        throw APIError.invalid(
            kind: object["kind"]?.stringValue ?? "", group: groupOf(object), name: object["metadata"]?["name"]?.stringValue ?? "",
            causes: causes)
    }

    private static func groupOf(_ object: JSONValue) -> String {
        let apiVersion = object["apiVersion"]?.stringValue ?? ""
        return apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : ""
    }

    /// Lease times are MicroTime: exactly six fractional digits (Go's RFC3339Micro layout); an offset
    /// is converted to UTC.
    static func normalizeMicroTimes(_ lease: inout JSONValue) throws(APIError) {
        for field in ["acquireTime", "renewTime"] {
            guard let text = lease["spec"]?[field]?.stringValue else { continue }
            let characters = Array(text)
            let rest = characters.count > 19 ? String(characters[19...]) : ""
            if let failure = GoTime.microTimeParseError(text) {
                throw APIError.badRequest("Lease in version \"v1\" cannot be handled as a Lease: \(failure)")
            }
            let fraction = String(rest.dropFirst().prefix(6))
            let zone = String(rest.dropFirst(7))
            guard zone != "Z", let seconds = ISO8601DateFormatter().date(from: String(characters[..<19]) + zone) else {
                continue
            }
            let formatter = ISO8601DateFormatter()
            formatter.timeZone = TimeZone(identifier: "UTC")
            let utc = formatter.string(from: seconds).dropLast()  // "...SS"
            lease["spec"]?[field] = .string(utc + "." + fraction + "Z")
        }
    }

    /// Built-in kinds are Go structs: null values, empty lists and empty maps (labels, annotations,
    /// data) are dropped by `omitempty` when the object is stored. Struct-valued fields stay.
    static func omittingEmpty(_ value: JSONValue, key: String? = nil) -> JSONValue {
        switch value {
        case .object(let object):
            var result: [String: JSONValue] = [:]
            for (childKey, child) in object {
                let kept = omittingEmpty(child, key: childKey)
                switch kept {
                case .null: continue
                case .array(let items) where items.isEmpty: continue
                case .object(let map) where map.isEmpty && emptyOmittedMaps.contains(childKey): continue
                default: result[childKey] = kept
                }
            }
            return .object(result)
        case .array(let items):
            return .array(items.map { omittingEmpty($0) })
        default:
            return value
        }
    }

    static let emptyOmittedMaps: Set<String> = [
        "labels", "annotations", "data", "binaryData", "stringData", "nodeSelector",
    ]

    /// `stringData` is write-only: the server base64-encodes it into `data` (overwriting keys).
    static func foldStringData(_ secret: inout JSONValue) throws(APIError) {
        var data = secret["data"]?.objectValue ?? [:]
        for key in data.keys.sorted() {
            let prefix = "Secret in version \"v1\" cannot be handled as a Secret: "
            guard let text = data[key]?.stringValue else {
                let kind =
                    switch data[key] {
                    case .number: "number"
                    case .bool: "bool"
                    case .array: "array"
                    default: "object"
                    }
                throw APIError.badRequest(
                    prefix + "json: cannot unmarshal \(kind) into Go struct field Secret.data of type []uint8")
            }
            if let offset = base64ErrorOffset(text) {
                throw APIError.badRequest(prefix + "illegal base64 data at input byte \(offset)")
            }
        }
        if let stringData = secret["stringData"]?.objectValue {
            for (key, value) in stringData {
                data[key] = .string(Data((value.stringValue ?? "").utf8).base64EncodedString())
            }
            secret["stringData"] = nil
        }
        if !data.isEmpty || secret["data"] != nil { secret["data"] = .object(data) }
    }

    /// Where Go's standard base64 decoder reports a `CorruptInputError`, or nil when the text decodes.
    static func base64ErrorOffset(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var padding = 0
        for (index, byte) in bytes.enumerated() where byte != 0x0A && byte != 0x0D {
            if byte == UInt8(ascii: "=") {
                padding += 1
                if padding > 2 { return index }
            } else if padding > 0 || !alphabet.contains(byte) {
                return index
            }
        }
        let length = bytes.filter { $0 != 0x0A && $0 != 0x0D }.count
        return length % 4 == 0 ? nil : length
    }

    /// Whether the change from `old` to `new` is one that bumps `metadata.generation`: anything
    /// outside metadata (and outside status when status is a subresource).
    static func bumpsGeneration(old: JSONValue, new: JSONValue, type: APIResourceType) -> Bool {
        func content(_ object: JSONValue) -> JSONValue {
            var copy = object
            copy["metadata"] = nil
            copy["kind"] = nil
            copy["apiVersion"] = nil
            if type.hasStatusSubresource || !type.isCustom { copy["status"] = nil }
            return copy
        }
        return content(old) != content(new)
    }
}
