import CRDModels
import KubeClient

/// Adds or removes a Secret in ServiceAccounts' `imagePullSecrets` with a merge patch that carries
/// the read's resourceVersion (so a concurrent edit gives 409 and a re-read, not a lost update), and
/// never touches other entries.
public struct ServiceAccountPatcher: Sendable {
    let api: any KubeObjectAPI

    public init(api: any KubeObjectAPI) { self.api = api }

    /// Ensures `secretName` is listed (add) or not listed (remove) in `namespace/serviceAccount`.
    /// A missing ServiceAccount is not an error: there is nothing to patch (yet).
    public func ensure(secretName: String, serviceAccount: String, namespace: String, present: Bool) async throws {
        for _ in 0..<4 {
            let account: ServiceAccount
            do {
                account = try await api.get(ServiceAccount.self, name: serviceAccount, namespace: namespace)
            } catch let error as KubeAPIError where error.isNotFound {
                return
            }
            let current = account.imagePullSecrets ?? []
            let listed = current.contains { $0.name == secretName }
            if listed == present { return }
            let updated = present ? current + [LocalObjectReference(name: secretName)] : current.filter { $0.name != secretName }
            let entries = JSONValue.array(updated.map { .object(["name": .string($0.name ?? "")]) })
            let patch: JSONValue = .object([
                "metadata": .object(["resourceVersion": .string(account.metadata.resourceVersion ?? "")]),
                "imagePullSecrets": entries,
            ])
            do {
                _ = try await api.patch(
                    ServiceAccount.self, name: serviceAccount, namespace: namespace, mergePatch: patch)
                return
            } catch let error as KubeAPIError where error.isConflict {
                continue
            } catch let error as KubeAPIError where error.isNotFound {
                return
            }
        }
        throw OperatorError(
            code: .kubeAPI, message: "ServiceAccount \(namespace)/\(serviceAccount) kept changing; will retry")
    }
}
