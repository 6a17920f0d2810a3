import CRDModels
import Foundation

/// Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), what `kubectl get`
/// asks for: a `meta.k8s.io` Table whose columns are a custom resource's `additionalPrinterColumns`
/// (after `Name`) or a built-in kind's printer columns, one row per object, with the object as
/// PartialObjectMetadata (`includeObject=Metadata`, the default), whole (`Object`) or null (`None`).
///
/// Kinds without printer columns here (ServiceAccounts, ConfigMaps, Leases, RBAC) get the generic
/// server's default columns `Name` and `Created At`.
struct TableConvertor {
    var type: APIResourceType
    /// The CustomResourceDefinition of a custom resource (for its printer columns).
    var crd: JSONValue?
    /// `v1` or `v1beta1`.
    var version: String
    var includeObject: String
    var now: Date

    struct Column {
        var name: String
        var type: String
        var format = ""
        var description: String
        var priority = 0
        /// The cell of one object.
        var cell: (JSONValue) -> JSONValue
    }

    /// The Table media type version an `Accept` header asks for first (nil: not a Table request).
    static func requestedVersion(_ accept: String?) -> String? {
        for alternative in (accept ?? "").split(separator: ",") {
            let parts = alternative.split(separator: ";").map { String($0).trimmingSpaces }
            guard ["application/json", "*/*", "application/*"].contains(parts.first?.lowercased() ?? "") else {
                continue
            }
            var parameters: [String: String] = [:]
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map(String.init)
                if pair.count == 2 { parameters[pair[0].lowercased()] = pair[1] }
            }
            guard let target = parameters["as"] else { return nil }
            if target == "Table", parameters["g"] == "meta.k8s.io", let version = parameters["v"],
                version == "v1" || version == "v1beta1"
            {
                return version
            }
        }
        return nil
    }

    /// The Table of `objects` with the list's (or object's) metadata.
    func table(_ objects: [JSONValue], metadata: [String: JSONValue]) -> JSONValue {
        let columns = self.columns()
        let rows: [JSONValue] = objects.map { object in
            .object(["cells": .array(columns.map { $0.cell(object) }), "object": rowObject(object)])
        }
        return .object([
            "kind": .string("Table"), "apiVersion": .string("meta.k8s.io/\(version)"),
            "metadata": .object(metadata),
            "columnDefinitions": .array(
                columns.map { column in
                    .object([
                        "name": .string(column.name), "type": .string(column.type), "format": .string(column.format),
                        "description": .string(column.description), "priority": .number(Double(column.priority)),
                    ])
                }),
            "rows": .array(rows),
        ])
    }

    private func rowObject(_ object: JSONValue) -> JSONValue {
        switch includeObject {
        case "None": return .null
        case "Object": return RenderOptions(type: type, metadataOnly: false).render(object)
        default:
            return .object([
                "kind": .string("PartialObjectMetadata"), "apiVersion": .string("meta.k8s.io/\(version)"),
                "metadata": object["metadata"] ?? .object([:]),
            ])
        }
    }

    // MARK: Columns

    static let nameDescription =
        "Name must be unique within a namespace. Is required when creating resources, although some resources may "
        + "allow a client to request the generation of an appropriate name automatically. Name is primarily intended "
        + "for creation idempotence and configuration definition. Cannot be updated. More info: "
        + "http://kubernetes.io/docs/user-guide/identifiers#names"
    static let creationTimestampDescription =
        "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
        + "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. "
        + "It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. "
        + "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"

    private func nameColumn(priority: Int = 0) -> Column {
        Column(name: "Name", type: "string", format: "name", description: Self.nameDescription, priority: priority) {
            $0["metadata"]?["name"] ?? .null
        }
    }

    private func ageColumn() -> Column {
        Column(name: "Age", type: "string", description: Self.creationTimestampDescription) {
            .string(since($0["metadata"]?["creationTimestamp"]))
        }
    }

    func columns() -> [Column] {
        if type.isCustom { return customColumns() }
        switch (type.group, type.plural) {
        case ("", "secrets"):
            return [
                nameColumn(),
                Column(
                    name: "Type", type: "string",
                    description: "Used to facilitate programmatic handling of secret data. More info: "
                        + "https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"
                ) { $0["type"] ?? .string("") },
                Column(
                    name: "Data", type: "string",
                    description: "Data contains the secret data. Each key must consist of alphanumeric characters, "
                        + "'-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, "
                        + "representing the arbitrary (possibly non-string) data value here. Described in "
                        + "https://tools.ietf.org/html/rfc4648#section-4"
                ) { .number(Double($0["data"]?.objectValue?.count ?? 0)) },
                ageColumn(),
            ]
        case ("", "namespaces"):
            return [
                nameColumn(),
                Column(name: "Status", type: "string", description: "The status of the namespace") {
                    $0["status"]?["phase"] ?? .string("")
                },
                ageColumn(),
            ]
        case ("", "events"):
            return eventColumns()
        default:
            return [
                nameColumn(),
                Column(name: "Created At", type: "date", description: Self.creationTimestampDescription) {
                    $0["metadata"]?["creationTimestamp"] ?? .null
                },
            ]
        }
    }

    /// `printEvent` (kubernetes `pkg/printers/internalversion`), wide, as the server prints it.
    private func eventColumns() -> [Column] {
        func first(_ object: JSONValue) -> String {
            let stamp = object["firstTimestamp"]
            return stamp == nil || stamp == .null ? since(object["eventTime"]) : since(stamp)
        }
        func last(_ object: JSONValue) -> String {
            if let series = object["series"]?["lastObservedTime"] { return since(series) }
            let stamp = object["lastTimestamp"]
            return stamp == nil || stamp == .null ? first(object) : since(stamp)
        }
        func text(_ value: JSONValue?) -> String { value?.stringValue ?? "" }
        return [
            Column(
                name: "Last Seen", type: "string",
                description: "The time at which the most recent occurrence of this event was recorded."
            ) { .string(last($0)) },
            Column(
                name: "Type", type: "string",
                description: "Type of this event (Normal, Warning), new types could be added in the future"
            ) { $0["type"] ?? .string("") },
            Column(
                name: "Reason", type: "string",
                description: "This should be a short, machine understandable string that gives the reason for the "
                    + "transition into the object's current status."
            ) { $0["reason"] ?? .string("") },
            Column(name: "Object", type: "string", description: "The object that this event is about.") { event in
                let kind = text(event["involvedObject"]?["kind"]).lowercased()
                let name = text(event["involvedObject"]?["name"])
                return .string(name.isEmpty ? kind : "\(kind)/\(name)")
            },
            Column(
                name: "Subobject", type: "string",
                description: "If referring to a piece of an object instead of an entire object, this string should "
                    + "contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. "
                    + "For example, if the object reference is to a container within a pod, this would take on a "
                    + "value like: \"spec.containers{name}\" (where \"name\" refers to the name of the container that "
                    + "triggered the event) or if no container name is specified \"spec.containers[2]\" (container "
                    + "with index 2 in this pod). This syntax is chosen only to have some well-defined way of "
                    + "referencing a part of an object.",
                priority: 1
            ) { .string(text($0["involvedObject"]?["fieldPath"])) },
            Column(
                name: "Source", type: "string",
                description: "The component reporting this event. Should be a short machine understandable string.",
                priority: 1
            ) { event in
                let component = text(event["source"]?["component"]).isEmpty
                    ? text(event["reportingComponent"]) : text(event["source"]?["component"])
                let instance = text(event["source"]?["host"]).isEmpty
                    ? text(event["reportingInstance"]) : text(event["source"]?["host"])
                return .string(component.isEmpty ? "" : instance.isEmpty ? component : "\(component), \(instance)")
            },
            Column(
                name: "Message", type: "string",
                description: "A human-readable description of the status of this operation."
            ) { .string(text($0["message"]).trimmingSpaces) },
            Column(
                name: "First Seen", type: "string",
                description: "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)",
                priority: 1
            ) { .string(first($0)) },
            Column(
                name: "Count", type: "string", description: "The number of times this event has occurred.", priority: 1
            ) { event in
                if case .number(let count) = event["series"]?["count"] ?? .null { return .number(count) }
                if case .number(let count) = event["count"] ?? .null, count != 0 { return .number(count) }
                return .number(1)
            },
            nameColumn(priority: 1),
        ]
    }

    /// A custom resource's columns: `Name`, then its version's `additionalPrinterColumns` (or `Age`).
    private func customColumns() -> [Column] {
        let versions = crd?["spec"]?["versions"]?.arrayValue ?? []
        let declared = versions.first { $0["name"]?.stringValue == type.version }?["additionalPrinterColumns"]?
            .arrayValue
        let age: JSONValue = .object([
            "name": .string("Age"), "type": .string("date"), "jsonPath": .string(".metadata.creationTimestamp"),
        ])
        let definitions = declared ?? [age]
        return [nameColumn()]
            + definitions.map { definition in
                let path = definition["jsonPath"]?.stringValue ?? ""
                let columnType = definition["type"]?.stringValue ?? "string"
                let description = definition["description"]?.stringValue
                var priority = 0
                if case .number(let number)? = definition["priority"] { priority = Int(number) }
                return Column(
                    name: definition["name"]?.stringValue ?? "", type: columnType,
                    format: definition["format"]?.stringValue ?? "",
                    description: description ?? "Custom resource definition column (in JSONPath format): \(path)",
                    priority: priority
                ) { object in
                    guard let value = SimpleJSONPath.first(path, in: object), value != .null else { return .null }
                    return cell(value, columnType: columnType)
                }
            }
    }

    /// `cellForJSONValue` of the CRD table convertor: values of the wrong type are null.
    private func cell(_ value: JSONValue, columnType: String) -> JSONValue {
        switch (columnType, value) {
        case ("string", .string): return value
        case ("string", .number(let number)):
            return .string(number == number.rounded() ? String(Int64(number)) : String(number))
        case ("string", .bool(let flag)): return .string(String(flag))
        case ("string", _):
            return (try? value.serialized()).map { .string(String(decoding: $0, as: UTF8.self)) } ?? .null
        case ("integer", .number(let number)): return .number(number.rounded(.towardZero))
        case ("number", .number): return value
        case ("boolean", .bool): return value
        case ("date", .string(let text)):
            return Timestamp.parse(text) == nil ? .string("<invalid>") : .string(since(value))
        default: return .null
        }
    }

    /// `translateTimestampSince`: a human-readable age, `<unknown>` without a timestamp.
    private func since(_ value: JSONValue?) -> String {
        guard let text = value?.stringValue, let date = Timestamp.parse(text) else { return "<unknown>" }
        return Self.humanDuration(now.timeIntervalSince(date))
    }

    /// apimachinery `duration.HumanDuration`.
    static func humanDuration(_ interval: TimeInterval) -> String {
        let seconds = Int(interval)
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 120 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 { return seconds % 60 == 0 ? "\(minutes)m" : "\(minutes)m\(seconds % 60)s" }
        if minutes < 180 { return "\(minutes)m" }
        let hours = minutes / 60
        if hours < 8 { return minutes % 60 == 0 ? "\(hours)h" : "\(hours)h\(minutes % 60)m" }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 { return hours % 24 == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(hours % 24)h" }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        let days = hours / 24
        if hours < 24 * 365 * 8 { return days % 365 == 0 ? "\(days / 365)y" : "\(days / 365)y\(days % 365)d" }
        return "\(days / 365)y"
    }
}

