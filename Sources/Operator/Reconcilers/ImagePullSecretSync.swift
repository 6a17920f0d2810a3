import CRDModels
import ECRAuth
import FoundationEssentials
import KubeClient
import Logging

/// The reconcile both kinds share once the kind-specific reconciler has worked out the target
/// namespaces: gather facts (validate, resolve credentials, fetch tokens, write each namespace's
/// Secret, patch ServiceAccounts, prune), decide purely what they mean (`ReconcileDecision`), and
/// apply that once at the tail: status, events, metrics, and requeue or retry.
struct ImagePullSecretSync<R: ImagePullSecretResource>: Sendable {
    let dependencies: ReconcilerDependencies

    /// The kind-specific inputs.
    struct Targets: Sendable {
        var namespaces: [String]
        /// Listed but absent namespaces: reported, not written.
        var missing: [String]
        /// Managed Secrets of this resource to delete, read once the Secrets are written: at 5,000 namespaces
        /// reading them from the cache took 5 – 15 ms, which the first write no longer waits for.
        var prune: @Sendable () -> [(namespace: String, name: String)]
        var credentialsNamespace: String?
    }

    func run(_ resource: R, validation: ValidationReport, targets: Targets) async throws -> ReconcileResult {
        let now = dependencies.clock.wallNow()
        let progress = await gather(resource, validation: validation, targets: targets)
        let facts = ReconcileFacts(
            generation: resource.metadata.generation, clusterScoped: !R.resource.namespaced,
            secretName: resource.spec.secretName, now: now, progress: progress)
        return try await apply(ReconcileDecision.decide(facts, policy: dependencies.settings.refresh), to: resource)
    }

    /// Runs the phases until one stops, and says how far it got.
    private func gather(_ resource: R, validation: ValidationReport, targets: Targets) async -> ReconcileFacts.Progress {
        guard validation.isValid else { return .invalidSpec(validation.errors) }
        let credentials: ResolvedCredentials
        do throws(CredentialsFailure) {
            credentials = try await CredentialResolver(api: dependencies.api)
                .resolve(resource.spec.awsAccess, secretNamespace: targets.credentialsNamespace)
        } catch {
            return .credentialsFailed(error)
        }
        let interval = (resource.spec.refreshInterval?.duration ?? dependencies.settings.defaultRefreshInterval).seconds
        let tokens: [IssuedToken]
        do {
            // Shared cache: one AWS call per identity and region across all resources.
            tokens = try await dependencies.tokens.tokens(
                for: TokenRequests(resource.spec), credentials: credentials,
                notBefore: dependencies.settings.refresh.notBefore(
                    lastRefresh: resource.status?.lastRefreshTime.flatMap(Timestamp.parse), refreshInterval: interval,
                    now: dependencies.clock.wallNow()))
        } catch {
            return .tokensFailed(
                error as? TokenSourceError ?? .init(reason: .tokenRequestFailed, message: "token request failed: \(error)"))
        }
        guard !tokens.isEmpty else {
            return .tokensFailed(.init(reason: .tokenRequestFailed, message: "AWS returned no authorization data"))
        }
        let secrets = await writeSecrets(resource, namespaces: targets.namespaces, tokens: tokens)
        let synced = targets.namespaces.filter { secrets[$0]?.isInPlace == true }
        let accountFailures = await patchServiceAccounts(resource, namespaces: synced)
        await prune(targets.prune(), of: resource)
        return .written(
            .init(
                tokens: tokens, missingNamespaces: targets.missing, secrets: secrets,
                serviceAccountFailures: accountFailures, refreshInterval: interval, jitterUnit: .random(in: 0..<1)))
    }

    /// The tail: the only place a reconcile writes status, records events and metrics.
    private func apply(_ decision: ReconcileDecision, to resource: R) async throws -> ReconcileResult {
        try await writeStatus(resource, observation: decision.observation, now: dependencies.clock.wallNow())
        for event in decision.events {
            dependencies.events?.record(
                involving: ObjectReference(to: resource), type: event.type, reason: event.reason.rawValue,
                message: event.message)
        }
        if let blocker = decision.observation.blocker {
            OperatorMetrics.recordError(reason: blocker.reason)
        } else if decision.expiresAt != nil {
            OperatorMetrics.recordRefresh(outcomes: decision.observation.outcomes)
        }
        switch decision.next {
        case .waitForChange: return .done
        case .requeueAfter(let delay): return .requeueAfter(delay)
        case .retry(let retry): throw retry
        }
    }

