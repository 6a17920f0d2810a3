import CRDModels
import Foundation

/// A readable difference between two JSON values: one line per differing path.
enum JSONDiff {
    static func lines(expected: JSONValue?, actual: JSONValue?, path: String = "") -> [String] {
        let here = path.isEmpty ? "." : path
        switch (expected, actual) {
        case (nil, nil): return []
        case (nil, let actual?): return ["\(here): unexpected \(render(actual))"]
        case (let expected?, nil): return ["\(here): missing, expected \(render(expected))"]
        case (.object(let left)?, .object(let right)?):
            return Set(left.keys).union(right.keys).sorted().flatMap { key in
                lines(expected: left[key], actual: right[key], path: path + "." + key)
            }
        case (.array(let left)?, .array(let right)?) where left.count == right.count:
            return left.indices.flatMap { lines(expected: left[$0], actual: right[$0], path: "\(path)[\($0)]") }
        case (let expected?, let actual?):
            if expected == actual { return [] }
            if case .array(let left) = expected, case .array(let right) = actual {
                let common = min(left.count, right.count)
                return ["\(here): \(left.count) elements expected, \(right.count) received"]
                    + (0..<common).flatMap { lines(expected: left[$0], actual: right[$0], path: "\(path)[\($0)]") }
                    + (common..<max(left.count, right.count)).map { index in
                        index < left.count
                            ? "\(path)[\(index)]: missing, expected \(render(left[index]))"
                            : "\(path)[\(index)]: unexpected \(render(right[index]))"
                    }
            }
            return ["\(here): expected \(render(expected)), got \(render(actual))"]
        }
    }

    static func render(_ value: JSONValue, limit: Int = 400) -> String {
        let text = (try? value.serialized()).map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
        return text.count > limit ? String(text.prefix(limit)) + "…" : text
    }
}
