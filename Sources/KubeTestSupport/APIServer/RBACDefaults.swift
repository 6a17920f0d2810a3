import CRDModels
import Foundation

/// The RBAC objects a new cluster has (kube-apiserver's bootstrap policy, v1.26), so that discovery,
/// health and version work for every user and `system:masters` has `cluster-admin`:
/// `system:discovery` and `system:basic-user` for `system:authenticated`, `system:public-info-viewer`
/// also for `system:unauthenticated`, and the aggregated `admin`, `edit` and `view` roles (which pick
/// up every ClusterRole labelled `rbac.authorization.k8s.io/aggregate-to-*`, as a chart's roles are).
///
/// Deliberate difference: the `system:aggregate-to-*` roles hold only their rules for the kinds this
/// server serves (core Secrets, ConfigMaps, ServiceAccounts, Events, Namespaces; RBAC for `admin`).
enum RBACDefaults {
    static let readVerbs = #"["get","list","watch"]"#
    static let writeVerbs = #"["create","delete","deletecollection","patch","update"]"#

    static let clusterRoles: [String] = [
        role("cluster-admin", rules: #"[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]},"#
            + #"{"nonResourceURLs":["*"],"verbs":["*"]}]"#),
        role("system:discovery", rules: #"[{"nonResourceURLs":["/api","/api/*","/apis","/apis/*","/healthz","#
            + #""/livez","/openapi","/openapi/*","/readyz","/version","/version/"],"verbs":["get"]}]"#),
        role("system:public-info-viewer", rules: #"[{"nonResourceURLs":["/healthz","/livez","/readyz","/version","#
            + #""/version/"],"verbs":["get"]}]"#),
        role("system:basic-user", rules: #"[{"apiGroups":["authorization.k8s.io"],"#
            + #""resources":["selfsubjectaccessreviews","selfsubjectrulesreviews"],"verbs":["create"]}]"#),
        aggregated("admin", selecting: "admin", labels: [:]),
        aggregated("edit", selecting: "edit", labels: ["rbac.authorization.k8s.io/aggregate-to-admin": "true"]),
        aggregated("view", selecting: "view", labels: ["rbac.authorization.k8s.io/aggregate-to-edit": "true"]),
        role(
            "system:aggregate-to-admin", labels: ["rbac.authorization.k8s.io/aggregate-to-admin": "true"],
            rules: #"[{"apiGroups":["authorization.k8s.io"],"resources":["localsubjectaccessreviews"],"#
                + #""verbs":["create"]},{"apiGroups":["rbac.authorization.k8s.io"],"#
                + #""resources":["rolebindings","roles"],"verbs":["create","delete","deletecollection","get","list","#
                + #""patch","update","watch"]}]"#),
        role(
            "system:aggregate-to-edit", labels: ["rbac.authorization.k8s.io/aggregate-to-edit": "true"],
            rules: #"[{"apiGroups":[""],"resources":["configmaps","events","secrets","serviceaccounts"],"#
                + #""verbs":\#(writeVerbs)},{"apiGroups":[""],"resources":["secrets"],"verbs":\#(readVerbs)},"#
                + #"{"apiGroups":[""],"resources":["serviceaccounts"],"verbs":["impersonate"]}]"#),
        role(
            "system:aggregate-to-view", labels: ["rbac.authorization.k8s.io/aggregate-to-view": "true"],
            rules: #"[{"apiGroups":[""],"resources":["configmaps","serviceaccounts"],"verbs":\#(readVerbs)},"#
                + #"{"apiGroups":[""],"resources":["events","namespaces/status"],"verbs":\#(readVerbs)},"#
                + #"{"apiGroups":[""],"resources":["namespaces"],"verbs":\#(readVerbs)}]"#),
    ]

    static let clusterRoleBindings: [String] = [
        binding("cluster-admin", groups: ["system:masters"]),
        binding("system:discovery", groups: ["system:authenticated"]),
        binding("system:basic-user", groups: ["system:authenticated"]),
        binding("system:public-info-viewer", groups: ["system:authenticated", "system:unauthenticated"]),
    ]

    /// Every default object, ClusterRoles first.
    static func objects() -> [JSONValue] {
        (clusterRoles + clusterRoleBindings).map { text in
            do {
                return try JSONValue.parse(Data(text.utf8))
            } catch {
                preconditionFailure("RBACDefaults: invalid JSON \(text): \(error)")
            }
        }
    }

    private static func metadata(_ name: String, labels: [String: String]) -> String {
        let allLabels = labels.merging(["kubernetes.io/bootstrapping": "rbac-defaults"]) { a, _ in a }
        let labelText = allLabels.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }
            .joined(separator: ",")
        return #"{"name":"\#(name)","labels":{\#(labelText)},"#
            + #""annotations":{"rbac.authorization.kubernetes.io/autoupdate":"true"}}"#
    }

    private static func role(_ name: String, labels: [String: String] = [:], rules: String) -> String {
        #"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","#
            + #""metadata":\#(metadata(name, labels: labels)),"rules":\#(rules)}"#
    }

    private static func aggregated(_ name: String, selecting target: String, labels: [String: String]) -> String {
        #"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","#
            + #""metadata":\#(metadata(name, labels: labels)),"aggregationRule":{"clusterRoleSelectors":"#
            + #"[{"matchLabels":{"rbac.authorization.k8s.io/aggregate-to-\#(target)":"true"}}]},"rules":[]}"#
    }

    private static func binding(_ name: String, groups: [String]) -> String {
        let subjects = groups.map { #"{"apiGroup":"rbac.authorization.k8s.io","kind":"Group","name":"\#($0)"}"# }
        return #"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","#
            + #""metadata":\#(metadata(name, labels: [:])),"roleRef":{"apiGroup":"rbac.authorization.k8s.io","#
            + #""kind":"ClusterRole","name":"\#(name)"},"subjects":[\#(subjects.joined(separator: ","))]}"#
    }
}
