import CRDModels
import Foundation

/// Object validation in the order kube-apiserver's registry runs it (`rest.BeforeCreate`,
/// `rest.BeforeUpdate`), with the per-kind rules of `pkg/apis/core/validation` and
/// `pkg/apis/coordination/validation`. Every cause is reported, as the real server aggregates them.
enum ObjectValidation {
    /// `rest.BeforeCreate`: the strategy's `Validate`; only when that passes, the generic ObjectMeta checks
    /// (which matter for kinds whose strategy skips them, such as core/v1 Events).
    static func create(_ object: JSONValue, type: APIResourceType, schemaErrors: [FieldError]) -> [FieldError] {
        let strategy: [FieldError]
        switch kind(type) {
        case .secret: strategy = meta(object, type: type) + secret(object)
        case .configMap: strategy = meta(object, type: type) + configMap(object)
        case .lease: strategy = meta(object, type: type) + leaseSpec(object)
        case .event: strategy = event(object)
        case .custom: strategy = typeMeta(object, type: type) ?? meta(object, type: type) + schemaErrors
        case .other: strategy = meta(object, type: type)
        }
        return strategy.isEmpty ? meta(object, type: type, name: .pathSegment) : strategy
    }

    /// `rest.BeforeUpdate`: the generic ObjectMeta checks (create and update rules), then the strategy's
    /// `ValidateUpdate`, which for most kinds repeats them: a bad label is reported up to four times.
    static func update(_ new: JSONValue, old: JSONValue, type: APIResourceType, schemaErrors: [FieldError])
        -> [FieldError]
    {
        let common = meta(new, type: type, name: .pathSegment) + metaUpdate(new)
        let strategy: [FieldError]
        switch kind(type) {
        case .secret:
            strategy = metaUpdate(new) + secretUpdate(new, old: old) + meta(new, type: type) + secret(new)
        case .configMap:
            strategy = metaUpdate(new) + immutability(new, old: old, fields: ["data", "binaryData"])
                + meta(new, type: type) + configMap(new)
        case .lease: strategy = metaUpdate(new) + leaseSpec(new)
        case .event: strategy = event(new)
        case .custom: strategy = typeMeta(new, type: type) ?? metaUpdate(new) + schemaErrors
        case .other:
            let repeatsMeta = type.plural != "namespaces" && type.groupResource != ClusterStore.crds
            strategy = metaUpdate(new) + (repeatsMeta ? meta(new, type: type) : [])
        }
        return common + strategy
    }

    private enum Kind { case secret, configMap, lease, event, custom, other }

    private static func kind(_ type: APIResourceType) -> Kind {
        if type.isCustom { return .custom }
        switch (type.group, type.plural) {
        case ("", "secrets"): return .secret
        case ("", "configmaps"): return .configMap
        case ("", "events"): return .event
        case ("coordination.k8s.io", "leases"): return .lease
        default: return .other
        }
    }

    /// The custom resource validator's first check: a body of another kind fails alone.
    private static func typeMeta(_ object: JSONValue, type: APIResourceType) -> [FieldError]? {
        let kind = object["kind"]?.stringValue ?? ""
        guard kind != type.kind else { return nil }
        return [.invalid("kind", value: StringValidation.quoted(kind), "must be \(type.kind)")]
    }

    // MARK: ObjectMeta

    private enum NameRule { case typeSpecific, pathSegment }

    /// `ValidateObjectMetaAccessor`: generateName, name, labels, annotations. (Owner references and
    /// finalizers are checked where the store handles them.)
    private static func meta(_ object: JSONValue, type: APIResourceType, name rule: NameRule = .typeSpecific)
        -> [FieldError]
    {
        let metadata = object["metadata"] ?? .object([:])
        var errors: [FieldError] = []
        func nameErrors(_ name: String) -> [String] {
            rule == .pathSegment ? ObjectRules.pathSegmentNameErrors(name) : ObjectRules.nameErrors(name, type: type)
        }
        if let prefix = metadata["generateName"]?.stringValue, !prefix.isEmpty {
            // A prefix is validated with its trailing dash masked.
            let masked = prefix.hasSuffix("-") ? String(prefix.dropLast()) + "a" : prefix
            errors += nameErrors(masked).map {
                .invalid("metadata.generateName", value: StringValidation.quoted(prefix), $0)
            }
        }
        let name = metadata["name"]?.stringValue ?? ""
        if name.isEmpty {
            errors.append(.required("metadata.name", "name or generateName is required"))
        } else {
            errors += nameErrors(name).map { .invalid("metadata.name", value: StringValidation.quoted(name), $0) }
        }
        return errors + labelsAndAnnotations(metadata)
    }

