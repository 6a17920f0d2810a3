import CRDModels

/// Which ECR tokens a resource needs: one `GetAuthorizationToken` per region (all registries of a
/// region share one token, and `registryIds` does not change its scope), plus one ECR Public token
/// when asked. Combined with the credential identity, each request is a key of the shared token
/// cache, so resources with the same keys and regions share one AWS call.
public struct TokenRequests: Sendable, Hashable {
    /// One private-ECR request: the region, and the registry (account) ids it covers. An empty list
    /// means "the caller's default registry".
    public struct Regional: Sendable, Hashable {
        public var region: String
        public var registryIDs: [String]

        public init(region: String, registryIDs: [String]) {
            self.region = region
            self.registryIDs = registryIDs
        }
    }

    /// Sorted by region so the same spec always produces the same requests.
    public var regional: [Regional]
    /// Also fetch an ECR Public token (us-east-1, registry `public.ecr.aws`).
    public var ecrPublic: Bool

    public init(regional: [Regional], ecrPublic: Bool) {
        self.regional = regional
        self.ecrPublic = ecrPublic
    }

    /// The requests for `spec`'s registries (`resolvedRegistries`: each region resolved, the caller's
    /// default registry when none is listed), grouped by region.
    public init(_ spec: some ImagePullSecretSpec) {
        var byRegion: [String: [String]] = [:]
        for registry in spec.resolvedRegistries {
            var ids = byRegion[registry.region, default: []]
            if let id = registry.accountID, !ids.contains(id) { ids.append(id) }
            byRegion[registry.region] = ids
        }
        self.init(
            regional: byRegion.keys.sorted().map { Regional(region: $0, registryIDs: byRegion[$0]!.sorted()) },
            ecrPublic: spec.ecrPublic ?? false)
    }
}
