import CRDModels

/// One served resource (a group/version/plural), built in or registered by a CustomResourceDefinition.
struct APIResourceType: Sendable, Hashable {
    var group: String
    var version: String
    var kind: String
    var listKind: String
    var plural: String
    var singular: String
    var namespaced: Bool
    var shortNames: [String] = []
    var categories: [String] = []
    /// A `/status` subresource exists and splits writes (status ignored on the main resource).
    var hasStatusSubresource = false
    /// Custom resources refuse unconditional updates and strategic merge patch.
    var isCustom = false
    /// Fields accepted in `fieldSelector` besides `metadata.name` and `metadata.namespace`.
    var extraSelectableFields: [String] = []
    /// `AllowCreateOnUpdate` in the real strategy (Events); others answer 404 to a PUT of a missing object.
    var allowCreateOnUpdate = false
    /// The version's `openAPIV3Schema` (custom resources): pruning and validation.
    var schema: CRDSchema?

    var groupResource: GroupResource { GroupResource(group: group, resource: plural) }
    /// Whether `metadata.generation` is kept: custom resources and CRDs here; the core kinds the
    /// operator uses (Secret, ConfigMap, ServiceAccount, Namespace, Event, Lease) have none.
    var tracksGeneration: Bool { isCustom || plural == "customresourcedefinitions" }
    /// Served by the watch cache (`resourceVersion=0` lists ignore `limit`); Events are not cached.
    var hasWatchCache: Bool { !(group.isEmpty && plural == "events") }
    /// A completed DELETE answers the object rather than a Success Status (`ReturnDeletedObject`).
    var returnsDeletedObject: Bool { !isCustom && group.isEmpty && plural == "serviceaccounts" }
    /// The kind registers its own field label conversion ("field label not supported: x"); the others
    /// use the scheme's default ("\"x\" is not a known field selector: ...").
    var hasFieldLabelConversion: Bool { isCustom || !extraSelectableFields.isEmpty }
    var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// The object's etcd key below `/registry/` (named in storage error messages).
    func storagePath(namespace: String, name: String) -> String {
        let resource = isCustom ? "\(group)/\(plural)" : plural
        return namespaced ? "\(resource)/\(namespace)/\(name)" : "\(resource)/\(name)"
    }

    static let verbs: [String] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    /// The built-in kinds the operator touches (core/v1 and coordination.k8s.io/v1), plus the CRD kind itself.
    static let builtIns: [APIResourceType] = [
        APIResourceType(
            group: "", version: "v1", kind: "Namespace", listKind: "NamespaceList", plural: "namespaces",
            singular: "namespace", namespaced: false, shortNames: ["ns"], extraSelectableFields: ["status.phase"]),
        APIResourceType(
            group: "", version: "v1", kind: "Secret", listKind: "SecretList", plural: "secrets", singular: "secret",
            namespaced: true, extraSelectableFields: ["type"]),
        APIResourceType(
            group: "", version: "v1", kind: "ConfigMap", listKind: "ConfigMapList", plural: "configmaps",
            singular: "configmap", namespaced: true, shortNames: ["cm"]),
        APIResourceType(
            group: "", version: "v1", kind: "ServiceAccount", listKind: "ServiceAccountList",
            plural: "serviceaccounts", singular: "serviceaccount", namespaced: true, shortNames: ["sa"]),
        APIResourceType(
            group: "", version: "v1", kind: "Event", listKind: "EventList", plural: "events", singular: "event",
            namespaced: true, shortNames: ["ev"],
            extraSelectableFields: [
                "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                "reason", "reportingComponent", "source", "type",
            ],
            allowCreateOnUpdate: true),
        APIResourceType(
            group: "coordination.k8s.io", version: "v1", kind: "Lease", listKind: "LeaseList", plural: "leases",
            singular: "lease", namespaced: true),
        APIResourceType(
            group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition",
            listKind: "CustomResourceDefinitionList", plural: "customresourcedefinitions",
            singular: "customresourcedefinition", namespaced: false, shortNames: ["crd", "crds"],
            categories: ["api-extensions"], hasStatusSubresource: true),
    ]

    /// The resource types a CustomResourceDefinition object declares, one per served version.
    static func fromCRD(_ crd: JSONValue) throws(APIError) -> [APIResourceType] {
        let name = crd["metadata"]?["name"]?.stringValue ?? ""
        let spec = crd["spec"]
        let names = spec?["names"]
        var errors: [FieldError] = []
        let group = spec?["group"]?.stringValue ?? ""
        let plural = names?["plural"]?.stringValue ?? ""
        let kind = names?["kind"]?.stringValue ?? ""
        let scope = spec?["scope"]?.stringValue ?? ""
        if group.isEmpty { errors.append(.required("spec.group", "")) }
        if plural.isEmpty { errors.append(.required("spec.names.plural", "")) }
        if kind.isEmpty { errors.append(.required("spec.names.kind", "")) }
        if scope != "Namespaced" && scope != "Cluster" {
            errors.append(.invalid("spec.scope", value: "\"\(scope)\"", "should be either Cluster or Namespaced"))
        }
        if !name.isEmpty, !plural.isEmpty, !group.isEmpty, name != "\(plural).\(group)" {
            errors.append(.invalid("metadata.name", value: "\"\(name)\"", "must be spec.names.plural+\".\"+spec.group"))
        }
        let versions = spec?["versions"]?.arrayValue ?? []
        if versions.isEmpty { errors.append(.required("spec.versions", "must have exactly one version marked as storage version")) }
        guard errors.isEmpty else {
            throw APIError.invalid(kind: "CustomResourceDefinition", group: "apiextensions.k8s.io", name: name, causes: errors)
        }
        return versions.compactMap { version -> APIResourceType? in
            guard let versionName = version["name"]?.stringValue, version["served"] != .bool(false) else { return nil }
            return APIResourceType(
                group: group, version: versionName, kind: kind,
                listKind: names?["listKind"]?.stringValue ?? "\(kind)List", plural: plural,
                singular: names?["singular"]?.stringValue ?? kind.lowercased(), namespaced: scope == "Namespaced",
                shortNames: names?["shortNames"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                categories: names?["categories"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                hasStatusSubresource: version["subresources"]?["status"] != nil, isCustom: true,
                schema: version["schema"]?["openAPIV3Schema"].map(CRDSchema.init(root:)))
        }
    }
}
