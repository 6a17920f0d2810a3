extension AWSECRImagePullSecret {
    /// Every rule violation of this resource, and warnings. Pure: used by the webhook and by the reconciler
    /// (which refuses to act on an invalid spec even if the webhook was bypassed).
    ///
    /// Scope rules: `awsAccess.secretRef.namespace` may only repeat the resource's own namespace (a tenant
    /// cannot read another namespace's Secret); no credential source is allowed only with policy `.all`.
    public func validate(ambientPolicy: AmbientCredentialsPolicy) -> ValidationReport {
        var report = ValidationReport()
        validateMetadataName(metadata, into: &report)
        spec.validateCommon(into: &report, namespaced: true, ambientPolicy: ambientPolicy)
        if let refNamespace = spec.awsAccess.secretRef?.namespace, !refNamespace.isEmpty, let own = metadata.namespace,
            refNamespace != own
        {
            report.error(
                "spec.awsAccess.secretRef.namespace",
                "must be empty or \(quoted(own)) (the resource's own namespace): a namespaced resource may only "
                    + "read credentials from its own namespace; use ClusterAWSECRImagePullSecret for others")
        }
        report.warnings = spec.commonWarnings()
        return report
    }

    /// `validate` plus the rules for changes: `spec.secretName` is immutable.
    public func validateUpdate(
        from old: AWSECRImagePullSecret, ambientPolicy: AmbientCredentialsPolicy
    ) -> ValidationReport {
        var report = validate(ambientPolicy: ambientPolicy)
        validateSecretNameUnchanged(old: old.spec.secretName, new: spec.secretName, into: &report)
        return report
    }
}

func validateSecretNameUnchanged(old: String, new: String, into report: inout ValidationReport) {
    if old != new {
        report.error(
            "spec.secretName",
            "is immutable (was \(quoted(old)), now \(quoted(new))); create a new resource for a new Secret name")
    }
}
