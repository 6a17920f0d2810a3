import CRDModels
import JSONDecoding

/// `meta.k8s.io/v1 PartialObjectMetadata`: an object reduced to its metadata, as metadata-only lists
/// and watches return it. The operator caches managed Secrets this way so it never holds their data.
///
/// Its metadata never holds `managedFields` (`ObjectMeta.WithoutManagedFields`): no reader of it needs them.
///
/// It conforms to `KubeResource` so informers and stores can hold it, but its descriptor names no
/// REST collection: read it with `KubeClient.listMetadata`/`watchMetadata`, which take the descriptor
/// of the real resource. The typed methods refuse it.
public struct PartialObjectMetadata: KubeResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: "meta.k8s.io", version: "v1", kind: "PartialObjectMetadata", plural: "", namespaced: false)

    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta

    public init(metadata: ObjectMeta) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try container.decode(String.self, forKey: .apiVersion)
        kind = try container.decode(String.self, forKey: .kind)
        metadata = try container.decode(ObjectMeta.WithoutManagedFields.self, forKey: .metadata).value
    }

    /// The object `FlatJSONDecoder.metadataObject` read: what `init(from:)` makes of the same document.
    init(_ object: FlatJSONMetadataObject) {
        apiVersion = object.apiVersion
        kind = object.kind
        metadata = object.metadata
    }

    /// What `TypeMetaDefaulted` supplies when a watch event's or list item's object lacks `apiVersion` or `kind`.
    static let typeMetaDefaults = FlatJSONTypeMetaDefaults(apiVersion: resource.apiVersion, kind: resource.kind)
}
