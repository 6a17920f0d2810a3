import CRDModels
import Foundation

/// A custom resource version's `openAPIV3Schema`, applied as kube-apiserver does: unknown fields are
/// pruned (each reported as a warning, fieldValidation=Warn), then the structural schema is
/// validated (type, required, pattern, minLength, enum, minimum, date-time).
struct CRDSchema: Sendable, Hashable {
    let root: JSONValue

    /// Removes fields the schema does not declare; returns the paths it removed.
    func prune(_ object: inout JSONValue) -> [String] {
        guard case .object(var fields) = object, let properties = root["properties"]?.objectValue else { return [] }
        var removed: [String] = []
        for key in fields.keys.sorted() where !["apiVersion", "kind", "metadata"].contains(key) {
            guard let schema = properties[key] else {
                fields[key] = nil
                removed.append(key)
                continue
            }
            removed += Self.prune(&fields[key]!, schema: schema, path: key)
        }
        object = .object(fields)
        return removed
    }

    private static func prune(_ value: inout JSONValue, schema: JSONValue, path: String) -> [String] {
        if schema["x-kubernetes-preserve-unknown-fields"] == .bool(true) { return [] }
        switch value {
        case .object(var fields):
            guard let properties = schema["properties"]?.objectValue else { return [] }
            var removed: [String] = []
            for key in fields.keys.sorted() {
                guard let child = properties[key] else {
                    fields[key] = nil
                    removed.append("\(path).\(key)")
                    continue
                }
                removed += prune(&fields[key]!, schema: child, path: "\(path).\(key)")
            }
            value = .object(fields)
            return removed
        case .array(var items):
            guard let itemSchema = schema["items"] else { return [] }
            var removed: [String] = []
            for index in items.indices {
                removed += prune(&items[index], schema: itemSchema, path: "\(path)[\(index)]")
            }
            value = .array(items)
            return removed
        default:
            return []
        }
    }

    /// Schema violations of everything but metadata.
    func validate(_ object: JSONValue) -> [FieldError] {
        guard let properties = root["properties"]?.objectValue else { return [] }
        var errors: [FieldError] = []
        for key in root["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[key] == nil {
            errors.append(.required(key, ""))
        }
        for key in (object.objectValue ?? [:]).keys.sorted() where !["apiVersion", "kind", "metadata"].contains(key) {
            guard let schema = properties[key], let value = object[key] else { continue }
            errors += Self.validate(value, schema: schema, path: key)
        }
        // The schema may narrow metadata.name (and generateName) further than ObjectMeta validation does.
        for key in ["name", "generateName"] {
            guard let text = object["metadata"]?[key]?.stringValue,
                let limit = root["properties"]?["metadata"]?["properties"]?[key]?["maxLength"]?.testNumber,
                text.count > Int(limit)
            else { continue }
            errors.append(
                FieldError(
                    type: "FieldValueTooLong", field: "metadata.\(key)", body: "Too long: may not be longer than \(Int(limit))"))
        }
        return errors
    }

    private static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .number(let number): number.rounded() == number ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// A schema violation; type and format mismatches are `FieldValueTypeInvalid`, as kube-openapi reports them.
    private static func invalid(
        _ path: String, _ shown: String, _ detail: String, reason: String = "FieldValueInvalid"
    ) -> FieldError {
        FieldError(type: reason, field: path, body: "Invalid value: \(shown): \(path) in body \(detail)")
    }

    private static func validate(_ value: JSONValue, schema: JSONValue, path: String) -> [FieldError] {
        if value == .null, schema["nullable"] == .bool(true) { return [] }
        if let expected = schema["type"]?.stringValue {
            let actual = typeName(value)
            let matches = actual == expected || (expected == "number" && actual == "integer")
            if !matches {
                return [
                    invalid(
                        path, "\"\(actual)\"", "must be of type \(expected): \"\(actual)\"", reason: "FieldValueTypeInvalid")
                ]
            }
        }
        var errors: [FieldError] = []
        switch value {
        case .object(let fields):
            for key in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where fields[key] == nil {
                errors.append(FieldError(type: "FieldValueRequired", field: "\(path).\(key)", body: "Required value"))
            }
            let properties = schema["properties"]?.objectValue ?? [:]
            for key in fields.keys.sorted() {
                guard let child = properties[key] else { continue }
                errors += validate(fields[key]!, schema: child, path: "\(path).\(key)")
            }
        case .array(let items):
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() {
                    errors += validate(item, schema: itemSchema, path: "\(path)[\(index)]")
                }
            }
        case .string(let text):
            if let allowed = schema["enum"]?.arrayValue, !allowed.contains(value) {
                let list = allowed.compactMap(\.stringValue).map { "\"\($0)\"" }.joined(separator: ", ")
                errors.append(
                    FieldError(
                        type: "FieldValueNotSupported", field: path,
                        body: "Unsupported value: \"\(text)\": supported values: \(list)"))
            }
            if let minimum = schema["minLength"]?.testNumber, Double(text.count) < minimum {
                // Too short ends the string checks (no pattern error for the same value).
                return errors + [invalid(path, "\"\(text)\"", "should be at least \(Int(minimum)) chars long")]
            }
            if let pattern = schema["pattern"]?.stringValue, let regex = try? NSRegularExpression(pattern: pattern),
                regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil
            {
                errors.append(invalid(path, "\"\(text)\"", "should match '\(pattern)'"))
            }
            if schema["format"]?.stringValue == "date-time", Timestamp.parse(text) == nil {
                errors.append(
                    invalid(path, "\"\(text)\"", "must be of type date-time: \"\(text)\"", reason: "FieldValueTypeInvalid"))
            }
        case .number(let number):
            if let minimum = schema["minimum"]?.testNumber, number < minimum {
                let shown = number.rounded() == number ? String(Int(number)) : String(number)
                let bound = minimum.rounded() == minimum ? String(Int(minimum)) : String(minimum)
                errors.append(invalid(path, shown, "should be greater than or equal to \(bound)"))
            }
        default:
            break
        }
        return errors
    }
}

extension JSONValue {
    var testNumber: Double? { if case .number(let value) = self { value } else { nil } }
}
