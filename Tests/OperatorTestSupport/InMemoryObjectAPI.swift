import AsyncTestSupport
import CRDModels
import Foundation
import KubeClient
import Operator

/// `KubeObjectAPI` in memory, for reconciler tests that assert the resulting objects without a server.
/// It keeps the API server's rules the reconcilers rely on: a resourceVersion per write, 409 on a stale
/// update or a failed uid precondition, AlreadyExists, NotFound, `/status` changing only `.status`,
/// and merge patches conditional on `metadata.resourceVersion`. Faults are injected per operation.
public final class InMemoryObjectAPI: KubeObjectAPI {
    public init() {}

    private struct Key: Hashable {
        var plural: String
        var namespace: String
        var name: String
    }

    private let state = Locked<(objects: [Key: JSONValue], version: Int, faults: [String: KubeAPIError])>(([:], 0, [:]))

    /// Makes every `operation` (`get`, `create`, `update`, `updateStatus`, `patch`, `delete`) on objects of
    /// `plural` named `name` fail with `error`, until cleared with nil.
    public func fail(_ operation: String, _ plural: String, name: String, with error: KubeAPIError?) {
        state.withLock { $0.faults["\(operation) \(plural)/\(name)"] = error }
    }

    public func stored<R: KubeResource>(_ type: R.Type, name: String, namespace: String? = nil) -> R? {
        let key = Key(plural: R.resource.plural, namespace: namespace ?? "", name: name)
        return try? state.withLock { $0.objects[key] }?.decode(as: R.self)
    }

    /// Puts `object` in place as it is (a fixture), with a fresh uid and resourceVersion.
    @discardableResult
    public func seed<R: KubeResource>(_ object: R) throws -> R {
        var object = object
        if object.metadata.uid == nil { object.metadata.uid = UUID().uuidString }
        return try write(object, operation: "seed", expectExisting: nil)
    }

    private func key<R: KubeResource>(_ type: R.Type, name: String, namespace: String?) -> Key {
        Key(plural: R.resource.plural, namespace: R.resource.namespaced ? namespace ?? "" : "", name: name)
    }

    private func fault(_ operation: String, _ key: Key) -> KubeAPIError? {
        state.withLock { $0.faults["\(operation) \(key.plural)/\(key.name)"] }
    }

    private static func notFound(_ key: Key) -> KubeAPIError {
        KubeAPIError(code: .notFound, message: "\(key.plural) \"\(key.name)\" not found", httpStatus: 404)
    }

    private static func conflict(_ key: Key) -> KubeAPIError {
        KubeAPIError(
            code: .conflict,
            message: "Operation cannot be fulfilled on \(key.plural) \"\(key.name)\": the object has been modified",
            httpStatus: 409)
    }

    /// Stores `object` with a new resourceVersion. `expectExisting`: true (update), false (create), nil (any).
    private func write<R: KubeResource>(_ object: R, operation: String, expectExisting: Bool?) throws -> R {
        let key = key(R.self, name: object.metadata.name ?? "", namespace: object.metadata.namespace)
        if let error = fault(operation, key) { throw error }
        var object = object
        return try state.withLock { state -> R in
            let existing = state.objects[key]
            switch expectExisting {
            case true?:
                guard let existing else { throw Self.notFound(key) }
                let current = existing["metadata"]?["resourceVersion"]?.stringValue
                if let sent = object.metadata.resourceVersion, sent != current { throw Self.conflict(key) }
                object.metadata.uid = existing["metadata"]?["uid"]?.stringValue
            case false?:
                if existing != nil {
                    throw KubeAPIError(
                        code: .alreadyExists, message: "\(key.plural) \"\(key.name)\" already exists", httpStatus: 409)
                }
                object.metadata.uid = UUID().uuidString
            case nil:
                break
            }
            state.version += 1
            object.metadata.resourceVersion = String(state.version)
            state.objects[key] = try JSONValue(encoding: object)
            return object
        }
    }

    public func get<R: KubeResource>(_ type: R.Type, name: String, namespace: String?) async throws -> R {
        let key = key(R.self, name: name, namespace: namespace)
        if let error = fault("get", key) { throw error }
        guard let value = state.withLock({ $0.objects[key] }) else { throw Self.notFound(key) }
        return try value.decode(as: R.self)
    }

    public func getMetadata<R: KubeResource>(_ type: R.Type, name: String, namespace: String?) async throws
        -> ObjectMeta
    {
        try await get(R.self, name: name, namespace: namespace).metadata
    }

    public func create<R: KubeResource>(_ object: R, namespace: String) async throws -> R {
        var object = object
        object.metadata.namespace = namespace
        return try write(object, operation: "create", expectExisting: false)
    }

    public func update<R: KubeResource>(_ object: R) async throws -> R {
        try write(object, operation: "update", expectExisting: true)
    }

    /// Only `.status` changes: the rest of the stored object stays.
    public func updateStatus<R: KubeResource>(_ object: R) async throws -> R {
        let stored = try await get(R.self, name: object.metadata.name ?? "", namespace: object.metadata.namespace)
        var merged = try JSONValue(encoding: stored).objectValue ?? [:]
        merged["status"] = try JSONValue(encoding: object)["status"]
        var next = try JSONValue.object(merged).decode(as: R.self)
        next.metadata.resourceVersion = object.metadata.resourceVersion
        return try write(next, operation: "updateStatus", expectExisting: true)
    }

    public func patch<R: KubeResource>(_ type: R.Type, name: String, namespace: String?, mergePatch: JSONValue)
        async throws -> R
    {
        let stored = try await get(R.self, name: name, namespace: namespace)
        var patched = try JSONValue(encoding: stored).mergePatched(with: mergePatch).decode(as: R.self)
        // The patch's resourceVersion, if any, is the precondition; without one the write is unconditional.
        patched.metadata.resourceVersion = mergePatch["metadata"]?["resourceVersion"]?.stringValue
        return try write(patched, operation: "patch", expectExisting: true)
    }

    public func delete<R: KubeResource>(_ type: R.Type, name: String, namespace: String?, preconditions: DeletePreconditions?)
        async throws
    {
        let key = key(R.self, name: name, namespace: namespace)
        if let error = fault("delete", key) { throw error }
        try state.withLock { state in
            guard let existing = state.objects[key] else { throw Self.notFound(key) }
            if let uid = preconditions?.uid, existing["metadata"]?["uid"]?.stringValue != uid { throw Self.conflict(key) }
            state.objects[key] = nil
        }
    }
}
