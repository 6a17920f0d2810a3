import CRDModels
import KubeClient

/// Turns `spec.awsAccess` into credentials: keys from the referenced Secret (read by GET at
/// reconcile time, never cached), inline keys, or the operator's identity where policy allows.
struct CredentialResolver: Sendable {
    let client: KubeClient
    let policy: AmbientCredentialsPolicy

    /// - Parameter secretNamespace: where `secretRef` lives (the resource's own namespace for the
    ///   namespaced kind, `secretRef.namespace` for the cluster kind).
    func resolve(_ access: AWSAccess, secretNamespace: String?, namespacedResource: Bool) async throws
        -> ResolvedCredentials
    {
        let role = access.roleARN.flatMap { $0.isEmpty ? nil : $0 }
        switch access.credentialSource {
        case .ambient:
            guard policy.allows(namespaced: namespacedResource) else {
                throw OperatorError(
                    code: .ambientCredentialsNotAllowed,
                    message:
                        "no credential source is set and --allow-ambient-credentials=\(policy.rawValue) does not let "
                        + "\(namespacedResource ? "namespaced" : "cluster") resources use the operator's own identity; "
                        + "set spec.awsAccess.secretRef")
            }
            return ResolvedCredentials(source: .ambient, roleARN: role, externalID: access.effectiveExternalID)
        case .inline:
            guard let id = access.accessKeyId, !id.isEmpty, let secret = access.secretAccessKey, !secret.isEmpty else {
                throw OperatorError(
                    code: .credentialsSecretInvalid,
                    message: "spec.awsAccess: accessKeyId and secretAccessKey must both be set")
            }
            return ResolvedCredentials(
                source: .keys(accessKeyID: id, secretAccessKey: secret, sessionToken: nil), roleARN: role,
                externalID: access.effectiveExternalID)
        case .secretRef:
            guard let ref = access.secretRef, let namespace = secretNamespace, !namespace.isEmpty else {
                throw OperatorError(
                    code: .credentialsSecretInvalid, message: "spec.awsAccess.secretRef.namespace is required")
            }
            let secret: Secret
            do {
                secret = try await client.get(Secret.self, name: ref.name, namespace: namespace)
            } catch let error as KubeAPIError where error.isNotFound {
                throw OperatorError(
                    code: .credentialsSecretMissing,
                    message: "credentials Secret \(namespace)/\(ref.name) does not exist")
            } catch {
                throw OperatorError(
                    code: .kubeAPI, message: "reading credentials Secret \(namespace)/\(ref.name) failed",
                    cause: error)
            }
            func value(_ key: String) -> String? {
                guard let data = secret.data?[key], let text = String(data: data, encoding: .utf8) else { return nil }
                let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                return trimmed.isEmpty ? nil : trimmed
            }
            guard let id = value(ref.resolvedAccessKeyIdKey) else {
                throw OperatorError(
                    code: .credentialsSecretInvalid,
                    message: "credentials Secret \(namespace)/\(ref.name) has no non-empty key \(ref.resolvedAccessKeyIdKey)")
            }
            guard let key = value(ref.resolvedSecretAccessKeyKey) else {
                throw OperatorError(
                    code: .credentialsSecretInvalid,
                    message:
                        "credentials Secret \(namespace)/\(ref.name) has no non-empty key \(ref.resolvedSecretAccessKeyKey)")
            }
            return ResolvedCredentials(
                source: .keys(accessKeyID: id, secretAccessKey: key, sessionToken: value(ref.resolvedSessionTokenKey)),
                roleARN: role, externalID: access.effectiveExternalID)
        }
    }
}
