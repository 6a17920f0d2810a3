extension ClusterAWSECRImagePullSecret {
    /// Every rule violation of this resource, and warnings. Pure: used by the webhook and by the reconciler.
    ///
    /// Scope rules: `awsAccess.secretRef.namespace` is required; target namespaces come from `namespaces`
    /// (DNS-1123 labels, no duplicates) and/or a well-formed `namespaceSelector`, at least one of them.
    public func validate(ambientPolicy: AmbientCredentialsPolicy) -> ValidationReport {
        var report = ValidationReport()
        validateMetadataName(metadata, into: &report)
        spec.validateCommon(into: &report, namespaced: false, ambientPolicy: ambientPolicy)
        if let ref = spec.awsAccess.secretRef {
            if let namespace = ref.namespace {
                if !Formats.isDNS1123Label(namespace) {
                    report.error(
                        "spec.awsAccess.secretRef.namespace",
                        "\(quoted(namespace)) is not a DNS-1123 label \(Rule.dns1123Label)")
                }
            } else {
                report.error(
                    "spec.awsAccess.secretRef.namespace",
                    "is required for a cluster-scoped resource (the namespace of the credentials Secret)")
            }
        }
        validateNames(
            spec.namespaces ?? [], field: "spec.namespaces", into: &report, check: Formats.isDNS1123Label,
            rule: "is not a DNS-1123 label \(Rule.dns1123Label)")
        if let selector = spec.namespaceSelector {
            validateSelector(selector, field: "spec.namespaceSelector", into: &report)
        }
        if (spec.namespaces ?? []).isEmpty, case .none = spec.namespaceSelector {  // (see `AWSAccess.credentialSource`)
            report.error("spec", "set at least one of namespaces or namespaceSelector ({} selects every namespace)")
        }
        report.warnings = spec.commonWarnings()
        return report
    }

    /// `validate` plus the rules for changes: `spec.secretName` is immutable.
    public func validateUpdate(
        from old: ClusterAWSECRImagePullSecret, ambientPolicy: AmbientCredentialsPolicy
    ) -> ValidationReport {
        var report = validate(ambientPolicy: ambientPolicy)
        validateSecretNameUnchanged(old: old.spec.secretName, new: spec.secretName, into: &report)
        return report
    }
}

/// `metav1.LabelSelector` rules as the API server applies them (`ValidateLabelSelector`).
func validateSelector(_ selector: LabelSelector, field: String, into report: inout ValidationReport) {
    for (key, value) in (selector.matchLabels ?? [:]).sorted(by: { $0.key < $1.key }) {
        if !Formats.isQualifiedName(key) {
            report.error("\(field).matchLabels[\(key)]", "\(quoted(key)) is not a valid label key")
        }
        if !Formats.isLabelValue(value) {
            report.error("\(field).matchLabels[\(key)]", "\(quoted(value)) is not a valid label value")
        }
    }
    for (index, requirement) in (selector.matchExpressions ?? []).enumerated() {
        let path = "\(field).matchExpressions[\(index)]"
        if !Formats.isQualifiedName(requirement.key) {
            report.error("\(path).key", "\(quoted(requirement.key)) is not a valid label key")
        }
        let values = requirement.values ?? []
        switch requirement.operator {
        case "In", "NotIn":
            if values.isEmpty {
                report.error("\(path).values", "must be non-empty when operator is \(requirement.operator)")
            }
        case "Exists", "DoesNotExist":
            if !values.isEmpty {
                report.error("\(path).values", "must be empty when operator is \(requirement.operator)")
            }
        default:
            report.error(
                "\(path).operator",
                "\(quoted(requirement.operator)) is not a selector operator (In, NotIn, Exists, DoesNotExist)")
        }
        for (valueIndex, value) in values.enumerated() where !Formats.isLabelValue(value) {
            report.error("\(path).values[\(valueIndex)]", "\(quoted(value)) is not a valid label value")
        }
    }
}
