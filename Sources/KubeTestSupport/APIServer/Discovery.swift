import CRDModels

/// The discovery documents kubectl and client-go read to map kinds to resources. Only the legacy
/// (unaggregated) form is served: clients that ask for aggregated discovery fall back when the
/// response's content type is plain `application/json`, as against an older server.
enum Discovery {
    static let version: JSONValue = .object([
        "major": .string("1"), "minor": .string("32"), "gitVersion": .string("v1.32.0"),
        "gitCommit": .string("0000000000000000000000000000000000000000"), "gitTreeState": .string("clean"),
        "buildDate": .string("2026-01-01T00:00:00Z"), "goVersion": .string("go1.23.4"),
        "compiler": .string("gc"), "platform": .string("linux/amd64"),
    ])

    static func apiVersions(serverAddress: String) -> JSONValue {
        .object([
            "kind": .string("APIVersions"), "versions": .array([.string("v1")]),
            "serverAddressByClientCIDRs": .array([
                .object(["clientCIDR": .string("0.0.0.0/0"), "serverAddress": .string(serverAddress)])
            ]),
        ])
    }

    static func groupList(_ types: [APIResourceType]) -> JSONValue {
        var order: [String] = []
        for type in types where !type.group.isEmpty && !order.contains(type.group) { order.append(type.group) }
        return .object([
            "kind": .string("APIGroupList"), "apiVersion": .string("v1"),
            "groups": .array(order.compactMap { group(named: $0, types: types) }),
        ])
    }

    static func group(named name: String, types: [APIResourceType]) -> JSONValue? {
        var versions: [String] = []
        for type in types where type.group == name && !versions.contains(type.version) { versions.append(type.version) }
        guard let preferred = versions.sorted(by: versionPriority).first else { return nil }
        func entry(_ version: String) -> JSONValue {
            .object(["groupVersion": .string("\(name)/\(version)"), "version": .string(version)])
        }
        return .object([
            "kind": .string("APIGroup"), "apiVersion": .string("v1"), "name": .string(name),
            "versions": .array(versions.sorted(by: versionPriority).map(entry)), "preferredVersion": entry(preferred),
        ])
    }

    static func resourceList(group: String, version: String, types: [APIResourceType]) -> JSONValue? {
        let served = types.filter { $0.group == group && $0.version == version }
        guard !served.isEmpty else { return nil }
        var resources: [JSONValue] = []
        for type in served {
            var entry: [String: JSONValue] = [
                "name": .string(type.plural), "singularName": .string(type.singular),
                "namespaced": .bool(type.namespaced), "kind": .string(type.kind),
                "verbs": .array(APIResourceType.verbs.map(JSONValue.string)),
            ]
            if !type.shortNames.isEmpty { entry["shortNames"] = .array(type.shortNames.map(JSONValue.string)) }
            if !type.categories.isEmpty { entry["categories"] = .array(type.categories.map(JSONValue.string)) }
            resources.append(.object(entry))
            if type.hasStatusSubresource {
                resources.append(.object([
                    "name": .string("\(type.plural)/status"), "singularName": .string(""),
                    "namespaced": .bool(type.namespaced), "kind": .string(type.kind),
                    "verbs": .array(["get", "patch", "update"].map(JSONValue.string)),
                ]))
            }
        }
        return .object([
            "kind": .string("APIResourceList"), "apiVersion": .string("v1"),
            "groupVersion": .string(group.isEmpty ? version : "\(group)/\(version)"), "resources": .array(resources),
        ])
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
