import CRDModels
import FoundationEssentials
import KubeClient

/// Adds or removes a Secret in ServiceAccounts' `imagePullSecrets` with a merge patch that carries
/// the read's resourceVersion (so a concurrent edit gives 409 and a re-read, not a lost update), and
/// never touches other entries.
///
/// The entries it adds are recorded in the annotation `AddedPullSecrets.annotation` on the ServiceAccount, and
/// it only ever removes recorded entries: an entry someone else listed (even under the same name) stays when a
/// resource goes or the operator is uninstalled (`ecr-pullsecret-operator cleanup`).
public struct ServiceAccountPatcher: Sendable {
    let api: any KubeObjectAPI

    public init(api: any KubeObjectAPI) { self.api = api }

    /// Over the HTTP client (the cleanup subcommand).
    public init(client: KubeClient) { self.init(api: KubeClientObjectAPI(client: client)) }

    /// Ensures `secretName` is listed (add) or not listed (remove) in `namespace/serviceAccount`.
    /// A missing ServiceAccount is not an error: there is nothing to patch (yet).
    public func ensure(secretName: String, serviceAccount: String, namespace: String, present: Bool) async throws {
        _ = try await apply(present ? .add(secretName) : .remove(secretName), serviceAccount, namespace: namespace)
    }

    /// Removes every entry this operator added to `namespace/serviceAccount`, and the record of them.
    /// Returns the names removed (empty when there were none, or the ServiceAccount is gone).
    public func removeAllAdded(serviceAccount: String, namespace: String) async throws -> [String] {
        try await apply(.removeAll, serviceAccount, namespace: namespace)
    }

    private func apply(
        _ change: AddedPullSecrets.Change, _ serviceAccount: String, namespace: String
    ) async throws -> [String] {
        for _ in 0..<4 {
            let account: ServiceAccount
            do {
                account = try await api.get(ServiceAccount.self, name: serviceAccount, namespace: namespace)
            } catch let error as KubeAPIError where error.isNotFound {
                return []
            }
            guard let edit = AddedPullSecrets.edit(account, change) else { return [] }
            do {
                _ = try await api.patch(
                    ServiceAccount.self, name: serviceAccount, namespace: namespace, mergePatch: edit.patch)
                return edit.names
            } catch let error as KubeAPIError where error.isConflict {
                continue
            } catch let error as KubeAPIError where error.isNotFound {
                return []
            }
        }
        throw OperatorError(
            code: .kubeAPI, message: "ServiceAccount \(namespace)/\(serviceAccount) kept changing; will retry")
    }
}

/// The `imagePullSecrets` entries of a ServiceAccount that this operator added, as recorded in an annotation
/// (comma-separated, sorted), and the pure rule for changing them.
public enum AddedPullSecrets {
    /// The annotation on a ServiceAccount that lists the entries this operator added.
    public static let annotation = "ecr.pullsecrets.dev/added-image-pull-secrets"

    public enum Change: Sendable, Equatable {
        /// List the Secret; recorded only when this call adds the entry (an entry already there is not ours).
        case add(String)
        /// Unlist the Secret if this operator added it.
        case remove(String)
        /// Unlist every entry this operator added (uninstall).
        case removeAll
    }

    /// The recorded names on `account`.
    public static func recorded(_ account: ServiceAccount) -> Set<String> {
        let value = account.metadata.annotations?[annotation] ?? ""
        return Set(value.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty })
    }

    /// The merge patch (guarded by the account's resourceVersion) that applies `change`, and the entry names it
    /// adds or removes; nil when nothing changes.
    public static func edit(_ account: ServiceAccount, _ change: Change) -> (patch: JSONValue, names: [String])? {
        let current = account.imagePullSecrets ?? []
        let listed = Set(current.compactMap(\.name))
        var recorded = recorded(account)
        let entries: [LocalObjectReference]
        let names: [String]
        switch change {
        case .add(let name):
            guard !listed.contains(name) else { return nil }
            entries = current + [LocalObjectReference(name: name)]
            recorded.insert(name)
            names = [name]
        case .remove(let name):
            guard recorded.contains(name) else { return nil }
            entries = current.filter { $0.name != name }
            recorded.remove(name)
            names = listed.contains(name) ? [name] : []
        case .removeAll:
            guard !recorded.isEmpty else { return nil }
            entries = current.filter { !recorded.contains($0.name ?? "") }
            names = listed.intersection(recorded).sorted()
            recorded = []
        }
        let record: JSONValue = recorded.isEmpty ? .null : .string(recorded.sorted().joined(separator: ","))
        let patch: JSONValue = .object([
            "metadata": .object([
                "resourceVersion": .string(account.metadata.resourceVersion ?? ""),
                "annotations": .object([annotation: record]),
            ]),
            "imagePullSecrets": .array(entries.map { .object(["name": .string($0.name ?? "")]) }),
        ])
        return (patch, names)
    }
}