    /// The parts of `ValidateObjectMetaAccessorUpdate` that can still fail once the store has kept the
    /// immutable fields: labels and annotations.
    private static func metaUpdate(_ object: JSONValue) -> [FieldError] {
        labelsAndAnnotations(object["metadata"] ?? .object([:]))
    }

    static let totalAnnotationSizeLimit = 256 * 1024

    private static func labelsAndAnnotations(_ metadata: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let labels = metadata["labels"]?.objectValue ?? [:]
        for key in labels.keys.sorted() {
            let value = labels[key]?.stringValue ?? ""
            errors += StringValidation.qualifiedName(key).map {
                .invalid("metadata.labels", value: StringValidation.quoted(key), $0)
            }
            errors += StringValidation.labelValue(value).map {
                .invalid("metadata.labels", value: StringValidation.quoted(value), $0)
            }
        }
        let annotations = metadata["annotations"]?.objectValue ?? [:]
        var size = 0
        for key in annotations.keys.sorted() {
            // Annotation keys are qualified names, case-insensitively.
            errors += StringValidation.qualifiedName(key.lowercased()).map {
                .invalid("metadata.annotations", value: StringValidation.quoted(key), $0)
            }
            size += key.utf8.count + (annotations[key]?.stringValue?.utf8.count ?? 0)
        }
        if size > totalAnnotationSizeLimit { errors.append(.tooLong("metadata.annotations", totalAnnotationSizeLimit)) }
        return errors
    }

    // MARK: Secret and ConfigMap

    static let maxSecretSize = 1024 * 1024

    /// `ValidateSecret`: data keys, total size, and the keys each well-known type requires.
    private static func secret(_ object: JSONValue) -> [FieldError] {
        let data = object["data"]?.objectValue ?? [:]
        var errors: [FieldError] = []
        var size = 0
        for key in data.keys.sorted() {
            errors += StringValidation.configMapKey(key).map {
                .invalid("data[\(key)]", value: StringValidation.quoted(key), $0)
            }
            size += decodedLength(data[key])
        }
        if size > maxSecretSize { errors.append(.tooLong("data", maxSecretSize)) }
        func requireJSON(_ key: String) {
            guard let value = data[key] else {
                errors.append(.required("data[\(key)]", ""))
                return
            }
            let bytes = value.stringValue.flatMap { Data(base64Encoded: $0) } ?? Data()
            if let failure = GoJSON.unmarshalObjectError(bytes) {
                errors.append(.invalid("data[\(key)]", value: "\"<secret contents redacted>\"", failure))
            }
        }
        switch object["type"]?.stringValue ?? "" {
        case "kubernetes.io/service-account-token":
            let annotations = object["metadata"]?["annotations"]?.objectValue ?? [:]
            if (annotations["kubernetes.io/service-account.name"]?.stringValue ?? "").isEmpty {
                errors.append(.required("metadata.annotations[kubernetes.io/service-account.name]", ""))
            }
        case "kubernetes.io/dockercfg":
            requireJSON(".dockercfg")
        case "kubernetes.io/dockerconfigjson":
            requireJSON(".dockerconfigjson")
        case "kubernetes.io/basic-auth":
            if data["username"] == nil && data["password"] == nil {
                errors += [.required("data[username]", ""), .required("data[password]", "")]
            }
        case "kubernetes.io/ssh-auth":
            if decodedLength(data["ssh-privatekey"]) == 0 { errors.append(.required("data[ssh-privatekey]", "")) }
        case "kubernetes.io/tls":
            for key in ["tls.crt", "tls.key"] where data[key] == nil { errors.append(.required("data[\(key)]", "")) }
        default:
            break
        }
        return errors
    }

    /// `ValidateSecretUpdate` before it validates the new Secret: `type` and, once set, `immutable`.
    private static func secretUpdate(_ new: JSONValue, old: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let newType = new["type"]?.stringValue ?? ""
        if newType != (old["type"]?.stringValue ?? "") {
            errors.append(.invalid("type", value: StringValidation.quoted(newType), "field is immutable"))
        }
        return errors + immutability(new, old: old, fields: ["data"])
    }

    /// Once `immutable: true` is stored, it stays and the given fields may not change.
    private static func immutability(_ new: JSONValue, old: JSONValue, fields: [String]) -> [FieldError] {
        guard old["immutable"] == .bool(true) else { return [] }
        let message = "field is immutable when `immutable` is set"
        var errors: [FieldError] = []
        if new["immutable"] != .bool(true) { errors.append(.forbidden("immutable", message)) }
        for field in fields where !sameMap(new[field], old[field]) { errors.append(.forbidden(field, message)) }
        return errors
    }

