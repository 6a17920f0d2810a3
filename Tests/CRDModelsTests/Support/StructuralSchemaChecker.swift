import CRDModels
import Foundation

/// Checks a JSON value against a Kubernetes structural OpenAPI v3 schema, the parts this project's CRDs use:
/// `type`, `properties` (unknown fields are errors, as `kubectl apply`'s strict field validation reports
/// them), `required`, `additionalProperties`, `items`, `enum`, `pattern`, `minLength`/`maxLength`, `maxItems`,
/// `minimum`/`maximum`, `format: date-time` and `format: int64`.
struct StructuralSchemaChecker {
    var schema: JSONValue

    /// Every violation, as `path: problem`.
    func violations(of value: JSONValue) -> [String] {
        var problems: [String] = []
        check(value, against: schema, path: "", into: &problems)
        return problems
    }

    private func check(_ value: JSONValue, against schema: JSONValue, path: String, into problems: inout [String]) {
        let here = path.isEmpty ? "<root>" : path
        if let expected = schema["type"]?.stringValue, !has(value, type: expected) {
            problems.append("\(here): expected \(expected), got \(value)")
            return
        }
        if let options = schema["enum"]?.arrayValue, !options.contains(value) {
            problems.append("\(here): \(value) is not one of \(options)")
        }
        switch value {
        case .string(let text):
            checkString(text, against: schema, path: here, into: &problems)
        case .number(let number):
            if case .number(let minimum)? = schema["minimum"], number < minimum {
                problems.append("\(here): \(number) is below minimum \(minimum)")
            }
            if case .number(let maximum)? = schema["maximum"], number > maximum {
                problems.append("\(here): \(number) is above maximum \(maximum)")
            }
        case .object(let object):
            for case .string(let name) in schema["required"]?.arrayValue ?? [] where object[name] == nil {
                problems.append("\(here): required field \(name) is missing")
            }
            let properties = schema["properties"]?.objectValue
            let additional = schema["additionalProperties"]
            for (key, child) in object.sorted(by: { $0.key < $1.key }) {
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                if let propertySchema = properties?[key] {
                    check(child, against: propertySchema, path: childPath, into: &problems)
                } else if let additional, additional.objectValue != nil {
                    check(child, against: additional, path: childPath, into: &problems)
                } else if path != "metadata" && (properties != nil || additional == .bool(false)) {
                    // (metadata is exempt: the API server validates ObjectMeta itself.)
                    problems.append("\(childPath): unknown field")
                }
            }
        case .array(let items):
            if case .number(let maximum)? = schema["maxItems"], Double(items.count) > maximum {
                problems.append("\(here): more than maxItems \(Int(maximum))")
            }
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() {
                    check(item, against: itemSchema, path: "\(here)[\(index)]", into: &problems)
                }
            }
        case .bool, .null:
            break
        }
    }

    private func checkString(_ text: String, against schema: JSONValue, path: String, into problems: inout [String]) {
        if case .number(let minimum)? = schema["minLength"], Double(text.count) < minimum {
            problems.append("\(path): shorter than minLength \(Int(minimum))")
        }
        if case .number(let maximum)? = schema["maxLength"], Double(text.count) > maximum {
            problems.append("\(path): longer than maxLength \(Int(maximum))")
        }
        if let pattern = schema["pattern"]?.stringValue {
            do {
                if try Regex(pattern).firstMatch(in: text) == nil {
                    problems.append("\(path): \"\(text)\" does not match \(pattern)")
                }
            } catch {
                problems.append("\(path): pattern \(pattern) does not compile: \(error)")
            }
        }
        if schema["format"]?.stringValue == "date-time", Timestamp.parse(text) == nil {
            problems.append("\(path): \"\(text)\" is not an RFC 3339 date-time")
        }
    }

    private func has(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("string", .string), ("boolean", .bool), ("object", .object), ("array", .array), ("number", .number):
            return true
        case ("integer", .number(let number)):
            return number.rounded() == number
        default:
            return false
        }
    }
}

/// Dotted field paths of a schema (`spec.awsAccess.region`, `spec.registries[].accountID`). A map field
/// (`additionalProperties`) is one path: its keys are data, not fields.
func schemaFieldPaths(_ schema: JSONValue, path: String = "") -> Set<String> {
    var paths: Set<String> = []
    if let properties = schema["properties"]?.objectValue {
        for (key, child) in properties {
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            paths.insert(childPath)
            paths.formUnion(schemaFieldPaths(child, path: childPath))
        }
    }
    if let items = schema["items"] {
        paths.formUnion(schemaFieldPaths(items, path: "\(path)[]"))
    }
    return paths
}

/// Dotted field paths present in an encoded model value; the schema tells which objects are maps.
func valueFieldPaths(_ value: JSONValue, schema: JSONValue?, path: String = "") -> Set<String> {
    var paths: Set<String> = []
    switch value {
    case .object(let object):
        if schema?["additionalProperties"] != nil && schema?["properties"] == nil { return [] }
        for (key, child) in object {
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            paths.insert(childPath)
            paths.formUnion(valueFieldPaths(child, schema: schema?["properties"]?[key], path: childPath))
        }
    case .array(let items):
        for item in items { paths.formUnion(valueFieldPaths(item, schema: schema?["items"], path: "\(path)[]")) }
    default:
        break
    }
    return paths
}

/// Paths of nil optionals inside a value (via reflection), to prove a fixture really is fully populated.
func nilOptionalPaths(_ value: Any, path: String = "") -> [String] {
    let mirror = Mirror(reflecting: value)
    if mirror.displayStyle == .optional {
        guard let wrapped = mirror.children.first?.value else { return [path] }
        return nilOptionalPaths(wrapped, path: path)
    }
    var result: [String] = []
    switch mirror.displayStyle {
    case .struct, .class:
        for child in mirror.children {
            let name = child.label.map { $0.hasPrefix("_") ? String($0.dropFirst()) : $0 } ?? "?"
            result += nilOptionalPaths(child.value, path: path.isEmpty ? name : "\(path).\(name)")
        }
    case .collection:
        for child in mirror.children { result += nilOptionalPaths(child.value, path: "\(path)[]") }
    default:
        break
    }
    return result
}
