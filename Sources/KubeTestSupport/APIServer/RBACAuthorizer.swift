import CRDModels

/// `rbac.authorization.k8s.io/v1` rules, subjects and references, decoded from stored objects.
enum RBAC {
    static let group = "rbac.authorization.k8s.io"

    struct PolicyRule: Codable, Hashable, Sendable {
        var verbs: [String]?
        var apiGroups: [String]?
        var resources: [String]?
        var resourceNames: [String]?
        var nonResourceURLs: [String]?
    }

    struct Subject: Codable, Hashable, Sendable {
        var kind: String
        var name: String
        var namespace: String?
    }

    struct RoleRef: Codable, Hashable, Sendable {
        var kind: String
        var name: String
    }

    struct AggregationRule: Codable, Hashable, Sendable {
        var clusterRoleSelectors: [LabelSelector]?
    }

    struct Metadata: Codable, Hashable, Sendable {
        var name: String
        var namespace: String?
        var labels: [String: String]?
    }

    /// A Role or ClusterRole.
    struct Role: Codable, Hashable, Sendable {
        var metadata: Metadata
        var rules: [PolicyRule]?
        var aggregationRule: AggregationRule?
    }

    /// A RoleBinding or ClusterRoleBinding.
    struct Binding: Codable, Hashable, Sendable {
        var metadata: Metadata
        var subjects: [Subject]?
        var roleRef: RoleRef
    }

    /// The resource types this server stores for RBAC (all four support every verb).
    static let types: [APIResourceType] = [
        ("Role", "roles", true), ("RoleBinding", "rolebindings", true), ("ClusterRole", "clusterroles", false),
        ("ClusterRoleBinding", "clusterrolebindings", false),
    ].map { kind, plural, namespaced in
        APIResourceType(
            group: group, version: "v1", kind: kind, listKind: kind + "List", plural: plural,
            singular: kind.lowercased(), namespaced: namespaced)
    }
}

/// The RBAC objects in force at one moment, and kube-apiserver's RBAC authorizer over them
/// (`plugin/pkg/auth/authorizer/rbac`): a request is allowed when a rule of a role bound to the user,
/// one of its groups or its ServiceAccount allows it. ClusterRoleBindings apply everywhere,
/// RoleBindings in their namespace (to a Role of that namespace or a ClusterRole). A ClusterRole
/// with an `aggregationRule` has the rules of every ClusterRole its selectors match, as the
/// clusterrole-aggregation controller would write them. Members of `system:masters` are allowed
/// everything without looking at RBAC, as kube-apiserver's privileged-group authorizer does.
struct RBACPolicy: Sendable {
    var roles: [String: [String: RBAC.Role]] = [:]
    var clusterRoles: [String: RBAC.Role] = [:]
    var roleBindings: [String: [RBAC.Binding]] = [:]
    var clusterRoleBindings: [RBAC.Binding] = []

    struct Decision: Equatable, Sendable {
        var allowed: Bool
        /// `RBAC: allowed by ...` when allowed, `RBAC: <errors>` or empty when denied.
        var reason: String
    }

    func authorize(_ attributes: RequestAttributes, user: UserInfo) -> Decision {
        if user.groups.contains("system:masters") { return Decision(allowed: true, reason: "") }
        var errors: [String] = []
        for binding in clusterRoleBindings.sorted(by: { $0.metadata.name < $1.metadata.name }) {
            guard let subject = Self.matchingSubject(binding.subjects, user: user, namespace: "") else { continue }
            switch rules(of: binding.roleRef, bindingNamespace: "") {
            case .failure(let error): errors.append(error.message)
            case .success(let rules):
                if rules.contains(where: { Self.allows($0, attributes) }) {
                    return allowed(by: "ClusterRoleBinding", binding, subject: subject)
                }
            }
        }
        if !attributes.namespace.isEmpty {
            let bindings = roleBindings[attributes.namespace] ?? []
            for binding in bindings.sorted(by: { $0.metadata.name < $1.metadata.name }) {
                guard let subject = Self.matchingSubject(binding.subjects, user: user, namespace: attributes.namespace)
                else { continue }
                switch rules(of: binding.roleRef, bindingNamespace: attributes.namespace) {
                case .failure(let error): errors.append(error.message)
                case .success(let rules):
                    if rules.contains(where: { Self.allows($0, attributes) }) {
                        return allowed(by: "RoleBinding", binding, subject: subject)
                    }
                }
            }
        }
        // utilerrors.NewAggregate prints one error alone, several as "[a, b]".
        let aggregate = errors.count == 1 ? errors[0] : "[" + errors.joined(separator: ", ") + "]"
        return Decision(allowed: false, reason: errors.isEmpty ? "" : "RBAC: " + aggregate)
    }

