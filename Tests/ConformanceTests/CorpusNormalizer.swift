import CRDModels
import Foundation

/// The step-level transforms of a corpus step (`unordered`, `sort`, `causesUnordered`, `select`, `replace`).
struct StepTransforms {
    var unordered = false
    var sort: [JSONValue] = []
    var causesUnordered = false
    var select: [JSONValue] = []
    var replace: JSONValue?

    init() {}

    init(step: JSONValue) {
        unordered = step["unordered"] == .bool(true)
        sort = step["sort"]?.arrayValue ?? []
        causesUnordered = step["causesUnordered"] == .bool(true)
        select = step["select"]?.arrayValue ?? []
        replace = step["replace"]
    }
}

/// Normalises the test server's answers as the corpus README specifies, so they compare equal to
/// the recorded (already normalised) answers: real values become placeholders, numbered from 1 per
/// kind in walk order; literals that the case's requests carry stay as they are.
///
/// A value type: a best-effort step normalises on a copy and throws it away, so placeholders first
/// seen there do not carry over.
struct CorpusNormalizer {
    /// Strings the case's requests contain as themselves (client-chosen constants).
    let literals: Set<String>
    private var byValue: [String: [String: Int]] = [:]
    private var counters: [String: Int] = [:]
    /// Placeholder text (`<rv:3>`) to the real value this server produced.
    private(set) var realValues: [String: String] = [:]
    /// Generated names seen so far: prefix and suffix.
    private var generatedNames: [(prefix: String, suffix: String)] = []
    /// Placeholders the current step's request used, with their real values (for `message` digit runs).
    var requestPlaceholders: [(placeholder: String, value: String)] = []

    init(literals: Set<String>) { self.literals = literals }

    // MARK: Requests

    /// Replaces placeholders (`<uid:2>`, `<rv:3>`, ...) in a request string by the real values, and
    /// records them as used by the current step.
    mutating func substitute(_ text: String) -> String {
        guard text.contains("<") else { return text }
        var result = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            result += rest[..<open]
            let token = String(rest[open...close])
            if let real = realValues[token] {
                result += real
                requestPlaceholders.append((token, real))
            } else {
                result += token
            }
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }

    /// `substitute` on every string of a JSON request body.
    mutating func substitute(json: JSONValue) -> JSONValue {
        switch json {
        case .string(let text): return .string(substitute(text))
        case .array(let items): return .array(items.map { substitute(json: $0) })
        case .object(let object):
            var result: [String: JSONValue] = [:]
            for key in object.keys.sorted() { result[key] = substitute(json: object[key]!) }
            return .object(result)
        default: return json
        }
    }

    // MARK: Bodies

    /// Normalises one body (response body, watch event object). `requestBody` is the step's request
    /// body (for generated names); `bookmark` marks the object of a BOOKMARK event.
    mutating func normalize(
        _ body: JSONValue, transforms: StepTransforms = .init(), requestBody: JSONValue? = nil, bookmark: Bool = false
    ) -> JSONValue {
        var body = Self.removingManagedFields(body)
        body = Self.apply(transforms, to: body)
        registerGeneratedNames(in: body, requestBody: requestBody)
        body = Self.maskTableAges(body)
        let kind = body["kind"]?.stringValue ?? ""
        let listVersion = bookmark || kind.hasSuffix("List") || kind == "Table" || kind == "Status"
        guard case .object(let object) = body else { return walk(body, key: nil) }
        var result: [String: JSONValue] = [:]
        for key in object.keys.sorted() {
            let value = object[key]!
            if key == "metadata", case .object(let metadata) = value {
                result[key] = .object(walkTopMetadata(metadata, listVersion: listVersion))
            } else {
                result[key] = walk(value, key: key)
            }
        }
        return .object(result)
    }

    /// Normalises a `Warning` header value (like a `message` string).
    mutating func normalizeWarning(_ warning: String) -> String {
        normalizeString(warning, message: true)
    }

