import CRDModels
import KubeClient

/// Turns `spec.awsAccess` into credentials: keys from the referenced Secret (read by GET at
/// reconcile time, never cached), inline keys, or the operator's identity. Whether the operator's
/// identity may be used is a spec rule (`validate(ambientPolicy:)`), checked before this runs.
struct CredentialResolver: Sendable {
    let api: any KubeObjectAPI

    /// - Parameter secretNamespace: where `secretRef` lives (the resource's own namespace for the
    ///   namespaced kind, `secretRef.namespace` for the cluster kind).
    func resolve(_ access: AWSAccess, secretNamespace: String?) async throws(CredentialsFailure)
        -> ResolvedCredentials
    {
        let role = access.roleARN.flatMap { $0.isEmpty ? nil : $0 }
        switch access.credentialSource {
        case .ambient:
            return ResolvedCredentials(source: .ambient, roleARN: role, externalID: access.effectiveExternalID)
        case .inline:
            guard let id = access.accessKeyId, !id.isEmpty, let secret = access.secretAccessKey, !secret.isEmpty else {
                throw CredentialsFailure(
                    kind: .secretInvalid, message: "spec.awsAccess: accessKeyId and secretAccessKey must both be set")
            }
            return ResolvedCredentials(
                source: .keys(accessKeyID: id, secretAccessKey: secret, sessionToken: nil), roleARN: role,
                externalID: access.effectiveExternalID)
        case .secretRef:
            guard let ref = access.secretRef, let namespace = secretNamespace, !namespace.isEmpty else {
                throw CredentialsFailure(kind: .secretInvalid, message: "spec.awsAccess.secretRef.namespace is required")
            }
            let secret: Secret
            do {
                secret = try await api.get(Secret.self, name: ref.name, namespace: namespace)
            } catch let error as KubeAPIError where error.isNotFound {
                throw CredentialsFailure(
                    kind: .secretMissing, message: "credentials Secret \(namespace)/\(ref.name) does not exist")
            } catch {
                throw CredentialsFailure(
                    kind: .secretUnreadable,
                    message: "reading credentials Secret \(namespace)/\(ref.name) failed: \(SecretWriter.describe(error))",
                    retryAfter: (error as? KubeAPIError)?.retryAfter)
            }
            func value(_ key: String) -> String? {
                guard let data = secret.data?[key], let text = String(data: data, encoding: .utf8) else { return nil }
                let trimmed = text.trimmingWhitespace()
                return trimmed.isEmpty ? nil : trimmed
            }
            func invalid(_ key: String) -> CredentialsFailure {
                CredentialsFailure(
                    kind: .secretInvalid, message: "credentials Secret \(namespace)/\(ref.name) has no non-empty key \(key)")
            }
            guard let id = value(ref.resolvedAccessKeyIdKey) else { throw invalid(ref.resolvedAccessKeyIdKey) }
            guard let key = value(ref.resolvedSecretAccessKeyKey) else { throw invalid(ref.resolvedSecretAccessKeyKey) }
            return ResolvedCredentials(
                source: .keys(accessKeyID: id, secretAccessKey: key, sessionToken: value(ref.resolvedSessionTokenKey)),
                roleARN: role, externalID: access.effectiveExternalID)
        }
    }
}
