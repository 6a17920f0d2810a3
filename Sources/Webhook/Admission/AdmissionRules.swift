import CRDModels

// The webhook checks CRDModels' rules (the only home of the spec rules) and adds only what needs the
// request: the namespace the request names when a CREATE omits it, the old object of an UPDATE, and
// (in `AdmissionReviewer`) the other resources that claim the same Secret.

extension AWSECRImagePullSecret {
    /// CRDModels' rules for CREATE (`old` nil) or UPDATE, with the request's namespace where the
    /// object has none (the secretRef namespace rule compares against it).
    func admissionReport(
        old: AWSECRImagePullSecret?, requestNamespace: String?, ambientPolicy: AmbientCredentialsPolicy
    ) -> ValidationReport {
        // Copied only to fill in the namespace: a copy retains every string of the resource (2,000 instructions
        // of a review's 38,000), and the API server's objects carry their namespace.
        if metadata.namespace == nil, let requestNamespace {
            var object = self
            object.metadata.namespace = requestNamespace
            return object.admissionReport(old: old, requestNamespace: nil, ambientPolicy: ambientPolicy)
        }
        if let old { return validateUpdate(from: old, ambientPolicy: ambientPolicy) }
        return validate(ambientPolicy: ambientPolicy)
    }

    func secretClaim(requestNamespace: String?) -> SecretClaim {
        let namespace = metadata.namespace ?? requestNamespace ?? ""
        return SecretClaim(
            kind: WebhookKind.namespaced.rawValue, name: metadata.name ?? "", namespace: namespace,
            secretName: spec.secretName, targetNamespaces: namespace.isEmpty ? [] : [namespace])
    }
}

extension ClusterAWSECRImagePullSecret {
    /// CRDModels' rules for CREATE (`old` nil) or UPDATE.
    func admissionReport(
        old: ClusterAWSECRImagePullSecret?, ambientPolicy: AmbientCredentialsPolicy
    ) -> ValidationReport {
        if let old { return validateUpdate(from: old, ambientPolicy: ambientPolicy) }
        return validate(ambientPolicy: ambientPolicy)
    }

    func secretClaim(requestNamespace: String?) -> SecretClaim {
        SecretClaim(
            kind: WebhookKind.cluster.rawValue, name: metadata.name ?? "", namespace: nil,
            secretName: spec.secretName, targetNamespaces: Array(Set(spec.namespaces ?? [])).sorted())
    }
}