/// The JSONPath subset printer columns use: `.field`, `[n]`, `[*]` and `[?(@.field=="value")]`.
enum SimpleJSONPath {
    static func first(_ path: String, in object: JSONValue) -> JSONValue? {
        var current: [JSONValue] = [object]
        var rest = Substring(path.trimmingSpaces)
        if rest.hasPrefix("{") && rest.hasSuffix("}") { rest = rest.dropFirst().dropLast() }
        while !rest.isEmpty {
            if rest.hasPrefix(".") {
                rest = rest.dropFirst()
                let name = rest.prefix { $0 != "." && $0 != "[" }
                rest = rest.dropFirst(name.count)
                current = current.compactMap { $0[String(name)] }
            } else if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else { return nil }
                let inner = rest[rest.index(after: rest.startIndex)..<close]
                rest = rest[rest.index(after: close)...]
                current = current.flatMap { select(String(inner), from: $0) }
            } else {
                return nil
            }
        }
        return current.first
    }

    private static func select(_ selector: String, from value: JSONValue) -> [JSONValue] {
        let elements = value.arrayValue ?? []
        if selector == "*" { return elements }
        if let index = Int(selector) { return elements.indices.contains(index) ? [elements[index]] : [] }
        // ?(@.field=="value") or ?(@.field=='value')
        guard selector.hasPrefix("?(@."), selector.hasSuffix(")") else { return [] }
        let condition = selector.dropFirst(4).dropLast()
        let pieces = condition.components(separatedBy: "==")
        guard pieces.count == 2 else { return [] }
        let field = pieces[0].trimmingSpaces
        let expected = pieces[1].trimmingSpaces.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        return elements.filter { element in
            var current: JSONValue? = element
            for component in field.split(separator: ".") { current = current?[String(component)] }
            return current?.stringValue == expected
        }
    }
}

extension APIRouter {
    /// The convertor for a GET whose `Accept` asks for a Table (nil otherwise).
    func tableConvertor(_ request: APIRequest, type: APIResourceType, query: [String: String]) -> TableConvertor? {
        guard let version = TableConvertor.requestedVersion(request.header("Accept")) else { return nil }
        let crd =
            type.isCustom
            ? store.peek(
                GroupResource(group: "apiextensions.k8s.io", resource: "customresourcedefinitions"), namespace: "",
                name: type.groupResource.description) : nil
        return TableConvertor(
            type: type, crd: crd, version: version, includeObject: query["includeObject"] ?? "Metadata", now: Date())
    }
}
