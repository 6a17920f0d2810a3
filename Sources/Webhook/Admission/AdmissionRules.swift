import CRDModels

// The webhook's rules on top of CRDModels' validation. CRDModels owns the field rules; the checks here make
// sure the rules a webhook promises (immutability, the secretRef namespace, the ambient-credentials policy)
// hold even if a field rule is reported differently, and never report the same field twice.

extension ValidationReport {
    /// Whether an error already names `field` or one of its subfields.
    func mentions(_ field: String) -> Bool {
        errors.contains { $0.field == field || $0.field.hasPrefix(field + ".") || $0.field.hasPrefix(field + "[") }
    }

    mutating func addUnlessMentioned(_ field: String, _ message: String) {
        if !mentions(field) { errors.append(FieldViolation(field: field, message: message)) }
    }
}

/// Messages shared by both kinds.
enum AdmissionMessages {
    static let inlineKeysWarning =
        "spec.awsAccess: inline keys are stored in plain text; move them to a Secret and use secretRef"

    static func immutable(_ field: String, was old: String) -> String {
        "field is immutable (was \"\(old)\"); create a new resource to write a different Secret"
    }

    static func ambientRefused(policy: AmbientCredentialsPolicy, kind: String) -> String {
        "no credentials given (secretRef or inline keys), and the operator's own AWS identity is not allowed for "
            + "\(kind) (--allow-ambient-credentials=\(policy.rawValue)); add a secretRef, or ask the cluster admin "
            + "to run the operator with --allow-ambient-credentials="
            + (kind == WebhookKind.namespaced.rawValue ? "all" : "cluster-only")
    }
}

extension AWSAccess {
    /// Inline keys present at all (even beside a secretRef): they sit in plain text in etcd either way.
    var hasInlineKeys: Bool {
        accessKeyId != nil || secretAccessKey != nil
    }
}

extension AWSECRImagePullSecret {
    /// CRDModels' rules plus the webhook's, for CREATE (`old` nil) or UPDATE.
    func admissionReport(
        old: AWSECRImagePullSecret?, requestNamespace: String?, ambientPolicy: AmbientCredentialsPolicy
    ) -> ValidationReport {
        var report = old.map { validateUpdate(from: $0, ambientPolicy: ambientPolicy) }
            ?? validate(ambientPolicy: ambientPolicy)
        if let old, old.spec.secretName != spec.secretName {
            report.addUnlessMentioned(
                "spec.secretName", AdmissionMessages.immutable("spec.secretName", was: old.spec.secretName))
        }
        let namespace = metadata.namespace ?? requestNamespace
        if let refNamespace = spec.awsAccess.secretRef?.namespace, !refNamespace.isEmpty, refNamespace != namespace {
            report.addUnlessMentioned(
                "spec.awsAccess.secretRef.namespace",
                "must be empty or \"\(namespace ?? "")\": a namespaced resource may only read credentials from a "
                    + "Secret in its own namespace (got \"\(refNamespace)\")")
        }
        if spec.usesAmbientCredentials, !ambientPolicy.allows(namespaced: true) {
            report.addUnlessMentioned(
                "spec.awsAccess",
                AdmissionMessages.ambientRefused(policy: ambientPolicy, kind: WebhookKind.namespaced.rawValue))
        }
        if spec.awsAccess.hasInlineKeys, !report.warnings.contains(where: { $0.contains("inline") }) {
            report.warnings.append(AdmissionMessages.inlineKeysWarning)
        }
        return report
    }

    func secretClaim(requestNamespace: String?) -> SecretClaim {
        let namespace = metadata.namespace ?? requestNamespace ?? ""
        return SecretClaim(
            kind: WebhookKind.namespaced.rawValue, name: metadata.name ?? "", namespace: namespace,
            secretName: spec.secretName, targetNamespaces: namespace.isEmpty ? [] : [namespace])
    }
}

extension ClusterAWSECRImagePullSecret {
    func admissionReport(
        old: ClusterAWSECRImagePullSecret?, ambientPolicy: AmbientCredentialsPolicy
    ) -> ValidationReport {
        var report = old.map { validateUpdate(from: $0, ambientPolicy: ambientPolicy) }
            ?? validate(ambientPolicy: ambientPolicy)
        if let old, old.spec.secretName != spec.secretName {
            report.addUnlessMentioned(
                "spec.secretName", AdmissionMessages.immutable("spec.secretName", was: old.spec.secretName))
        }
        if let ref = spec.awsAccess.secretRef, (ref.namespace ?? "").isEmpty {
            report.addUnlessMentioned(
                "spec.awsAccess.secretRef.namespace",
                "required for ClusterAWSECRImagePullSecret: name the namespace of the credentials Secret")
        }
        if spec.usesAmbientCredentials, !ambientPolicy.allows(namespaced: false) {
            report.addUnlessMentioned(
                "spec.awsAccess",
                AdmissionMessages.ambientRefused(policy: ambientPolicy, kind: WebhookKind.cluster.rawValue))
        }
        if spec.awsAccess.hasInlineKeys, !report.warnings.contains(where: { $0.contains("inline") }) {
            report.warnings.append(AdmissionMessages.inlineKeysWarning)
        }
        return report
    }

    func secretClaim(requestNamespace: String?) -> SecretClaim {
        SecretClaim(
            kind: WebhookKind.cluster.rawValue, name: metadata.name ?? "", namespace: nil,
            secretName: spec.secretName, targetNamespaces: Array(Set(spec.namespaces ?? [])).sorted())
    }
}
