import CRDModels

/// What kube-apiserver's RBAC registry does to Roles, ClusterRoles and their bindings on create and
/// update (k8s.io/kubernetes `pkg/apis/rbac/v1/defaults.go` and `pkg/apis/rbac/validation`): it
/// defaults `roleRef.apiGroup` and the `apiGroup` of User and Group subjects, refuses rules without
/// verbs, resources or API groups, non-resource URLs in namespaced rules, unknown role and subject
/// kinds, ServiceAccount subjects of a ClusterRoleBinding without a namespace, and any change of a
/// binding's `roleRef`.
///
/// Deliberate difference: there is no escalation check (creating a role or binding with rights the
/// writer lacks is refused by a real server unless it has `escalate`/`bind`).
enum RBACValidation {
    static func prepare(_ object: inout JSONValue, old: JSONValue?, type: APIResourceType) throws(APIError) {
        let isBinding = type.kind.hasSuffix("Binding")
        if isBinding { applyDefaults(&object) }
        let causes =
            isBinding
            ? bindingErrors(object, namespaced: type.namespaced, old: old)
            : (object["rules"]?.arrayValue ?? []).enumerated().flatMap { index, rule in
                ruleErrors(rule, path: "rules[\(index)]", namespaced: type.namespaced)
            }
        guard causes.isEmpty else {
            let name = object["metadata"]?["name"]?.stringValue ?? ""
            throw APIError.invalid(kind: type.kind, group: RBAC.group, name: name, causes: causes)
        }
    }

    static func applyDefaults(_ binding: inout JSONValue) {
        if (binding["roleRef"]?["apiGroup"]?.stringValue ?? "").isEmpty {
            binding["roleRef"]?["apiGroup"] = .string(RBAC.group)
        }
        guard var subjects = binding["subjects"]?.arrayValue else { return }
        for index in subjects.indices {
            let kind = subjects[index]["kind"]?.stringValue ?? ""
            if (kind == "User" || kind == "Group") && (subjects[index]["apiGroup"]?.stringValue ?? "").isEmpty {
                subjects[index]["apiGroup"] = .string(RBAC.group)
            }
        }
        binding["subjects"] = .array(subjects)
    }

    static func ruleErrors(_ rule: JSONValue, path: String, namespaced: Bool) -> [FieldError] {
        func list(_ key: String) -> [String] { rule[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        var errors: [FieldError] = []
        if list("verbs").isEmpty { errors.append(.required("\(path).verbs", "verbs must contain at least one value")) }
        let urls = list("nonResourceURLs")
        if !urls.isEmpty {
            let value = "[]string{" + urls.map { "\"\($0)\"" }.joined(separator: ", ") + "}"
            if namespaced {
                errors.append(
                    .invalid("\(path).nonResourceURLs", value: value, "namespaced rules cannot apply to non-resource URLs"))
            }
            if !list("apiGroups").isEmpty || !list("resources").isEmpty || !list("resourceNames").isEmpty {
                errors.append(
                    .invalid(
                        "\(path).nonResourceURLs", value: value,
                        "rules cannot apply to both regular resources and non-resource URLs"))
            }
            return errors
        }
        if rule["apiGroups"]?.arrayValue?.isEmpty ?? true {
            errors.append(.required("\(path).apiGroups", "resource rules must supply at least one api group"))
        }
        if list("resources").isEmpty {
            errors.append(.required("\(path).resources", "resource rules must supply at least one resource"))
        }
        return errors
    }

    static func bindingErrors(_ binding: JSONValue, namespaced: Bool, old: JSONValue?) -> [FieldError] {
        var errors: [FieldError] = []
        let roleRef = binding["roleRef"]
        let apiGroup = roleRef?["apiGroup"]?.stringValue ?? ""
        if apiGroup != RBAC.group { errors.append(notSupported("roleRef.apiGroup", apiGroup, [RBAC.group])) }
        let kind = roleRef?["kind"]?.stringValue ?? ""
        let kinds = namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"]
        if !kinds.contains(kind) { errors.append(notSupported("roleRef.kind", kind, kinds)) }
        if (roleRef?["name"]?.stringValue ?? "").isEmpty { errors.append(.required("roleRef.name", "")) }
        for (index, subject) in (binding["subjects"]?.arrayValue ?? []).enumerated() {
            let path = "subjects[\(index)]"
            let subjectGroup = subject["apiGroup"]?.stringValue ?? ""
            if (subject["name"]?.stringValue ?? "").isEmpty { errors.append(.required("\(path).name", "")) }
            switch subject["kind"]?.stringValue ?? "" {
            case "ServiceAccount":
                if !subjectGroup.isEmpty { errors.append(notSupported("\(path).apiGroup", subjectGroup, [""])) }
                if !namespaced && (subject["namespace"]?.stringValue ?? "").isEmpty {
                    errors.append(.required("\(path).namespace", ""))
                }
            case "User", "Group":
                if subjectGroup != RBAC.group {
                    errors.append(notSupported("\(path).apiGroup", subjectGroup, [RBAC.group]))
                }
            case let other:
                errors.append(notSupported("\(path).kind", other, ["ServiceAccount", "User", "Group"]))
            }
        }
        if let old, old["roleRef"] != roleRef {
            errors.append(.invalid("roleRef", value: goValue(roleRef), "cannot change roleRef"))
        }
        return errors
    }

    /// `field.NotSupported`.
    static func notSupported(_ field: String, _ value: String, _ supported: [String]) -> FieldError {
        let list = supported.map { "\"\($0)\"" }.joined(separator: ", ")
        return FieldError(
            type: "FieldValueNotSupported", field: field,
            body: "Unsupported value: \"\(value)\": supported values: \(list)")
    }

    /// How Go's `%#v` prints a RoleRef in the "cannot change roleRef" message.
    static func goValue(_ roleRef: JSONValue?) -> String {
        func field(_ key: String) -> String { roleRef?[key]?.stringValue ?? "" }
        return "rbac.RoleRef{APIGroup:\"\(field("apiGroup"))\", Kind:\"\(field("kind"))\", Name:\"\(field("name"))\"}"
    }
}