    /// The reason an allowed SubjectAccessReview reports (rbac `clusterRoleBindingDescriber`/`roleBindingDescriber`).
    private func allowed(by kind: String, _ binding: RBAC.Binding, subject: RBAC.Subject) -> Decision {
        let bindingNamespace = binding.metadata.namespace ?? ""
        let bindingName = kind == "RoleBinding" ? "\(binding.metadata.name)/\(bindingNamespace)" : binding.metadata.name
        var who = "\(subject.kind) \"\(subject.name)\""
        if subject.kind == "ServiceAccount" {
            let namespace = subject.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? bindingNamespace
            who = "ServiceAccount \"\(subject.name)/\(namespace)\""
        }
        let source = "\(kind) \"\(bindingName)\" of \(binding.roleRef.kind) \"\(binding.roleRef.name)\""
        return Decision(allowed: true, reason: "RBAC: allowed by \(source) to \(who)")
    }

    struct LookupError: Error {
        var message: String
    }

    /// The rules a binding grants; a missing role is an error that RBAC reports in the denial reason.
    func rules(of reference: RBAC.RoleRef, bindingNamespace: String) -> Result<[RBAC.PolicyRule], LookupError> {
        switch reference.kind {
        case "Role":
            guard let role = roles[bindingNamespace]?[reference.name] else {
                return .failure(LookupError(message: "role.rbac.authorization.k8s.io \"\(reference.name)\" not found"))
            }
            return .success(role.rules ?? [])
        case "ClusterRole":
            guard clusterRoles[reference.name] != nil else {
                return .failure(
                    LookupError(message: "clusterrole.rbac.authorization.k8s.io \"\(reference.name)\" not found"))
            }
            return .success(effectiveRules(ofClusterRole: reference.name))
        default:
            return .failure(LookupError(message: "unsupported role reference kind: \"\(reference.kind)\""))
        }
    }

    /// A ClusterRole's own rules, or for an aggregated one the rules of the ClusterRoles it selects
    /// (in name order, duplicates once, nested aggregation followed).
    func effectiveRules(ofClusterRole name: String, visiting: Set<String> = []) -> [RBAC.PolicyRule] {
        guard let role = clusterRoles[name] else { return [] }
        guard let selectors = role.aggregationRule?.clusterRoleSelectors else { return role.rules ?? [] }
        var rules: [RBAC.PolicyRule] = []
        let visited = visiting.union([name])
        for selector in selectors {
            for candidate in clusterRoles.keys.sorted() where !visited.contains(candidate) {
                guard selector.matches(clusterRoles[candidate]?.metadata.labels ?? [:]) else { continue }
                for rule in effectiveRules(ofClusterRole: candidate, visiting: visited) where !rules.contains(rule) {
                    rules.append(rule)
                }
            }
        }
        return rules
    }

    /// The first subject that names this user: by name, by group, or as its ServiceAccount (a
    /// ServiceAccount subject without a namespace means the binding's own namespace).
    static func matchingSubject(_ subjects: [RBAC.Subject]?, user: UserInfo, namespace: String) -> RBAC.Subject? {
        (subjects ?? []).first { subject in
            switch subject.kind {
            case "User": return subject.name == user.name
            case "Group": return user.groups.contains(subject.name)
            case "ServiceAccount":
                let saNamespace = subject.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? namespace
                return !saNamespace.isEmpty && user.name == "system:serviceaccount:\(saNamespace):\(subject.name)"
            default: return false
            }
        }
    }

    /// `RuleAllows` (k8s.io/kubernetes `pkg/apis/rbac/v1/evaluation_helpers.go`).
    static func allows(_ rule: RBAC.PolicyRule, _ attributes: RequestAttributes) -> Bool {
        let verbs = rule.verbs ?? []
        guard verbs.contains("*") || verbs.contains(attributes.verb) else { return false }
        guard attributes.isResourceRequest else {
            return (rule.nonResourceURLs ?? []).contains { url in
                url == "*" || url == attributes.path
                    || (url.hasSuffix("*") && attributes.path.hasPrefix(String(url.dropLast())))
            }
        }
        let groups = rule.apiGroups ?? []
        guard groups.contains("*") || groups.contains(attributes.apiGroup) else { return false }
        let resourceMatches = (rule.resources ?? []).contains { resource in
            resource == "*" || resource == attributes.combinedResource
                || (!attributes.subresource.isEmpty && resource == "*/" + attributes.subresource)
        }
        guard resourceMatches else { return false }
        let names = rule.resourceNames ?? []
        return names.isEmpty || names.contains(attributes.name)
    }
}
