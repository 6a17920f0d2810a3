/// Where a kind lives in the API: enough to build its REST paths and its `apiVersion`/`kind`.
public struct ResourceDescriptor: Hashable, Sendable {
    /// API group; empty for the core group.
    public var group: String
    public var version: String
    public var kind: String
    /// Lower-case plural used in paths, e.g. `secrets`.
    public var plural: String
    public var namespaced: Bool

    public init(group: String, version: String, kind: String, plural: String, namespaced: Bool) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.namespaced = namespaced
    }

    /// `v1` for the core group, `group/version` otherwise.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
}

/// A Kubernetes object the clients can read and write.
///
/// Conforming types carry `apiVersion` and `kind` as stored properties that default to the
/// descriptor's values, so an encoded object is always a complete request body.
public protocol KubeResource: Codable, Sendable {
    static var resource: ResourceDescriptor { get }
    var metadata: ObjectMeta { get set }
}
