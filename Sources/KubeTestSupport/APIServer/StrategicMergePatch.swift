import CRDModels

/// `application/strategic-merge-patch+json` on built-in kinds, as k8s.io/apimachinery's
/// `strategicpatch.StrategicMergePatch` applies it: maps merge like a JSON merge patch; a list
/// merges only where the Go type's `patchStrategy:"merge"` tag says so (by its `patchMergeKey`, or
/// as a set of primitives), every other list is replaced. Directives: `$patch` (replace/delete in
/// maps and merging lists), `$retainKeys`, `$deleteFromPrimitiveList/<field>` and
/// `$setElementOrder/<field>`. A directive inside a list that does not merge is left in place, so
/// the decoder drops it as an unknown field (ServiceAccount.imagePullSecrets in the corpus).
enum StrategicMergePatch {
    /// How one list field is patched: the k8s.io/api struct tags of the kinds the test server serves.
    enum ListStrategy: Equatable {
        case replace
        case mergePrimitives
        case merge(key: String)
    }

    /// `patchStrategy:"merge"` lists, by resource and field path (array elements add no component).
    static func strategy(for resource: GroupResource, path: [String]) -> ListStrategy {
        switch (resource.group, resource.resource, path) {
        case (_, _, ["metadata", "finalizers"]): .mergePrimitives
        case (_, _, ["metadata", "ownerReferences"]): .merge(key: "uid")
        case ("", "serviceaccounts", ["secrets"]): .merge(key: "name")
        case ("", "namespaces", ["status", "conditions"]): .merge(key: "type")
        default: .replace
        }
    }

    static let directive = "$patch"
    static let retainKeys = "$retainKeys"
    static let deleteFromPrimitiveList = "$deleteFromPrimitiveList/"
    static let setElementOrder = "$setElementOrder/"

    static func apply(
        _ patch: JSONValue, to document: JSONValue, resource: GroupResource
    ) throws(APIError) -> JSONValue {
        guard case .object(let patchObject) = patch, case .object(let original) = document else {
            throw APIError.badRequest("invalid JSON document")  // mergepatch.ErrBadJSONDoc
        }
        return .object(try mergeMap(original, patchObject, path: [], resource: resource))
    }

    // MARK: Maps

    private static func mergeMap(
        _ original: [String: JSONValue], _ patch: [String: JSONValue], path: [String], resource: GroupResource
    ) throws(APIError) -> [String: JSONValue] {
        var patch = patch
        if let kind = patch[directive] {
            patch[directive] = nil
            switch kind.stringValue {
            case "replace": return patch
            case "delete": return [:]
            default: throw badPatchType(kind, in: patch.merging([directive: kind]) { $1 })
            }
        }
        var original = original
        if let retained = patch.removeValue(forKey: retainKeys) {
            guard let keys = retained.arrayValue?.compactMap(\.stringValue) else {
                throw APIError.badRequest("invalid patch: $retainKeys must be a list of strings")
            }
            original = original.filter { keys.contains($0.key) }
        }
        for key in patch.keys.sorted() where key.hasPrefix(setElementOrder) {
            let field = String(key.dropFirst(setElementOrder.count))
            guard let order = patch.removeValue(forKey: key)?.arrayValue else {
                throw APIError.badRequest("invalid patch: \(key) must be a list")
            }
            let server = original[field]?.arrayValue ?? []
            let strategy = strategy(for: resource, path: path + [field])
            var merged = server
            if let patchList = patch.removeValue(forKey: field) {
                if patchList == .null {
                    original[field] = nil
                    continue
                }
                merged = try mergeList(
                    server, patchList.arrayValue ?? [], strategy, path: path + [field], resource: resource)
            }
            original[field] = .array(ordered(merged, by: order, server: server, strategy: strategy))
        }
        for (key, value) in patch.sorted(by: { $0.key < $1.key }) {
            if key.hasPrefix(deleteFromPrimitiveList) {
                let field = String(key.dropFirst(deleteFromPrimitiveList.count))
                let removed = value.arrayValue ?? []
                let kept = (original[field]?.arrayValue ?? []).filter { !removed.contains($0) }
                original[field] = kept.isEmpty ? nil : .array(kept)
                continue
            }
            if value == .null {
                original[key] = nil
                continue
            }
            switch (original[key], value) {
            case (.object(let current)?, .object(let patchMap)):
                let merged = try mergeMap(current, patchMap, path: path + [key], resource: resource)
                original[key] = .object(merged)
            case (.array(let current)?, .array(let patchList)):
                let strategy = strategy(for: resource, path: path + [key])
                original[key] = .array(
                    try mergeList(current, patchList, strategy, path: path + [key], resource: resource))
            default:
                // Absent, or of another type: the patch value, without nulls (IgnoreUnmatchedNulls).
                original[key] = withoutNulls(value)
            }
        }
        return original
    }

    // MARK: Lists

