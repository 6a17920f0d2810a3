import COpenSSL
import CRDModels
import Foundation

/// The discovery documents kubectl and client-go read to map kinds to resources, as kube-apiserver
/// v1.26.1 writes them. Only the legacy (unaggregated) form is served: clients that ask for aggregated
/// discovery fall back when the response's content type is plain `application/json`, as against an
/// older server.
///
/// `/apis` lists only the groups this server serves, in the real server's priority order (a deliberate
/// difference: kube-apiserver also lists groups this project never calls, such as `events.k8s.io` and
/// `admissionregistration.k8s.io`; announcing them without serving them would break kubectl's discovery);
/// resource lists carry the real verbs, `singularName` (empty for built-ins in 1.26), short names,
/// categories and `storageVersionHash`, plus the subresources served here.
enum Discovery {
    /// `/version` of kube-apiserver v1.26.1 (the release the corpus was recorded from).
    static let version: JSONValue = .object([
        "major": .string("1"), "minor": .string("26"), "gitVersion": .string("v1.26.1"),
        "gitCommit": .string("8f94681cd294aa8cfd3407b8191f6c70214973a4"), "gitTreeState": .string("archive"),
        "buildDate": .string("2023-01-18T15:51:25Z"), "goVersion": .string("go1.19.5"),
        "compiler": .string("gc"), "platform": .string("linux/amd64"),
    ])

    /// A resource discovery lists that is not a stored type of its own: subresources and the
    /// create-only review APIs this server answers.
    struct Extra {
        var group: String
        var version: String
        var entry: JSONValue
    }

    static let extras: [Extra] = [
        Extra(
            group: "", version: "v1",
            entry: entry(name: "namespaces/finalize", namespaced: false, kind: "Namespace", verbs: ["update"])),
        Extra(
            group: "", version: "v1",
            entry: entry(
                name: "namespaces/status", namespaced: false, kind: "Namespace", verbs: ["get", "patch", "update"])),
        Extra(
            group: "", version: "v1",
            entry: entry(
                name: "serviceaccounts/token", namespaced: true, kind: "TokenRequest", verbs: ["create"],
                group: "authentication.k8s.io", version: "v1")),
        Extra(
            group: "authorization.k8s.io", version: "v1",
            entry: entry(
                name: "selfsubjectaccessreviews", namespaced: false, kind: "SelfSubjectAccessReview",
                verbs: ["create"])),
    ]

    /// `APIGroupVersion` priorities of kube-apiserver's built-in groups (higher first; equal: by name).
    /// Custom resource groups come after them (priority 1000), by name.
    static let groupPriority: [String: Int] = [
        "apiregistration.k8s.io": 18000, "apps": 17800, "events.k8s.io": 17750, "authentication.k8s.io": 17700,
        "authorization.k8s.io": 17600, "autoscaling": 17500, "batch": 17400, "certificates.k8s.io": 17300,
        "networking.k8s.io": 17200, "policy": 17100, "rbac.authorization.k8s.io": 17000, "storage.k8s.io": 16800,
        "admissionregistration.k8s.io": 16700, "apiextensions.k8s.io": 16700, "scheduling.k8s.io": 16600,
        "coordination.k8s.io": 16500, "node.k8s.io": 16300, "discovery.k8s.io": 16200,
        "flowcontrol.apiserver.k8s.io": 16100,
    ]

    static func apiVersions(serverAddress: String) -> JSONValue {
        .object([
            "kind": .string("APIVersions"), "versions": .array([.string("v1")]),
            "serverAddressByClientCIDRs": .array([
                .object(["clientCIDR": .string("0.0.0.0/0"), "serverAddress": .string(serverAddress)])
            ]),
        ])
    }

    /// Every served group, stored types' groups and the extras' (by priority, then name).
    static func groupNames(_ types: [APIResourceType]) -> [String] {
        let names = Set(types.map(\.group) + extras.map(\.group)).subtracting([""])
        return names.sorted { lhs, rhs in
            let (a, b) = (groupPriority[lhs] ?? 1000, groupPriority[rhs] ?? 1000)
            return a != b ? a > b : lhs < rhs
        }
    }

    /// `/apis`: the groups without their own `kind`/`apiVersion` (as Go encodes the embedded APIGroups).
    static func groupList(_ types: [APIResourceType]) -> JSONValue {
        let groups = groupNames(types).compactMap { name -> JSONValue? in
            guard var entry = group(named: name, types: types) else { return nil }
            entry["kind"] = nil
            entry["apiVersion"] = nil
            return entry
        }
        return .object(["kind": .string("APIGroupList"), "apiVersion": .string("v1"), "groups": .array(groups)])
    }

    static func versions(of group: String, types: [APIResourceType]) -> [String] {
        let all = types.filter { $0.group == group }.map(\.version) + extras.filter { $0.group == group }.map(\.version)
        return Array(Set(all)).sorted(by: versionPriority)
    }

    static func group(named name: String, types: [APIResourceType]) -> JSONValue? {
        let versions = versions(of: name, types: types)
        guard let preferred = versions.first else { return nil }
        func entry(_ version: String) -> JSONValue {
            .object(["groupVersion": .string("\(name)/\(version)"), "version": .string(version)])
        }
        return .object([
            "kind": .string("APIGroup"), "apiVersion": .string("v1"), "name": .string(name),
            "versions": .array(versions.map(entry)), "preferredVersion": entry(preferred),
        ])
    }

