import CRDModels
import FoundationEssentials
import KubeClient

/// The API operations the reconcilers perform: reads by name and conditional writes. Over HTTP in
/// production (`KubeClient`); in memory in reconciler tests, which then assert the resulting objects
/// without a server. Errors are `KubeAPIError`s (404, 409, AlreadyExists), as the API server gives them.
public protocol KubeObjectAPI: Sendable {
    func get<R: KubeResource>(_ type: R.Type, name: String, namespace: String?) async throws -> R
    /// The object's metadata only, never its data (whose a Secret is, before reading it).
    func getMetadata<R: KubeResource>(_ type: R.Type, name: String, namespace: String?) async throws -> ObjectMeta
    /// Creates `object` in `namespace`.
    func create<R: KubeResource>(_ object: R, namespace: String) async throws -> R
    /// PUT of the whole object, conditional on `metadata.resourceVersion`.
    func update<R: KubeResource>(_ object: R) async throws -> R
    /// `create`, answered with the stored object's metadata only: the caller holds the content it sent.
    /// `encoded`: `object`'s JSON, already written by the caller (`Secret.json`), sent as it is.
    func createReturningMetadata<R: KubeResource>(_ object: R, encoded: Data?, namespace: String) async throws
        -> ObjectMeta
    /// `update`, answered with the stored object's metadata only.
    func updateReturningMetadata<R: KubeResource>(_ object: R, encoded: Data?) async throws -> ObjectMeta
    /// PUT of `/status`: only `.status` changes.
    func updateStatus<R: KubeResource>(_ object: R) async throws -> R
    /// JSON merge patch; `metadata.resourceVersion` in the patch makes it conditional.
    func patch<R: KubeResource>(_ type: R.Type, name: String, namespace: String?, mergePatch: JSONValue)
        async throws -> R
    /// Deletes one object; a uid precondition turns a delete of a replaced object into a 409.
    func delete<R: KubeResource>(_ type: R.Type, name: String, namespace: String?, preconditions: DeletePreconditions?)
        async throws
}

extension KubeObjectAPI {
    /// Without a wire, the object itself is the content (`encoded` is the same content as JSON).
    public func createReturningMetadata<R: KubeResource>(_ object: R, encoded: Data?, namespace: String) async throws
        -> ObjectMeta
    {
        try await create(object, namespace: namespace).metadata
    }

    public func updateReturningMetadata<R: KubeResource>(_ object: R, encoded: Data?) async throws -> ObjectMeta {
        try await update(object).metadata
    }
}

/// `KubeObjectAPI` over the HTTP client.
public struct KubeClientObjectAPI: KubeObjectAPI {
    public let client: KubeClient

    public init(client: KubeClient) { self.client = client }

    public func get<R: KubeResource>(_ type: R.Type, name: String, namespace: String?) async throws -> R {
        try await client.get(type, name: name, namespace: namespace)
    }

    public func getMetadata<R: KubeResource>(_ type: R.Type, name: String, namespace: String?) async throws
        -> ObjectMeta
    {
        try await client.getMetadata(R.resource, name: name, namespace: namespace).metadata
    }

    public func create<R: KubeResource>(_ object: R, namespace: String) async throws -> R {
        try await client.create(object, namespace: namespace)
    }

    public func update<R: KubeResource>(_ object: R) async throws -> R { try await client.update(object) }

    /// Asks for `PartialObjectMetadata` (`KubeClient.createReturningMetadata`): the server does not encode,
    /// nor this process decode, the content it just sent.
    public func createReturningMetadata<R: KubeResource>(_ object: R, encoded: Data?, namespace: String) async throws
        -> ObjectMeta
    {
        try await client.createReturningMetadata(object, encoded: encoded, namespace: namespace)
    }

    public func updateReturningMetadata<R: KubeResource>(_ object: R, encoded: Data?) async throws -> ObjectMeta {
        try await client.updateReturningMetadata(object, encoded: encoded)
    }

    public func updateStatus<R: KubeResource>(_ object: R) async throws -> R { try await client.updateStatus(object) }

    public func patch<R: KubeResource>(_ type: R.Type, name: String, namespace: String?, mergePatch: JSONValue)
        async throws -> R
    {
        try await client.patch(type, name: name, namespace: namespace, mergePatch: mergePatch)
    }

    public func delete<R: KubeResource>(
        _ type: R.Type, name: String, namespace: String?, preconditions: DeletePreconditions?
    ) async throws {
        try await client.delete(type, name: name, namespace: namespace, preconditions: preconditions)
    }
}

/// Where reconcilers record Kubernetes Events (`EventRecorder` in production: aggregated, never blocking).
public protocol EventSink: Sendable {
    func record(involving object: ObjectReference, type: EventRecorder.EventType, reason: String, message: String)
}

extension EventRecorder: EventSink {}