    private static func mergeList(
        _ original: [JSONValue], _ patch: [JSONValue], _ strategy: ListStrategy, path: [String], resource: GroupResource
    ) throws(APIError) -> [JSONValue] {
        switch strategy {
        case .replace:
            return patch
        case .mergePrimitives:
            var merged: [JSONValue] = []
            for item in original + patch where !merged.contains(item) { merged.append(item) }
            return partition(merged) { patch.contains($0) }
        case .merge(let mergeKey):
            var original = original
            var plain: [JSONValue] = []
            var replace = false
            for element in patch {
                guard let kind = element[directive] else {
                    plain.append(element)
                    continue
                }
                switch kind.stringValue {
                case "delete":
                    guard let value = element[mergeKey] else {
                        throw APIError.badRequest(
                            "map: \(goMap(element)) does not contain declared merge key: \(mergeKey)")
                    }
                    original.removeAll { $0[mergeKey] == value }
                case "replace":
                    replace = true
                case "merge":
                    throw APIError.badRequest("merging lists cannot yet be specified in the patch")
                default:
                    throw badPatchType(kind, in: element.objectValue ?? [:])
                }
            }
            if replace { return plain }
            for element in plain {
                guard let value = element[mergeKey] else {
                    throw APIError.badRequest("map: \(goMap(element)) does not contain declared merge key: \(mergeKey)")
                }
                if let index = original.firstIndex(where: { $0[mergeKey] == value }),
                    case .object(let current) = original[index], case .object(let patchMap) = element
                {
                    original[index] = .object(try mergeMap(current, patchMap, path: path, resource: resource))
                } else {
                    original.append(withoutNulls(element))
                }
            }
            let patchKeys = plain.compactMap { $0[mergeKey] }
            return partition(original) { element in element[mergeKey].map { patchKeys.contains($0) } ?? false }
        }
    }

    /// The elements the patch names first, then the ones only the server had, each in merged order
    /// (`partitionPrimitivesByPresentInList` / `partitionMapsByPresentInList`).
    private static func partition(_ merged: [JSONValue], inPatch: (JSONValue) -> Bool) -> [JSONValue] {
        merged.filter(inPatch) + merged.filter { !inPatch($0) }
    }

    /// `normalizeElementOrder`: the elements `$setElementOrder` lists in that order, the server-only
    /// ones interleaved where the server's order puts them (`mergeSortedSlice`).
    private static func ordered(
        _ merged: [JSONValue], by order: [JSONValue], server: [JSONValue], strategy: ListStrategy
    ) -> [JSONValue] {
        func identity(_ element: JSONValue) -> JSONValue {
            if case .merge(let key) = strategy { return element[key] ?? .null }
            return element
        }
        let orderKeys = order.map(identity)
        let serverKeys = server.map(identity)
        let left = merged.filter { orderKeys.contains(identity($0)) }
            .sorted { orderKeys.firstIndex(of: identity($0))! < orderKeys.firstIndex(of: identity($1))! }
        func serverIndex(_ element: JSONValue) -> Int { serverKeys.firstIndex(of: identity(element)) ?? Int.max }
        let right = merged.filter { !orderKeys.contains(identity($0)) }.sorted { serverIndex($0) < serverIndex($1) }
        var result: [JSONValue] = []
        var (i, j) = (0, 0)
        while i < left.count || j < right.count {
            if i < left.count, j < right.count,
                let li = serverKeys.firstIndex(of: identity(left[i])),
                let ri = serverKeys.firstIndex(of: identity(right[j])), ri < li
            {
                result.append(right[j])
                j += 1
            } else if i < left.count {
                result.append(left[i])
                i += 1
            } else {
                result.append(right[j])
                j += 1
            }
        }
        return result
    }

    // MARK: Helpers

    private static func withoutNulls(_ value: JSONValue) -> JSONValue {
        guard case .object(let object) = value else { return value }
        return .object(object.filter { $0.value != .null }.mapValues(withoutNulls))
    }

    /// `mergepatch.ErrBadPatchType`: `unknown patch type: T in map: map[...]`.
    private static func badPatchType(_ kind: JSONValue, in map: [String: JSONValue]) -> APIError {
        APIError.badRequest("unknown patch type: \(kind.stringValue ?? "\(kind)") in map: \(goMap(.object(map)))")
    }

    /// Go's `%v` of a decoded JSON map, keys sorted.
    private static func goMap(_ value: JSONValue) -> String {
        switch value {
        case .object(let object):
            "map[" + object.keys.sorted().map { "\($0):\(goMap(object[$0]!))" }.joined(separator: " ") + "]"
        case .array(let items): "[" + items.map(goMap).joined(separator: " ") + "]"
        case .string(let text): text
        case .number(let number): number == number.rounded() ? String(Int(number)) : String(number)
        case .bool(let flag): String(flag)
        case .null: "<nil>"
        }
    }
}
