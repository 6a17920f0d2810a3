import CRDModels
import Foundation

/// Pure per-kind rules the real registry strategies apply on create and update: defaults,
/// server-owned fields, immutability, and which changes bump `metadata.generation`.
enum ObjectRules {
    static let dns1123SubdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
        + "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
        + "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    static let dns1123LabelMessage =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
        + "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
        + "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"

    static func isDNS1123Label(_ text: String) -> Bool {
        guard !text.isEmpty, text.count <= 63, let first = text.first, let last = text.last else { return false }
        let allowed = text.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
        return allowed && first != "-" && last != "-"
    }

    static func isDNS1123Subdomain(_ text: String) -> Bool {
        text.count <= 253 && text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy {
            isDNS1123Label(String($0))
        }
    }

    /// Name rules: namespaces are DNS labels; Events and RBAC objects (`system:discovery`) may use any path-safe
    /// name; the rest are subdomains.
    static func validateName(_ name: String, type: APIResourceType) -> FieldError? {
        if type.plural == "events" || type.group == RBAC.group {
            return name.contains("/") || name == "." || name == ".."
                ? .invalid("metadata.name", value: "\"\(name)\"", "may not contain '/'") : nil
        }
        if type.plural == "namespaces" {
            return isDNS1123Label(name) ? nil : .invalid("metadata.name", value: "\"\(name)\"", dns1123LabelMessage)
        }
        return isDNS1123Subdomain(name) ? nil : .invalid("metadata.name", value: "\"\(name)\"", dns1123SubdomainMessage)
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
        case "configmaps":
            try validateConfigMap(object)
        case "leases":
            if object["spec"] == nil { object["spec"] = .object([:]) }
            try normalizeMicroTimes(&object)
        case "events":
            // Not omitempty in the Go type: always present.
            if object["eventTime"] == nil { object["eventTime"] = .null }
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
        if type.plural == "configmaps" { try validateConfigMap(new) }
        if type.plural == "leases" {
            if new["spec"] == nil { new["spec"] = .object([:]) }
            try normalizeMicroTimes(&new)
        }
        if type.group == RBAC.group { try RBACValidation.prepare(&new, old: old, type: type) }
        if !type.isCustom {
            new = omittingEmpty(new)
            if type.plural == "events" {
                for field in ["eventTime", "reportingComponent", "reportingInstance"] where new[field] == nil {
                    new[field] = old[field]
                }
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
            if new["type"] == nil || new["type"] == .string("") { new["type"] = old["type"] }
            if new["type"] != old["type"] {
                let name = old["metadata"]?["name"]?.stringValue ?? ""
                let value = new["type"]?.stringValue ?? ""
                throw APIError.invalid(
                    kind: "Secret", group: "", name: name,
                    causes: [.invalid("type", value: "\"\(value)\"", "field is immutable")])
            }
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

    /// A key may not be in both `data` and `binaryData`.
    static func validateConfigMap(_ object: JSONValue) throws(APIError) {
        let data = object["data"]?.objectValue ?? [:]
        let binary = object["binaryData"]?.objectValue ?? [:]
        let duplicates = data.keys.filter { binary[$0] != nil }.sorted()
        guard !duplicates.isEmpty else { return }
        throw APIError.invalid(
            kind: "ConfigMap", group: "", name: object["metadata"]?["name"]?.stringValue ?? "",
            causes: duplicates.map { .invalid("data[\($0)]", value: "\"\($0)\"", "duplicate of key present in binaryData") })
    }

    /// Lease times are MicroTime: exactly six fractional digits (Go's RFC3339Micro layout); an offset
    /// is converted to UTC.
    static func normalizeMicroTimes(_ lease: inout JSONValue) throws(APIError) {
        for field in ["acquireTime", "renewTime"] {
            guard let text = lease["spec"]?[field]?.stringValue else { continue }
            let characters = Array(text)
            let rest = characters.count > 19 ? String(characters[19...]) : ""
            let fraction = rest.hasPrefix(".") ? String(rest.dropFirst().prefix { $0.isNumber }) : ""
            guard fraction.count == 6 else {
                throw APIError.badRequest(
                    "Lease in version \"v1\" cannot be handled as a Lease: parsing time \"\(text)\" as "
                        + "\"2006-01-02T15:04:05.000000Z07:00\": cannot parse \"\(rest)\" as \".000000\"")
            }
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
        for (key, value) in data {
            guard let text = value.stringValue, Data(base64Encoded: text) != nil else {
                throw APIError.badRequest(
                    "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data in data[\(key)]")
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