    private static func sameMap(_ a: JSONValue?, _ b: JSONValue?) -> Bool {
        (a?.objectValue ?? [:]) == (b?.objectValue ?? [:])
    }

    /// `ValidateConfigMap`: keys of both maps, no key in both, and 1 MiB in all (reported for the whole object).
    private static func configMap(_ object: JSONValue) -> [FieldError] {
        let data = object["data"]?.objectValue ?? [:]
        let binary = object["binaryData"]?.objectValue ?? [:]
        var errors: [FieldError] = []
        var size = 0
        for key in data.keys.sorted() {
            errors += StringValidation.configMapKey(key).map {
                .invalid("data[\(key)]", value: StringValidation.quoted(key), $0)
            }
            if binary[key] != nil {
                errors.append(
                    .invalid("data[\(key)]", value: StringValidation.quoted(key), "duplicate of key present in binaryData"))
            }
            size += data[key]?.stringValue?.utf8.count ?? 0
        }
        for key in binary.keys.sorted() {
            errors += StringValidation.configMapKey(key).map {
                .invalid("binaryData[\(key)]", value: StringValidation.quoted(key), $0)
            }
            size += decodedLength(binary[key])
        }
        if size > maxSecretSize { errors.append(.tooLong("[]", maxSecretSize)) }
        return errors
    }

    private static func decodedLength(_ value: JSONValue?) -> Int {
        value?.stringValue.flatMap { Data(base64Encoded: $0)?.count } ?? 0
    }

    // MARK: Lease

    private static func leaseSpec(_ lease: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        if let duration = lease["spec"]?["leaseDurationSeconds"]?.testNumber, duration <= 0 {
            errors.append(.invalid("spec.leaseDurationSeconds", value: String(Int(duration)), "must be greater than 0"))
        }
        if let transitions = lease["spec"]?["leaseTransitions"]?.testNumber, transitions < 0 {
            errors.append(
                .invalid(
                    "spec.leaseTransitions", value: String(Int(transitions)), "must be greater than or equal to 0"))
        }
        return errors
    }

    // MARK: Event

    /// `legacyValidateEvent`, all core/v1 gets: an Event without `eventTime` must live in its involved
    /// object's namespace (or `default` for cluster-scoped ones); one with `eventTime` needs the
    /// events.k8s.io fields.
    private static func event(_ event: JSONValue) -> [FieldError] {
        let namespace = event["metadata"]?["namespace"]?.stringValue ?? ""
        let involvedNamespace = event["involvedObject"]?["namespace"]?.stringValue ?? ""
        let mismatch = FieldError.invalid(
            "involvedObject.namespace", value: StringValidation.quoted(involvedNamespace),
            "does not match event.namespace")
        var errors: [FieldError] = []
        if (event["eventTime"]?.stringValue ?? "").isEmpty {
            if involvedNamespace.isEmpty ? !(namespace.isEmpty || namespace == "default") : namespace != involvedNamespace {
                errors.append(mismatch)
            }
        } else {
            if involvedNamespace.isEmpty && namespace != "default" && namespace != "kube-system" {
                errors.append(mismatch)
            }
            func text(_ field: String) -> String { event[field]?.stringValue ?? "" }
            let controller = text("reportingComponent")
            if controller.isEmpty { errors.append(.required("reportingComponent", "")) }
            errors += StringValidation.qualifiedName(controller).map {
                .invalid("reportingComponent", value: StringValidation.quoted(controller), $0)
            }
            for (field, limit, required) in [
                ("reportingInstance", 128, true), ("action", 128, true), ("reason", 128, true),
                ("message", 1024, false),
            ] {
                if required && text(field).isEmpty { errors.append(.required(field, "")) }
                if text(field).utf8.count > limit {
                    errors.append(.invalid(field, value: "\"\"", "can have at most \(limit) characters"))
                }
            }
        }
        errors += StringValidation.dns1123Subdomain(namespace).map {
            .invalid("namespace", value: StringValidation.quoted(namespace), $0)
        }
        return errors
    }
}

/// The `fieldValidation` query parameter: what a write does with fields the type does not declare.
enum FieldValidation: String, Sendable {
    case ignore = "Ignore", warn = "Warn", strict = "Strict"
}

extension FieldError {
    /// `field.TooLong` with a byte limit.
    static func tooLong(_ field: String, _ limit: Int) -> FieldError {
        FieldError(type: "FieldValueTooLong", field: field, body: "Too long: must have at most \(limit) bytes")
    }
}
