import CRDModels

/// core/v1 `ServiceAccount`; the operator patches `imagePullSecrets`.
public struct ServiceAccount: KubeResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true)

    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var imagePullSecrets: [LocalObjectReference]?
    public var secrets: [ObjectReference]?
    public var automountServiceAccountToken: Bool?

    public init(
        metadata: ObjectMeta, imagePullSecrets: [LocalObjectReference]? = nil, secrets: [ObjectReference]? = nil,
        automountServiceAccountToken: Bool? = nil
    ) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.imagePullSecrets = imagePullSecrets
        self.secrets = secrets
        self.automountServiceAccountToken = automountServiceAccountToken
    }
}

/// core/v1 `LocalObjectReference`: a name in the same namespace.
public struct LocalObjectReference: Codable, Hashable, Sendable {
    public var name: String?

    public init(name: String) { self.name = name }
}

/// core/v1 `ObjectReference`.
public struct ObjectReference: Codable, Hashable, Sendable {
    public var apiVersion: String?
    public var kind: String?
    public var name: String?
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var fieldPath: String?

    public init(
        apiVersion: String? = nil, kind: String? = nil, name: String? = nil, namespace: String? = nil,
        uid: String? = nil, resourceVersion: String? = nil, fieldPath: String? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.fieldPath = fieldPath
    }

    /// A reference to `object`, as Events and owner lookups use it.
    public init<R: KubeResource>(to object: R) {
        self.init(
            apiVersion: R.resource.apiVersion, kind: R.resource.kind, name: object.metadata.name,
            namespace: object.metadata.namespace, uid: object.metadata.uid,
            resourceVersion: object.metadata.resourceVersion)
    }
}