    static func resourceList(group: String, version: String, types: [APIResourceType]) -> JSONValue? {
        let served = types.filter { $0.group == group && $0.version == version }
        let extra = extras.filter { $0.group == group && $0.version == version }.map(\.entry)
        guard !served.isEmpty || !extra.isEmpty else { return nil }
        var resources: [JSONValue] = []
        for type in served {
            var main = entry(
                name: type.plural, namespaced: type.namespaced, kind: type.kind, verbs: verbs(of: type),
                singularName: type.isCustom ? type.singular : "")
            if !type.shortNames.isEmpty { main["shortNames"] = .array(type.shortNames.map(JSONValue.string)) }
            if !type.categories.isEmpty { main["categories"] = .array(type.categories.map(JSONValue.string)) }
            let hash = storageVersionHash(group: type.group, version: type.version, kind: type.kind)
            main["storageVersionHash"] = .string(hash)
            resources.append(main)
            if type.hasStatusSubresource {
                resources.append(
                    entry(
                        name: "\(type.plural)/status", namespaced: type.namespaced, kind: type.kind,
                        verbs: ["get", "patch", "update"]))
            }
        }
        resources += extra
        // Built-in groups list their resources by name; the apiextensions server lists custom resources
        // in registration order, each followed by its subresources.
        if !served.contains(where: \.isCustom) {
            resources.sort { ($0["name"]?.stringValue ?? "") < ($1["name"]?.stringValue ?? "") }
        }
        var document: [String: JSONValue] = [
            "kind": .string("APIResourceList"), "resources": .array(resources),
            "groupVersion": .string(group.isEmpty ? version : "\(group)/\(version)"),
        ]
        // The legacy core group's list has no apiVersion.
        if !group.isEmpty { document["apiVersion"] = .string("v1") }
        return .object(document)
    }

    /// Namespaces cannot be deleted as a collection; custom resources list their verbs in the
    /// apiextensions server's order.
    static func verbs(of type: APIResourceType) -> [String] {
        if type.isCustom { return ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"] }
        if type.group.isEmpty && type.plural == "namespaces" {
            return APIResourceType.verbs.filter { $0 != "deletecollection" }
        }
        return APIResourceType.verbs
    }

    static func entry(
        name: String, namespaced: Bool, kind: String, verbs: [String], singularName: String = "", group: String? = nil,
        version: String? = nil
    ) -> JSONValue {
        var entry: [String: JSONValue] = [
            "name": .string(name), "singularName": .string(singularName), "namespaced": .bool(namespaced),
            "kind": .string(kind), "verbs": .array(verbs.map(JSONValue.string)),
        ]
        if let group { entry["group"] = .string(group) }
        if let version { entry["version"] = .string(version) }
        return .object(entry)
    }

    /// apiserver `discovery.StorageVersionHash`: base64 of the first 8 bytes of SHA-256("group/version/kind").
    static func storageVersionHash(group: String, version: String, kind: String) -> String {
        let input = Array("\(group)/\(version)/\(kind)".utf8)
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = input.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &digest, &length, EVP_sha256(), nil) }
        precondition(ok == 1, "EVP_Digest(SHA-256) failed")
        return Data(digest.prefix(8)).base64EncodedString()
    }

    /// The plain-text 404 of kube-apiserver's not-found handler, which answers paths under `/apis`
    /// that no built-in group claims: unknown groups, and unknown versions or resources of custom
    /// resource groups. (The core group and built-in groups answer a NotFound Status instead.)
    static func plainNotFound(path: String, types: [APIResourceType]) -> APIResponse? {
        let segments = path.split(separator: "/").map(String.init)
        guard segments.count >= 2, segments[0] == "apis" else { return nil }
        let group = segments[1]
        let notFound = APIResponse.text(status: 404, body: "404 page not found\n")
        let inGroup = types.filter { $0.group == group }
        let builtIn = groupPriority[group] != nil || extras.contains { $0.group == group }
        if inGroup.isEmpty && !builtIn { return notFound }
        guard !builtIn, segments.count >= 3 else { return nil }
        let inVersion = inGroup.filter { $0.version == segments[2] }
        if inVersion.isEmpty { return notFound }
        guard segments.count >= 4 else { return nil }
        // `.../namespaces/NS/PLURAL...` needs a namespaced kind; a cluster-scoped one there is unknown too.
        if segments[3] == "namespaces" {
            guard segments.count >= 6 else { return notFound }
            return inVersion.contains { $0.plural == segments[5] && $0.namespaced } ? nil : notFound
        }
        return inVersion.contains { $0.plural == segments[3] } ? nil : notFound
    }

    /// Kubernetes version order: GA before beta before alpha, higher numbers first.
    static func versionPriority(_ lhs: String, _ rhs: String) -> Bool {
        func rank(_ version: String) -> (Int, Int, Int) {
            let scanner = version.dropFirst()
            let major = Int(scanner.prefix { $0.isNumber }) ?? 0
            let rest = scanner.drop { $0.isNumber }
            if rest.isEmpty { return (3, major, 0) }
            let minor = Int(rest.drop { !$0.isNumber }) ?? 0
            if rest.hasPrefix("beta") { return (2, major, minor) }
            if rest.hasPrefix("alpha") { return (1, major, minor) }
            return (0, major, minor)
        }
        let (a, b) = (rank(lhs), rank(rhs))
        return a != b ? a > b : lhs < rhs
    }
}