    private mutating func walkTopMetadata(_ metadata: [String: JSONValue], listVersion: Bool) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for key in metadata.keys.sorted() {
            let value = metadata[key]!
            if key == "resourceVersion", listVersion, case .string(let text) = value, !text.isEmpty {
                result[key] = .string(fresh("listrv", text))
            } else if key == "continue", case .string(let text) = value, !text.isEmpty {
                result[key] = .string(fresh("continue", text))
            } else {
                result[key] = walk(value, key: key)
            }
        }
        return result
    }

    private mutating func walk(_ value: JSONValue, key: String?) -> JSONValue {
        switch value {
        case .object(let object):
            var result: [String: JSONValue] = [:]
            for childKey in object.keys.sorted() { result[childKey] = walk(object[childKey]!, key: childKey) }
            return .object(result)
        case .array(let items):
            return .array(items.map { walk($0, key: key) })
        case .string(let text):
            if key == "selfLink" { return .string("<selfLink>") }
            // Server-assigned, never echoed: a small test-server version equal to a request literal
            // ("1") is still a version.
            if key == "resourceVersion", !text.isEmpty { return .string(byValue("rv", text)) }
            return .string(normalizeString(text, message: key == "message"))
        default:
            return value
        }
    }

    // MARK: Strings

    private static let timePattern = try! NSRegularExpression(
        pattern: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.(\d+))?(Z|[+-]\d{2}:\d{2})$"#)
    private static let uuidPattern = try! NSRegularExpression(
        pattern: "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    private static let pointerPattern = try! NSRegularExpression(pattern: #"\(0x[0-9a-fA-F]+\)"#)
    private static let tooOldPattern = try! NSRegularExpression(
        pattern: #"(too old resource version: \d+ \()(\d+)(\))"#)
    private static let tooLargePattern = try! NSRegularExpression(
        pattern: #"(Too large resource version: \d+, current: )(\d+)"#)
    private static let digitRunPattern = try! NSRegularExpression(pattern: #"\d{2,}"#)
    static let generatedSuffixAlphabet = Set("bcdfghjklmnpqrstvwxz2456789")

    private mutating func normalizeString(_ text: String, message: Bool) -> String {
        if literals.contains(text) { return text }
        if let match = Self.timePattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) {
            let fraction = match.range(at: 2).location == NSNotFound ? 0 : match.range(at: 2).length
            return fraction == 0 ? "<time>" : fraction == 6 ? "<microtime>" : "<time.\(fraction)>"
        }
        var result = replaceGeneratedNames(in: text)
        result = replaceMatches(of: Self.uuidPattern, in: result) { normalizer, uuid in
            normalizer.literals.contains(uuid) ? uuid : normalizer.byValue("uid", uuid)
        }
        guard message else { return result }
        result = replaceMatches(of: Self.pointerPattern, in: result) { _, _ in "(<ptr>)" }
        for pattern in [Self.tooOldPattern, Self.tooLargePattern] {
            result = pattern.stringByReplacingMatches(
                in: result, range: NSRange(result.startIndex..., in: result),
                withTemplate: pattern === Self.tooOldPattern ? "$1<rv>$3" : "$1<rv>")
        }
        return replaceOutsidePlaceholders(in: result) { normalizer, segment in
            normalizer.replaceMatches(of: Self.digitRunPattern, in: segment) { normalizer, digits in
                if let used = normalizer.requestPlaceholders.first(where: { $0.value == digits }) {
                    return used.placeholder
                }
                if let index = normalizer.byValue["rv"]?[digits] { return "<rv:\(index)>" }
                return digits
            }
        }
    }

    /// Applies `transform` to the parts of `text` that are not placeholders (`<...>`).
    private mutating func replaceOutsidePlaceholders(
        in text: String, _ transform: (inout CorpusNormalizer, String) -> String
    ) -> String {
        var result = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            result += transform(&self, String(rest[..<open]))
            result += rest[open...close]
            rest = rest[rest.index(after: close)...]
        }
        return result + transform(&self, String(rest))
    }

    private mutating func replaceMatches(
        of pattern: NSRegularExpression, in text: String, _ replacement: (inout CorpusNormalizer, String) -> String
    ) -> String {
        let matches = pattern.matches(in: text, range: NSRange(text.startIndex..., in: text))
        guard !matches.isEmpty else { return text }
        var result = ""
        var last = text.startIndex
        for match in matches {
            guard let range = Range(match.range, in: text) else { continue }
            result += text[last..<range.lowerBound]
            result += replacement(&self, String(text[range]))
            last = range.upperBound
        }
        return result + text[last...]
    }

    // MARK: Placeholders

    private mutating func byValue(_ kind: String, _ value: String) -> String {
        if let index = byValue[kind]?[value] { return "<\(kind):\(index)>" }
        let index = (counters[kind] ?? 0) + 1
        counters[kind] = index
        byValue[kind, default: [:]][value] = index
        let placeholder = "<\(kind):\(index)>"
        realValues[placeholder] = value
        return placeholder
    }

    private mutating func fresh(_ kind: String, _ value: String) -> String {
        let index = (counters[kind] ?? 0) + 1
        counters[kind] = index
        let placeholder = "<\(kind):\(index)>"
        realValues[placeholder] = value
        return placeholder
    }

    // MARK: Generated names

    private mutating func registerGeneratedNames(in body: JSONValue, requestBody: JSONValue?) {
        if let prefix = requestBody?["metadata"]?["generateName"]?.stringValue, !prefix.isEmpty,
            requestBody?["metadata"]?["name"]?.stringValue == nil
        {
            for text in Self.strings(in: body) {
                var searchStart = text.startIndex
                while let range = text.range(of: prefix, range: searchStart..<text.endIndex) {
                    let suffix = text[range.upperBound...].prefix(5)
                    let after = text.index(range.upperBound, offsetBy: suffix.count)
                    let endsThere = after == text.endIndex || !Self.generatedSuffixAlphabet.contains(text[after])
                    if suffix.count == 5, suffix.allSatisfy(Self.generatedSuffixAlphabet.contains), endsThere {
                        registerGeneratedName(prefix: prefix, suffix: String(suffix))
                    }
                    searchStart = range.upperBound
                }
            }
        }
        for object in Self.objects(in: body) {
            guard let prefix = object["metadata"]?["generateName"]?.stringValue, !prefix.isEmpty,
                let name = object["metadata"]?["name"]?.stringValue, name.hasPrefix(prefix), name != prefix
            else { continue }
            registerGeneratedName(prefix: prefix, suffix: String(name.dropFirst(prefix.count)))
        }
    }

    private mutating func registerGeneratedName(prefix: String, suffix: String) {
        guard !generatedNames.contains(where: { $0.prefix == prefix && $0.suffix == suffix }) else { return }
        _ = byValue("suffix", suffix)
        generatedNames.append((prefix, suffix))
        generatedNames.sort { $0.prefix.count + $0.suffix.count > $1.prefix.count + $1.suffix.count }
    }

    private func replaceGeneratedNames(in text: String) -> String {
        var result = text
        for (prefix, suffix) in generatedNames where result.contains(prefix + suffix) {
            guard let index = byValue["suffix"]?[suffix] else { continue }
            result = result.replacingOccurrences(of: prefix + suffix, with: prefix + "<suffix:\(index)>")
        }
        return result
    }

    private static func strings(in value: JSONValue) -> [String] {
        switch value {
        case .string(let text): [text]
        case .array(let items): items.flatMap(strings(in:))
        case .object(let object): object.keys.sorted().flatMap { strings(in: object[$0]!) }
        default: []
        }
    }

    private static func objects(in value: JSONValue) -> [JSONValue] {
        switch value {
        case .array(let items): return items.flatMap(objects(in:))
        case .object(let object): return [value] + object.keys.sorted().flatMap { objects(in: object[$0]!) }
        default: return []
        }
    }

    // MARK: Transforms (before the walk)

    static func removingManagedFields(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let items): return .array(items.map(removingManagedFields))
        case .object(var object):
            object["managedFields"] = nil
            return .object(object.mapValues(removingManagedFields))
        default: return value
        }
    }

    static func apply(_ transforms: StepTransforms, to body: JSONValue) -> JSONValue {
        var body = body
        if transforms.unordered, let items = body["items"]?.arrayValue {
            body["items"] = .array(
                items.sorted { namespaceAndName($0).lexicographicallyPrecedes(namespaceAndName($1)) })
        }
        for rule in transforms.sort {
            guard let path = rule["path"]?.stringValue, let key = rule["key"]?.stringValue else { continue }
            body = body.updating(path: path) { value in
                guard let items = value.arrayValue else { return value }
                return .array(items.sorted { ($0[key]?.stringValue ?? "") < ($1[key]?.stringValue ?? "") })
            }
        }
        if transforms.causesUnordered { body = sortingCauses(body) }
        for rule in transforms.select {
            guard let path = rule["path"]?.stringValue else { continue }
            if let key = rule["key"]?.stringValue, let keep = rule["keep"]?.arrayValue {
                body = body.updating(path: path) { value in
                    guard let items = value.arrayValue else { return value }
                    return .array(items.filter { item in keep.contains { $0 == item[key] } })
                }
            } else if let keepKeys = rule["keepKeys"]?.arrayValue?.compactMap(\.stringValue) {
                body = body.updating(path: path) { value in
                    guard let object = value.objectValue else { return value }
                    return .object(object.filter { keepKeys.contains($0.key) })
                }
            }
        }
        if let replace = transforms.replace {
            for (field, replacement) in replace["fields"]?.objectValue ?? [:] {
                body = replacingFields(body, named: field, with: replacement)
            }
            for rule in replace["regex"]?.arrayValue ?? [] {
                guard let pair = rule.arrayValue, pair.count == 2, let pattern = pair[0].stringValue,
                    let template = pair[1].stringValue, let regex = try? NSRegularExpression(pattern: pattern)
                else { continue }
                body = mappingStrings(body) { text in
                    regex.stringByReplacingMatches(
                        in: text, range: NSRange(text.startIndex..., in: text),
                        withTemplate: NSRegularExpression.escapedTemplate(for: template))
                }
            }
        }
        return body
    }

    static func namespaceAndName(_ item: JSONValue) -> [String] {
        [item["metadata"]?["namespace"]?.stringValue ?? "", item["metadata"]?["name"]?.stringValue ?? ""]
    }

    /// `causesUnordered`: sorts `details.causes` by field, then message, and rewrites the trailing
    /// `[...]` list of `message` from them.
    static func sortingCauses(_ body: JSONValue) -> JSONValue {
        guard let causes = body["details"]?["causes"]?.arrayValue else { return body }
        let sorted = causes.sorted {
            ($0["field"]?.stringValue ?? "", $0["message"]?.stringValue ?? "")
                < ($1["field"]?.stringValue ?? "", $1["message"]?.stringValue ?? "")
        }
        var body = body
        body["details"]?["causes"] = .array(sorted)
        if let message = body["message"]?.stringValue, message.hasSuffix("]"),
            let open = message.range(of: ": [")
        {
            let list = sorted.map { "\($0["field"]?.stringValue ?? ""): \($0["message"]?.stringValue ?? "")" }
            body["message"] = .string(String(message[..<open.upperBound]) + list.joined(separator: ", ") + "]")
        }
        return body
    }

    static func replacingFields(_ value: JSONValue, named field: String, with replacement: JSONValue) -> JSONValue {
        switch value {
        case .array(let items): return .array(items.map { replacingFields($0, named: field, with: replacement) })
        case .object(let object):
            var result: [String: JSONValue] = [:]
            for (key, child) in object {
                result[key] = key == field ? replacement : replacingFields(child, named: field, with: replacement)
            }
            return .object(result)
        default: return value
        }
    }

    static func mappingStrings(_ value: JSONValue, _ transform: (String) -> String) -> JSONValue {
        switch value {
        case .string(let text): return .string(transform(text))
        case .array(let items): return .array(items.map { mappingStrings($0, transform) })
        case .object(let object): return .object(object.mapValues { mappingStrings($0, transform) })
        default: return value
        }
    }

    /// Tables: cells of date-typed columns and of `Age`, `Last Seen`, `First Seen` become `<age>`.
    static func maskTableAges(_ body: JSONValue) -> JSONValue {
        guard body["kind"]?.stringValue == "Table", let columns = body["columnDefinitions"]?.arrayValue,
            let rows = body["rows"]?.arrayValue
        else { return body }
        let ageColumns = Set(
            columns.indices.filter { index in
                columns[index]["type"]?.stringValue == "date"
                    || ["Age", "Last Seen", "First Seen"].contains(columns[index]["name"]?.stringValue ?? "")
            })
        var body = body
        body["rows"] = .array(
            rows.map { row in
                guard let cells = row["cells"]?.arrayValue else { return row }
                var row = row
                row["cells"] = .array(cells.indices.map { ageColumns.contains($0) ? .string("<age>") : cells[$0] })
                return row
            })
        return body
    }
}

extension JSONValue {
    /// A copy with the value at a dotted path (object keys only) transformed; unchanged if absent.
    func updating(path: String, _ transform: (JSONValue) -> JSONValue) -> JSONValue {
        updating(keys: path.split(separator: ".").map(String.init)[...], transform)
    }

    private func updating(keys: ArraySlice<String>, _ transform: (JSONValue) -> JSONValue) -> JSONValue {
        guard let key = keys.first else { return transform(self) }
        guard case .object(var object) = self, let child = object[key] else { return self }
        object[key] = child.updating(keys: keys.dropFirst(), transform)
        return .object(object)
    }
}
