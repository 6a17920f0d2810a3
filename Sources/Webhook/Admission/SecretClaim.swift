import FoundationEssentials

/// One resource's claim on a target Secret name in a set of namespaces.
///
/// Two resources writing the same Secret would overwrite each other's credentials on every refresh, so the
/// webhook refuses the second one. A namespaced resource claims `secretName` in its own namespace; a cluster
/// resource claims it in every namespace of `spec.namespaces`. Namespaces picked by `namespaceSelector` are
/// not known at admission time (they change as namespaces are labelled), so the reconciler's `SecretConflict`
/// handling covers those.
public struct SecretClaim: Hashable, Sendable {
    /// `AWSECRImagePullSecret` or `ClusterAWSECRImagePullSecret`.
    public var kind: String
    public var name: String
    /// Set for the namespaced kind.
    public var namespace: String?
    public var secretName: String
    public var targetNamespaces: [String]

    public init(kind: String, name: String, namespace: String?, secretName: String, targetNamespaces: [String]) {
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.secretName = secretName
        self.targetNamespaces = targetNamespaces
    }

    /// `AWSECRImagePullSecret team-a/registry` or `ClusterAWSECRImagePullSecret shared`.
    public var displayName: String {
        if let namespace { return "\(kind) \(namespace)/\(name)" }
        return "\(kind) \(name)"
    }

    func isSameResource(as other: SecretClaim) -> Bool {
        kind == other.kind && name == other.name && namespace == other.namespace
    }
}

/// Another resource already writing the same Secret in some namespaces.
public struct SecretClaimConflict: Hashable, Sendable {
    public var other: SecretClaim
    public var namespaces: [String]

    /// Finds every other resource that claims `claim.secretName` in one of `claim`'s namespaces.
    public static func find(for claim: SecretClaim, among others: [SecretClaim]) -> [SecretClaimConflict] {
        // The name first: it rules out nearly every other resource, before any set is built.
        let sameName = others.filter { $0.secretName == claim.secretName && !$0.isSameResource(as: claim) }
        guard !sameName.isEmpty else { return [] }
        let mine = Set(claim.targetNamespaces)
        return sameName
            .compactMap { other in
                let shared = mine.intersection(other.targetNamespaces).sorted()
                return shared.isEmpty ? nil : SecretClaimConflict(other: other, namespaces: shared)
            }
            .sorted { $0.other.displayName < $1.other.displayName }
    }
}

/// Reads the claims of existing resources, so a new claim can be checked against them.
///
/// Synchronous on purpose: the admission path never waits on the API server (the production implementation,
/// `CachedSecretClaimLookup`, reads informer caches), so the webhook can answer a review on the connection's
/// event loop without a task. Tests pass fixed lists.
public protocol SecretClaimLookup: Sendable {
    /// Claims of namespaced resources in `namespace`, or in every namespace when nil.
    func namespacedClaims(in namespace: String?) throws -> [SecretClaim]
    /// Claims of cluster-scoped resources.
    func clusterClaims() throws -> [SecretClaim]
    /// Everything that could conflict with `claim`: namespaced resources in its namespaces and all cluster ones.
    /// The default reads the two lists above; a lookup may read both from one snapshot.
    func claims(relevantTo claim: SecretClaim) throws -> [SecretClaim]
}

extension SecretClaimLookup {
    public func claims(relevantTo claim: SecretClaim) throws -> [SecretClaim] {
        try SecretClaim.relevant(to: claim, cluster: clusterClaims(), namespaced: namespacedClaims(in:))
    }
}

extension SecretClaim {
    /// The cluster claims and the namespaced ones in `claim`'s namespaces (`namespaced(nil)`: every namespace).
    static func relevant(
        to claim: SecretClaim, cluster: [SecretClaim], namespaced: (String?) throws -> [SecretClaim]
    ) rethrows -> [SecretClaim] {
        let namespacedClaims: [SecretClaim]
        switch claim.targetNamespaces.count {
        case 0: namespacedClaims = []
        case 1: namespacedClaims = try namespaced(claim.targetNamespaces[0])
        default: namespacedClaims = try namespaced(nil)
        }
        // Usually one of them is empty: then no third array is built (nor every claim retained into it).
        if cluster.isEmpty { return namespacedClaims }
        return namespacedClaims.isEmpty ? cluster : cluster + namespacedClaims
    }
}

/// A fixed set of claims (tests, and a webhook run without API access).
public struct StaticSecretClaimLookup: SecretClaimLookup {
    public var claims: [SecretClaim]

    public init(_ claims: [SecretClaim]) {
        self.claims = claims
    }

    public func namespacedClaims(in namespace: String?) throws -> [SecretClaim] {
        claims.filter { $0.namespace != nil && (namespace == nil || $0.namespace == namespace) }
    }

    public func clusterClaims() throws -> [SecretClaim] {
        claims.filter { $0.namespace == nil }
    }
}
