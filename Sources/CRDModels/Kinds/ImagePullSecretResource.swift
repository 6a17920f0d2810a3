/// The API group both kinds live in.
public enum APIGroup {
    public static let name = "ecr.pullsecrets.dev"
    public static let version = "v1alpha1"
    public static let apiVersion = "\(name)/\(version)"
}

/// What the two kinds' specs share, so token fetching, Secret rendering and validation are written once.
public protocol ImagePullSecretSpec: Codable, Sendable {
    var secretName: String { get set }
    var awsAccess: AWSAccess { get set }
    var registries: [RegistrySpec]? { get set }
    var ecrPublic: Bool? { get set }
    var refreshInterval: GoDuration? { get set }
    var secretTemplate: SecretTemplate? { get set }
    var serviceAccounts: [String]? { get set }
}

/// Either kind: lets the controller runtime and the reconcilers be generic over namespaced and cluster scope.
public protocol ImagePullSecretResource: KubeResource {
    associatedtype Spec: ImagePullSecretSpec
    var apiVersion: String { get set }
    var kind: String { get set }
    var spec: Spec { get set }
    var status: ImagePullSecretStatus? { get set }

    /// Every rule violation, and warnings (see the kinds' `validate`).
    func validate(ambientPolicy: AmbientCredentialsPolicy) -> ValidationReport
    /// `validate` plus the rules for changes (`spec.secretName` is immutable).
    func validateUpdate(from old: Self, ambientPolicy: AmbientCredentialsPolicy) -> ValidationReport
}

extension ImagePullSecretSpec {
    /// The registries to log in to, with each region resolved: the declared list, or the caller's own
    /// account (`accountID == nil`) in `awsAccess.region` when the list is nil or empty.
    public var resolvedRegistries: [ResolvedRegistry] {
        guard let registries, !registries.isEmpty else {
            return [ResolvedRegistry(accountID: nil, region: awsAccess.region)]
        }
        return registries.map {
            ResolvedRegistry(accountID: $0.accountID, region: $0.region.flatMap { $0.isEmpty ? nil : $0 } ?? awsAccess.region)
        }
    }

    /// Distinct regions that need a token (one token per region serves every registry in it).
    public var tokenRegions: [String] {
        var seen = Set<String>()
        return resolvedRegistries.map(\.region).filter { seen.insert($0).inserted }
    }

    /// Whether the operator's own identity is used (no secretRef and no inline keys).
    public var usesAmbientCredentials: Bool { awsAccess.credentialSource == .ambient }
}

/// A registry with its region resolved against `awsAccess.region`.
public struct ResolvedRegistry: Hashable, Sendable {
    /// nil means "the account of the credentials": the host is learned from the token response.
    public var accountID: String?
    public var region: String

    public init(accountID: String?, region: String) {
        self.accountID = accountID
        self.region = region
    }
}
