/// Standard object metadata (`metav1.ObjectMeta`).
///
/// Every field is optional and omitted when nil, so a model round-trips what the server sent and a
/// merge patch built from it never carries an accidental `null`. `managedFields` is kept opaque so a
/// read-modify-write does not drop it.
public struct ObjectMeta: Codable, Hashable, Sendable {
    public var name: String?
    public var generateName: String?
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int64?
    public var creationTimestamp: String?
    public var deletionTimestamp: String?
    public var deletionGracePeriodSeconds: Int64?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var ownerReferences: [OwnerReference]?
    public var finalizers: [String]?
    public var managedFields: [JSONValue]?

    public init(
        name: String? = nil, namespace: String? = nil, labels: [String: String]? = nil,
        annotations: [String: String]? = nil, ownerReferences: [OwnerReference]? = nil,
        resourceVersion: String? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
        self.ownerReferences = ownerReferences
        self.resourceVersion = resourceVersion
    }
}

/// `metav1.OwnerReference`. A namespaced object may name a cluster-scoped owner, never the reverse.
public struct OwnerReference: Codable, Hashable, Sendable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool?
    public var blockOwnerDeletion: Bool?

    public init(
        apiVersion: String, kind: String, name: String, uid: String, controller: Bool? = nil,
        blockOwnerDeletion: Bool? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }
}

/// `metav1.ListMeta`.
public struct ListMeta: Codable, Hashable, Sendable {
    public var resourceVersion: String?
    public var `continue`: String?
    public var remainingItemCount: Int64?

    public init(resourceVersion: String? = nil, continue: String? = nil) {
        self.resourceVersion = resourceVersion
        self.continue = `continue`
    }
}

extension ObjectMeta {
    /// `ObjectMeta` decoded without `managedFields`, for metadata-only answers: nobody reads them there, and a real
    /// API server sends about a kilobyte of them per object. The value is still checked (a malformed one fails the
    /// decode as `ObjectMeta`'s would); `FlatJSONDecoder` does that without building it.
    public struct WithoutManagedFields: Decodable, Sendable {
        public var value: ObjectMeta

        public init(_ value: ObjectMeta) {
            self.value = value
            self.value.managedFields = nil
        }

        public init(from decoder: any Decoder) throws {
            self.init(try ObjectMeta(from: decoder))
        }
    }
}
