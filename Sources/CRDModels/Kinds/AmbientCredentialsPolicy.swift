/// Who may use the operator's own AWS identity (IRSA, Pod Identity, environment, IMDS): the value of
/// `--allow-ambient-credentials`.
///
/// The default is `clusterOnly`: a namespaced resource with no credential source would otherwise let any
/// tenant who can create one mint pull credentials for every registry the operator's role can read.
public enum AmbientCredentialsPolicy: String, Codable, Hashable, Sendable, CaseIterable {
    /// Cluster-scoped resources only (default).
    case clusterOnly = "cluster-only"
    /// Both kinds.
    case all
    /// Neither kind: every resource must name a credential source.
    case none

    public static let `default`: AmbientCredentialsPolicy = .clusterOnly

    /// Whether a resource of the given scope may use the operator's identity.
    public func allows(namespaced: Bool) -> Bool {
        switch self {
        case .all: true
        case .clusterOnly: !namespaced
        case .none: false
        }
    }
}
