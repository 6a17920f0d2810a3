import CRDModels
import Foundation
import NIOConcurrencyHelpers

/// Who made a request: kube-apiserver's `user.Info` (name and groups).
public struct UserInfo: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    /// The user's uid, when the authenticator knows one (a static token's third column).
    public var uid: String?
    public var groups: [String]

    public init(name: String, uid: String? = nil, groups: [String]) {
        self.name = name
        self.uid = uid
        self.groups = groups
    }

    public var description: String { "\(name) \(groups)" }

    /// A request without credentials (kube-apiserver's `--anonymous-auth`, on by default).
    static let anonymous = UserInfo(name: "system:anonymous", groups: ["system:unauthenticated"])

    /// Every authenticated user also gets `system:authenticated` (the authenticator chain's group adder).
    func authenticated() -> UserInfo {
        groups.contains("system:authenticated")
            ? self : UserInfo(name: name, uid: uid, groups: groups + ["system:authenticated"])
    }

    /// `system:serviceaccount:NS:NAME` in groups `system:serviceaccounts` and `system:serviceaccounts:NS`.
    public static func serviceAccount(namespace: String, name: String) -> UserInfo {
        UserInfo(
            name: "system:serviceaccount:\(namespace):\(name)",
            groups: ["system:serviceaccounts", "system:serviceaccounts:\(namespace)"]
        ).authenticated()
    }
}

/// Maps credentials to users as kube-apiserver's authenticator chain does: a verified client
/// certificate first, then a bearer token (static tokens, then ServiceAccount tokens this server
/// issued); no credentials at all is `system:anonymous`. A bearer token nobody knows is a 401, even
/// on `/healthz`.
final class Authenticator: Sendable {
    /// A ServiceAccount token issued by the TokenRequest API: valid until it expires, and only while
    /// the ServiceAccount with that uid exists (as bound tokens are).
    struct IssuedToken: Sendable {
        var namespace: String
        var name: String
        var uid: String
        var expires: Date
    }

    private struct State {
        var tokens: [String: UserInfo] = [:]
        var serviceAccountTokens: [String: IssuedToken] = [:]
        /// Groups (the certificate's `O=`) of client certificates this server issued, by common name.
        var certificateGroups: [String: [String]] = [:]
    }

    /// The identity of the `token:` given to `KubeAPITestServer.start`.
    /// Its uid is the recorded cluster's (`--token-auth-file` line `TOKEN,admin,1,system:masters`).
    static let admin = UserInfo(name: "admin", uid: "1", groups: ["system:masters"])

    private let state = NIOLockedValueBox(State())
    /// With no admin token (`token: nil`), requests without credentials are the admin (kubectl over
    /// plain HTTP sends no token); otherwise they are anonymous.
    private let credentialFreeIsAdmin: Bool

    init(adminToken: String?) {
        credentialFreeIsAdmin = adminToken == nil
        if let adminToken { addToken(adminToken, user: Self.admin) }
    }

    func addToken(_ token: String, user: UserInfo) {
        state.withLockedValue { $0.tokens[token] = user }
    }

    func addCertificateUser(commonName: String, groups: [String]) {
        state.withLockedValue { $0.certificateGroups[commonName] = groups }
    }

    func addServiceAccountToken(_ token: String, _ issued: IssuedToken) {
        state.withLockedValue { $0.serviceAccountTokens[token] = issued }
    }

    enum Outcome: Equatable {
        case user(UserInfo)
        case unauthorized
    }

    /// `serviceAccountUID` answers the uid of a stored ServiceAccount (nil if it does not exist).
    func authenticate(
        _ request: APIRequest, now: Date, serviceAccountUID: (_ namespace: String, _ name: String) -> String?
    ) -> Outcome {
        if let commonName = request.certificateUser {
            let groups = state.withLockedValue { $0.certificateGroups[commonName] } ?? []
            return .user(UserInfo(name: commonName, groups: groups).authenticated())
        }
        guard let token = Self.bearerToken(request.header("Authorization")) else {
            return .user(credentialFreeIsAdmin ? Self.admin.authenticated() : .anonymous)
        }
        let (user, issued) = state.withLockedValue { ($0.tokens[token], $0.serviceAccountTokens[token]) }
        if let user { return .user(user.authenticated()) }
        if let issued, issued.expires > now, serviceAccountUID(issued.namespace, issued.name) == issued.uid {
            return .user(.serviceAccount(namespace: issued.namespace, name: issued.name))
        }
        return .unauthorized
    }

    /// The token of an `Authorization: Bearer TOKEN` header (k8s.io/apiserver `bearertoken.go`): another
    /// scheme or an empty token counts as no credentials.
    static func bearerToken(_ header: String?) -> String? {
        guard let header = header?.trimmingSpaces, !header.isEmpty else { return nil }
        let parts = header.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else { return nil }
        return String(parts[1])
    }
}
