import CRDModels
import FoundationEssentials

/// core/v1 `Secret`. `data` values are raw bytes; `JSONEncoder`'s default `Data` strategy writes them
/// as standard base64, which is what the API server expects.
public struct Secret: KubeResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true)

    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var data: [String: Data]?
    /// Write-only convenience: the server merges it into `data` and never returns it.
    public var stringData: [String: String]?
    /// e.g. `kubernetes.io/dockerconfigjson`; cannot change after creation.
    public var type: String?
    public var immutable: Bool?

    public init(
        metadata: ObjectMeta, data: [String: Data]? = nil, stringData: [String: String]? = nil,
        type: String? = nil, immutable: Bool? = nil
    ) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.data = data
        self.stringData = stringData
        self.type = type
        self.immutable = immutable
    }
}
