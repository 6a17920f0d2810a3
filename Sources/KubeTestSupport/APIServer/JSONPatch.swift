import CRDModels

/// RFC 6902 JSON Patch (`application/json-patch+json`): add, remove, replace, move, copy, test.
/// A `test` on `/metadata/resourceVersion` is how clients make a patch conditional.
enum JSONPatch {
    static func apply(_ patch: JSONValue, to document: JSONValue) throws(APIError) -> JSONValue {
        guard let operations = patch.arrayValue else {
            throw APIError.badRequest(
                "error decoding patch: json: cannot unmarshal \(patch.objectValue != nil ? "object" : "value") into Go "
                    + "value of type []handlers.jsonPatchOp")
        }
        var result = document
        for operation in operations {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue else {
                throw APIError.badRequest("json patch operation needs \"op\" and \"path\": \(operation)")
            }
            let pointer = try parsePointer(path)
            switch op {
            case "add":
                result = try set(result, pointer, try value(operation), inserting: true)
            case "remove":
                result = try removing(result, pointer)
            case "replace":
                // Like the Go library kube-apiserver uses, replacing a missing object member adds it.
                result = try set(result, pointer, try value(operation), inserting: false)
            case "move", "copy":
                guard let from = operation["from"]?.stringValue else {
                    throw APIError.badRequest("json patch \(op) needs \"from\"")
                }
                let source = try parsePointer(from)
                let moved = try get(result, source)
                if op == "move" { result = try removing(result, source) }
                result = try set(result, pointer, moved, inserting: true)
            case "test":
                guard try get(result, pointer) == (try value(operation)) else {
                    throw rejected
                }
            default:
                throw rejected
            }
        }
        return result
    }

    private static func value(_ operation: JSONValue) throws(APIError) -> JSONValue {
        guard let value = operation["value"] else { throw APIError.badRequest("json patch operation needs \"value\"") }
        return value
    }

    private static func parsePointer(_ path: String) throws(APIError) -> [String] {
        if path.isEmpty { return [] }
        guard path.hasPrefix("/") else { throw APIError.badRequest("invalid JSON pointer \(path)") }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    /// Every failure to apply a patch: kube-apiserver does not say which operation failed.
    static let rejected = APIError(
        code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request",
        details: .object([:]))

    private static func missing(_ pointer: [String]) -> APIError { rejected }

    private static func get(_ document: JSONValue, _ pointer: [String]) throws(APIError) -> JSONValue {
        var current = document
        for token in pointer {
            switch current {
            case .object(let object):
                guard let next = object[token] else { throw missing(pointer) }
                current = next
            case .array(let array):
                guard let index = Int(token), array.indices.contains(index) else { throw missing(pointer) }
                current = array[index]
            default:
                throw missing(pointer)
            }
        }
        return current
    }

    private static func set(
        _ document: JSONValue, _ pointer: [String], _ value: JSONValue, inserting: Bool
    ) throws(APIError) -> JSONValue {
        guard let token = pointer.first else { return value }
        let rest = Array(pointer.dropFirst())
        switch document {
        case .object(var object):
            if rest.isEmpty {
                object[token] = value
            } else {
                guard let child = object[token] else { throw missing(pointer) }
                object[token] = try set(child, rest, value, inserting: inserting)
            }
            return .object(object)
        case .array(var array):
            if rest.isEmpty {
                if token == "-" && inserting { array.append(value); return .array(array) }
                guard let index = Int(token), index >= 0, index <= array.count, inserting || index < array.count else {
                    throw missing(pointer)
                }
                if inserting { array.insert(value, at: index) } else { array[index] = value }
            } else {
                guard let index = Int(token), array.indices.contains(index) else { throw missing(pointer) }
                array[index] = try set(array[index], rest, value, inserting: inserting)
            }
            return .array(array)
        default:
            throw missing(pointer)
        }
    }

    private static func removing(_ document: JSONValue, _ pointer: [String]) throws(APIError) -> JSONValue {
        guard let token = pointer.first else { throw APIError.badRequest("cannot remove the whole document") }
        let rest = Array(pointer.dropFirst())
        switch document {
        case .object(var object):
            guard let child = object[token] else { throw missing(pointer) }
            object[token] = rest.isEmpty ? nil : try removing(child, rest)
            return .object(object)
        case .array(var array):
            guard let index = Int(token), array.indices.contains(index) else { throw missing(pointer) }
            if rest.isEmpty { array.remove(at: index) } else { array[index] = try removing(array[index], rest) }
            return .array(array)
        default:
            throw missing(pointer)
        }
    }
}
