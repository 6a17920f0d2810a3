import CRDModels
import Foundation

/// One recorded scenario of `test/kube-api-corpus/cases` (format: the corpus README).
struct CorpusCase: Sendable {
    let name: String
    let json: JSONValue

    var steps: [JSONValue] { json["steps"]?.arrayValue ?? [] }

    /// The repository's `test/kube-api-corpus/cases` directory.
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("test/kube-api-corpus/cases")

    /// Every case file name, in file-name order.
    static let fileNames: [String] =
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        .filter { $0.hasSuffix(".json") }.sorted()

    static func load(_ fileName: String) throws -> CorpusCase {
        let json = try JSONValue.parse(Data(contentsOf: directory.appendingPathComponent(fileName)))
        return CorpusCase(name: json["name"]?.stringValue ?? fileName, json: json)
    }

    /// Strings the case's requests carry as themselves: client-chosen constants that normalisation
    /// never replaces (README "Literals").
    var literals: Set<String> {
        var result: Set<String> = []
        func collect(_ value: JSONValue) {
            switch value {
            case .string(let text) where !text.contains("<"): result.insert(text)
            case .array(let items): items.forEach(collect)
            case .object(let object): object.values.forEach(collect)
            default: break
            }
        }
        func visit(_ steps: [JSONValue]) {
            for step in steps {
                if let request = step["request"] {
                    collect(request["body"] ?? .null)
                    collect(request["query"] ?? .null)
                    for segment in (request["path"]?.stringValue ?? "").split(separator: "/") {
                        collect(.string(String(segment)))
                    }
                }
                visit(step["concurrentSteps"]?.arrayValue ?? [])
            }
        }
        visit(steps)
        return result
    }
}

extension JSONValue {
    /// The value at a README path: dotted keys with `[n]` indexes and `[key=value]` selectors, e.g.
    /// `status.conditions[type=NamespaceContentRemaining].message`.
    func value(atPath path: String) -> JSONValue? {
        var current: JSONValue? = self
        for component in path.split(separator: ".") {
            var name = Substring(component)
            var selectors: [Substring] = []
            if let open = name.firstIndex(of: "[") {
                selectors = name[open...].split(separator: "[").map { $0.dropLast() }
                name = name[..<open]
            }
            if !name.isEmpty { current = current?[String(name)] }
            for selector in selectors {
                guard let items = current?.arrayValue else { return nil }
                if let equals = selector.firstIndex(of: "=") {
                    let key = String(selector[..<equals])
                    let wanted = String(selector[selector.index(after: equals)...])
                    current = items.first { $0[key]?.stringValue == wanted }
                } else if let index = Int(selector), items.indices.contains(index) {
                    current = items[index]
                } else {
                    return nil
                }
            }
        }
        return current
    }
}
