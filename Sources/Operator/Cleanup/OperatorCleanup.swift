import CRDModels
import KubeClient
import Logging

/// Takes away what the operator leaves on objects once it is gone, so that uninstalling it never strands a
/// namespace in `Terminating`: its finalizer on every resource of both kinds, and the ServiceAccount
/// `imagePullSecrets` entries it added (only those: see `AddedPullSecrets`).
///
/// Guarantees: idempotent (a second run changes nothing); every object is tried even when others fail, and the
/// report lists each failure; other finalizers and other `imagePullSecrets` entries are never touched; resources,
/// their Secrets and the CRDs stay.
/// Assumptions: no operator is running against the same cluster (it would add the finalizer and the entries
/// again); the chart's hook runs after Helm deleted the operator's Deployment and its RBAC.
public struct OperatorCleanup: Sendable {
    /// What a run changed and what failed.
    public struct Report: Sendable, Equatable {
        /// `Kind namespace/name` of each resource whose finalizer was removed.
        public var finalizersRemoved: [String] = []
        /// `namespace/name` of each ServiceAccount whose entries were removed.
        public var serviceAccountsCleaned: [String] = []
        /// One line per object (or list) that could not be cleaned.
        public var failures: [String] = []

        public init() {}
    }

    let client: KubeClient
    /// Only this namespace (the operator's `--watch-namespace`); nil: every namespace and the cluster kind.
    let namespace: String?
    /// Clean ServiceAccounts too (false when the operator was never allowed to patch them).
    let serviceAccounts: Bool
    let logger: Logger

    public init(client: KubeClient, namespace: String?, serviceAccounts: Bool = true, logger: Logger) {
        self.client = client
        self.namespace = namespace.flatMap { $0.isEmpty ? nil : $0 }
        self.serviceAccounts = serviceAccounts
        self.logger = logger
    }

    public func run() async -> Report {
        var report = Report()
        if serviceAccounts { await cleanServiceAccounts(into: &report) }
        await removeFinalizers(AWSECRImagePullSecret.self, into: &report)
        if namespace == nil {
            await removeFinalizers(ClusterAWSECRImagePullSecret.self, into: &report)
        }
        return report
    }

    private func cleanServiceAccounts(into report: inout Report) async {
        let accounts: [ServiceAccount]
        do {
            accounts = try await client.listAll(ServiceAccount.self, namespace: namespace).items
        } catch {
            fail("cannot list ServiceAccounts: \(error)", into: &report)
            return
        }
        let patcher = ServiceAccountPatcher(client: client)
        for account in accounts where !AddedPullSecrets.recorded(account).isEmpty {
            let name = account.metadata.name ?? ""
            let accountNamespace = account.metadata.namespace ?? ""
            do {
                let removed = try await patcher.removeAllAdded(serviceAccount: name, namespace: accountNamespace)
                report.serviceAccountsCleaned.append("\(accountNamespace)/\(name)")
                logger.info(
                    "removed imagePullSecrets entries this operator added",
                    metadata: [
                        "k8s.namespace": "\(accountNamespace)", "k8s.serviceaccount": "\(name)",
                        "entries": "\(removed.joined(separator: ","))",
                    ])
            } catch {
                fail("ServiceAccount \(accountNamespace)/\(name): \(error)", into: &report)
            }
        }
    }

    private func removeFinalizers<R: ImagePullSecretResource>(_ type: R.Type, into report: inout Report) async {
        let kind = R.resource.kind
        let resources: [R]
        do {
            resources = try await client.listAll(R.self, namespace: namespace).items
        } catch {
            fail("cannot list \(R.resource.plural): \(error)", into: &report)
            return
        }
        for resource in resources where resource.metadata.finalizers?.contains(Finalizers.serviceAccounts) == true {
            let display = "\(kind) \(resource.metadata.namespace.map { "\($0)/" } ?? "")\(resource.metadata.name ?? "")"
            do {
                if try await removeFinalizer(resource) {
                    report.finalizersRemoved.append(display)
                    logger.info(
                        "removed finalizer",
                        metadata: [
                            "resource": "\(display)", "finalizer": "\(Finalizers.serviceAccounts)",
                            "deleting": "\(resource.metadata.deletionTimestamp != nil)",
                        ])
                }
            } catch {
                fail("\(display): \(error)", into: &report)
            }
        }
    }

    /// Removes the finalizer, re-reading on a conflict. Returns false when it was already gone.
    private func removeFinalizer<R: ImagePullSecretResource>(_ listed: R) async throws -> Bool {
        var resource = listed
        for attempt in 0..<4 {
            if attempt > 0 {
                guard
                    let current = try await client.getIfPresent(
                        R.self, name: listed.metadata.name ?? "", namespace: listed.metadata.namespace)
                else { return false }
                resource = current
            }
            let finalizers = resource.metadata.finalizers ?? []
            guard finalizers.contains(Finalizers.serviceAccounts) else { return false }
            do {
                try await ServiceAccountFinalizer<R>.setFinalizers(
                    resource, finalizers.filter { $0 != Finalizers.serviceAccounts },
                    api: KubeClientObjectAPI(client: client))
                return true
            } catch let error as KubeAPIError where error.isConflict {
                continue
            } catch let error as KubeAPIError where error.isNotFound {
                return false
            }
        }
        throw OperatorError(code: .kubeAPI, message: "the resource kept changing; run cleanup again")
    }

    private func fail(_ message: String, into report: inout Report) {
        report.failures.append(message)
        logger.error("cleanup failed", metadata: ["error": "\(message)"])
    }
}
