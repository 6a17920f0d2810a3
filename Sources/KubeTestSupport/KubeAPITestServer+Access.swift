import CRDModels
import Foundation

/// Users, tokens and RBAC.
///
/// Every request is authenticated and then authorized by RBAC, as on a real cluster:
/// - the `token:` given to `start` is user `admin` in `system:masters` (allowed everything);
/// - `addUser(token:name:groups:)` registers more static tokens (kube-apiserver's `--token-auth-file`);
/// - `POST /api/v1/namespaces/NS/serviceaccounts/NAME/token` (or `serviceAccountToken(namespace:name:)`)
///   issues a token for a stored ServiceAccount: user `system:serviceaccount:NS:NAME` in
///   `system:serviceaccounts` and `system:serviceaccounts:NS`, valid until it expires and while that
///   ServiceAccount (same uid) exists;
/// - client certificates from `clientCertificate(user:groups:)` are that user in those groups;
/// - no credentials is `system:anonymous` (group `system:unauthenticated`); an unknown token is 401.
/// Every authenticated user is also in `system:authenticated`. Roles, ClusterRoles and their bindings
/// are ordinary resources (create them over HTTP or with `seed`); the defaults of a new cluster are
/// there from the start (`cluster-admin`, `system:discovery`, `system:basic-user`,
/// `system:public-info-viewer`, the aggregated `admin`/`edit`/`view`). Requests RBAC refuses answer
/// kube-apiserver's 403 Forbidden Status and are recorded in `rbacDenials`.
extension KubeAPITestServer {
    /// Makes `token` authenticate as user `name` in `groups` (plus `system:authenticated`).
    public func addUser(token: String, name: String, groups: [String] = []) {
        access.authenticator.addToken(token, user: UserInfo(name: name, groups: groups))
    }

    /// Issues a token for the stored ServiceAccount `namespace/name` exactly as the TokenRequest API
    /// does (`expirationSeconds` at least 600). Throws the API's error (404 if there is no such
    /// ServiceAccount).
    public func serviceAccountToken(namespace: String, name: String, expirationSeconds: Int = 3600) throws -> String {
        let request: JSONValue = .object(["spec": .object(["expirationSeconds": .number(Double(expirationSeconds))])])
        let answer = try access.issueToken(namespace: namespace, name: name, request: request)
        return answer["status"]?["token"]?.stringValue ?? ""
    }

    /// The requests RBAC refused with 403 since the start (or `clearRBACDenials()`), in order.
    public var rbacDenials: [RBACDenial] { access.recordedDenials }

    public func clearRBACDenials() { access.clearDenials() }

    /// The distinct requests RBAC allowed since the start, sorted: what each user really needed.
    public var authorizedRequests: [AuthorizedRequest] { access.recordedAuthorized }

    /// What RBAC decides for `user` doing `verb` on a resource, without sending a request (e.g. to
    /// check a rendered chart's rules). `resource` may be `resource/subresource`.
    public func isAllowed(
        _ user: UserInfo, verb: String, group: String = "", resource: String, namespace: String = "", name: String = ""
    ) -> Bool {
        let parts = resource.split(separator: "/", maxSplits: 1).map(String.init)
        let attributes = RequestAttributes(
            isResourceRequest: true, path: "", verb: verb, apiGroup: group, namespace: namespace,
            resource: parts.first ?? "", subresource: parts.count > 1 ? parts[1] : "", name: name)
        return access.policy().authorize(attributes, user: user).allowed
    }
}
