import CRDModels
import Foundation
import Yams

/// Files of this repository, found relative to this source file, parsed as YAML.
enum RepoFiles {
    /// `<repo>/` from `<repo>/Tests/CRDModelsTests/Support/RepoFiles.swift`.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func url(_ relativePath: String) -> URL { root.appendingPathComponent(relativePath) }

    /// The `.yaml` files of a repository directory, sorted, without `kustomization.yaml`.
    static func yamlFiles(in directory: String) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: url(directory), includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "yaml" && $0.lastPathComponent != "kustomization.yaml" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Every document of a YAML file, as Yams nodes (which keep each scalar's resolved tag).
    static func documents(_ file: URL) throws -> [Node] {
        let text = try String(contentsOf: file, encoding: .utf8)
        var sequence = try compose_all(yaml: text)
        var nodes: [Node] = []
        while let node = sequence.next() { nodes.append(node) }
        if let error = sequence.error { throw error }
        return nodes
    }
}

/// A YAML node as JSON, keeping YAML's typing: a quoted `"123456789012"` stays a string, `6h` is a string,
/// `4` an integer. (Decoding YAML straight into `JSONValue` would guess types from the text instead.)
func jsonValue(_ node: Node) throws -> JSONValue {
    switch node {
    case .scalar(let scalar):
        switch Tag.Name(rawValue: node.tag.rawValue) {
        case .null: return .null
        case .bool: return .bool(node.bool ?? false)
        case .int: return .number(Double(node.int ?? 0))
        case .float: return .number(node.float ?? 0)
        default: return .string(scalar.string)
        }
    case .mapping(let mapping):
        var object: [String: JSONValue] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw YAMLTreeError(message: "non-scalar mapping key \(key)") }
            object[name] = try jsonValue(value)
        }
        return .object(object)
    case .sequence(let sequence):
        return .array(try sequence.map(jsonValue))
    case .alias:
        throw YAMLTreeError(message: "aliases are not used in this repository's manifests")
    }
}

struct YAMLTreeError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
