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

    /// One requested registry: an account id and an optional region override.
    public struct Registry: Sendable, Hashable {
        public var accountID: String
        public var region: String?

        public init(accountID: String, region: String? = nil) {
            self.accountID = accountID
            self.region = region
        }
    }

    /// Groups `registries` by region (`defaultRegion` where none is given). No registries means the
    /// caller's default registry in `defaultRegion`.
    public static func plan(registries: [Registry], defaultRegion: String, ecrPublic: Bool) -> TokenRequests {
        if registries.isEmpty {
            return TokenRequests(regional: [Regional(region: defaultRegion, registryIDs: [])], ecrPublic: ecrPublic)
        }
        var byRegion: [String: [String]] = [:]
        for registry in registries {
            let region = registry.region.flatMap { $0.isEmpty ? nil : $0 } ?? defaultRegion
            var ids = byRegion[region, default: []]
            if !ids.contains(registry.accountID) { ids.append(registry.accountID) }
            byRegion[region] = ids
        }
        let regional = byRegion.keys.sorted().map { Regional(region: $0, registryIDs: byRegion[$0]!.sorted()) }
        return TokenRequests(regional: regional, ecrPublic: ecrPublic)
    }

    /// The registry host ECR Public credentials are written for.
    public static let ecrPublicHost = "public.ecr.aws"
}
