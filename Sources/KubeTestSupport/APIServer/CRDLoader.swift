import CRDModels
import Foundation
import Yams

/// Reads CustomResourceDefinition manifests (multi-document YAML) from a directory such as `config/crd`.
enum CRDLoader {
    struct LoadError: Error, CustomStringConvertible {
        var path: String
        var message: String
        var description: String { "\(path): \(message)" }
    }

    static func crdDocuments(inDirectory directory: String) throws -> [JSONValue] {
        try documents(inDirectory: directory).filter { $0["kind"]?.stringValue == "CustomResourceDefinition" }
    }

    /// Every YAML document of the directory's `.yaml`/`.yml` files, in file-name order.
    static func documents(inDirectory directory: String) throws -> [JSONValue] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
            .sorted()
        var documents: [JSONValue] = []
        for file in files {
            let path = (directory as NSString).appendingPathComponent(file)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            do {
                for document in try Yams.load_all(yaml: text) {
                    let value = try jsonValue(document, path: path)
                    if value != .null { documents.append(value) }
                }
            } catch let error as LoadError {
                throw error
            } catch {
                throw LoadError(path: path, message: "invalid YAML: \(error)")
            }
        }
        return documents
    }

    /// Converts what Yams parsed into JSON; quoted scalars stay strings.
    static func jsonValue(_ any: Any?, path: String) throws -> JSONValue {
        switch any {
        case nil, is NSNull: return .null
        case let value as Bool: return .bool(value)
        case let value as Int: return .number(Double(value))
        case let value as Double: return .number(value)
        case let value as String: return .string(value)
        case let value as Date: return .string(Timestamp.format(value))
        case let value as [Any?]: return .array(try value.map { try jsonValue($0, path: path) })
        case let value as [String: Any?]:
            return .object(try value.mapValues { try jsonValue($0, path: path) })
        case let value as [AnyHashable: Any?]:
            var object: [String: JSONValue] = [:]
            for (key, element) in value { object["\(key)"] = try jsonValue(element, path: path) }
            return .object(object)
        default:
            throw LoadError(path: path, message: "unsupported YAML value \(String(describing: any))")
        }
    }
}