    /// Writes the Secret in every namespace, `namespaceParallelism` at a time; one failure never
    /// blocks the others.
    private func writeSecrets(_ resource: R, namespaces: [String], tokens: [IssuedToken]) async
        -> [String: SecretWriter.Outcome]
    {
        let writer = SecretWriter(api: dependencies.api, written: dependencies.written)
        let owner = OwnerReference(
            apiVersion: R.resource.apiVersion, kind: R.resource.kind, name: resource.metadata.name ?? "",
            uid: resource.metadata.uid ?? "")
        // The same Secret in every namespace: built (and its JSON encoded) once, then given each namespace.
        let template: DesiredSecret
        do {
            template = try DesiredSecret.build(
                name: resource.spec.secretName, namespace: "", owner: owner, ownerLabels: Labels.owned(by: resource),
                templateLabels: resource.spec.secretTemplate?.labels,
                templateAnnotations: resource.spec.secretTemplate?.annotations,
                credentials: tokens.map(\.credential),
                expiresAt: tokens.map(\.expiresAt).min() ?? dependencies.clock.wallNow())
        } catch {
            return Dictionary(uniqueKeysWithValues: namespaces.map { ($0, .failed("\(error)")) })
        }
        let store = dependencies.caches.managedSecrets
        let cacheEnabled = dependencies.settings.watchSecrets
        let parallelism = max(1, dependencies.settings.namespaceParallelism)
        return await withTaskGroup(of: (String, SecretWriter.Outcome).self) { group in
            var results: [String: SecretWriter.Outcome] = [:]
            var iterator = namespaces.makeIterator()
            func startNext() -> Bool {
                guard let namespace = iterator.next() else { return false }
                group.addTask {
                    var desired = template
                    desired.namespace = namespace
                    let cached = cacheEnabled ? store.get(namespace: namespace, name: desired.name)?.metadata : nil
                    let outcome = await writer.sync(
                        desired, ownerUID: owner.uid, cached: cached, cacheSynced: cacheEnabled)
                    return (namespace, outcome)
                }
                return true
            }
            for _ in 0..<parallelism where startNext() {}
            while let (namespace, outcome) = await group.next() {
                results[namespace] = outcome
                _ = startNext()
            }
            return results
        }
    }

    /// Lists the Secret in `spec.serviceAccounts` of every namespace that now holds it; returns the
    /// failures by namespace.
    private func patchServiceAccounts(_ resource: R, namespaces: [String]) async -> [String: String] {
        let patcher = ServiceAccountPatcher(api: dependencies.api)
        var failures: [String: String] = [:]
        for namespace in namespaces {
            for account in resource.spec.serviceAccounts ?? [] {
                do {
                    try await patcher.ensure(
                        secretName: resource.spec.secretName, serviceAccount: account, namespace: namespace,
                        present: true)
                } catch {
                    failures[namespace] = "ServiceAccount \(namespace)/\(account): \(SecretWriter.describe(error))"
                }
            }
        }
        return failures
    }

    /// Deletes the Secrets in namespaces that left the selection; a failure is logged and retried at
    /// the next reconcile (the Secret is still listed as ours).
    private func prune(_ stale: [(namespace: String, name: String)], of resource: R) async {
        let writer = SecretWriter(api: dependencies.api, written: dependencies.written)
        var logger = dependencies.logger
        logger[metadataKey: "resource"] = "\(ObjectStore<R>.key(of: resource))"
        for secret in stale {
            do {
                try await writer.prune(
                    namespace: secret.namespace, name: secret.name, ownerUID: resource.metadata.uid ?? "")
                logger.info("pruned Secret", metadata: ["k8s.namespace": "\(secret.namespace)"])
            } catch {
                logger.warning(
                    "prune failed",
                    metadata: ["k8s.namespace": "\(secret.namespace)", "error": "\(SecretWriter.describe(error))"])
            }
        }
    }

    /// Writes the computed status when it differs from the current one; on 409 re-reads (twice at most).
    private func writeStatus(_ resource: R, observation: StatusComputation.Observation, now: Date) async throws {
        var current = resource
        for attempt in 0..<3 {
            let status = StatusComputation.compute(previous: current.status, observation: observation, now: now)
            if status == current.status { return }
            var updated = current
            updated.status = status
            do {
                _ = try await dependencies.api.updateStatus(updated)
                return
            } catch let error as KubeAPIError where error.isConflict && attempt < 2 {
                current = try await dependencies.api.get(
                    R.self, name: resource.metadata.name ?? "", namespace: resource.metadata.namespace)
            } catch let error as KubeAPIError where error.isNotFound {
                return
            }
        }
    }
}
