import CRDModels

/// core/v1 `Namespace` (cluster-scoped).
public struct Namespace: KubeResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false)

    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var spec: NamespaceSpec?
    public var status: NamespaceStatus?

    public init(metadata: ObjectMeta, spec: NamespaceSpec? = nil, status: NamespaceStatus? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// True while the namespace is being deleted; objects can no longer be created in it.
    public var isTerminating: Bool { status?.phase == "Terminating" || metadata.deletionTimestamp != nil }
}

public struct NamespaceSpec: Codable, Hashable, Sendable {
    public var finalizers: [String]?

    public init(finalizers: [String]? = nil) { self.finalizers = finalizers }
}

public struct NamespaceStatus: Codable, Hashable, Sendable {
    /// `Active` or `Terminating`.
    public var phase: String?

    public init(phase: String? = nil) { self.phase = phase }
}
