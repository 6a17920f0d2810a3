import CRDModels
import Foundation
import KubeClient
import Logging

/// The reconcile steps both kinds share, after the kind-specific reconciler has worked out the
/// target namespaces: validate, resolve credentials, fetch tokens, write each namespace's Secret,
/// patch ServiceAccounts, prune, write status and events, and plan the next refresh.
struct ImagePullSecretSync<R: ImagePullSecretResource>: Sendable {
    let context: ReconcileContext

    /// The kind-specific inputs.
    struct Targets: Sendable {
        var namespaces: [String]
        /// Listed but absent namespaces: reported, not written.
        var missing: [String]
        /// Managed Secrets of this resource to delete (namespace, name, uid).
        var prune: [(namespace: String, name: String, uid: String?)]
        var credentialsNamespace: String?
    }

    func run(_ resource: R, validationErrors: [String], targets: Targets) async throws -> ReconcileResult {
        let now = context.clock.wallNow()
        let namespaced = R.resource.namespaced
        var logger = context.logger
        logger[metadataKey: "resource"] = "\(R.resource.kind)/\(resource.metadata.namespace.map { "\($0)/" } ?? "")\(resource.metadata.name ?? "")"

        // 1. Invalid spec: report the rule, call nobody.
        if !validationErrors.isEmpty {
            let message = validationErrors.joined(separator: "; ")
            // The ambient-credentials rule has its own reason, so `kubectl get` says what the admin allows.
            let ambientRefused =
                resource.spec.usesAmbientCredentials && !context.settings.ambientPolicy.allows(namespaced: namespaced)
            if ambientRefused {
                context.events?.record(
                    resource, type: .warning, reason: EventReason.ambientCredentialsNotAllowed.rawValue, message: message)
            }
            try await writeStatus(
                resource,
                blocker: .init(
                    reason: ambientRefused ? .ambientCredentialsNotAllowed : .invalidSpec, message: message,
                    credentialsTried: false), now: now)
            return .done
        }

        // 2. Credentials.
        let credentials: ResolvedCredentials
        do {
            credentials = try await CredentialResolver(client: context.client, policy: context.settings.ambientPolicy)
                .resolve(resource.spec.awsAccess, secretNamespace: targets.credentialsNamespace, namespacedResource: namespaced)
        } catch let error as OperatorError {
            let reason: ConditionReason =
                switch error.code {
                case .credentialsSecretMissing: .credentialsSecretMissing
                case .ambientCredentialsNotAllowed: .ambientCredentialsNotAllowed
                default: .credentialsSecretInvalid
                }
            if error.code == .credentialsSecretMissing {
                context.events?.record(resource, type: .warning, reason: EventReason.credentialsSecretMissing.rawValue, message: error.message)
            } else if error.code == .ambientCredentialsNotAllowed {
                context.events?.record(resource, type: .warning, reason: EventReason.ambientCredentialsNotAllowed.rawValue, message: error.message)
            }
            try await writeStatus(resource, blocker: .init(reason: reason, message: error.message, credentialsTried: false), now: now)
            if error.code == .ambientCredentialsNotAllowed { return .done }
            // A missing or incomplete Secret is fixed by an edit the credential watch reports; retry anyway.
            throw error
        }

        // 3. Tokens (shared cache; one AWS call per identity and region across all resources).
        let requests = TokenRequests.plan(
            registries: (resource.spec.registries ?? []).map { .init(accountID: $0.accountID, region: $0.region) },
            defaultRegion: resource.spec.awsAccess.region, ecrPublic: resource.spec.ecrPublic ?? false)
        let interval = resource.spec.refreshInterval?.duration ?? context.settings.defaultRefreshInterval
        let notBefore = Self.refreshDue(
            lastRefresh: Self.lastRefresh(resource), interval: interval.seconds, schedule: context.settings.schedule, now: now)
        let tokens: [IssuedToken]
        do {
            tokens = try await context.tokens.tokens(for: requests, credentials: credentials, notBefore: notBefore)
            guard !tokens.isEmpty else {
                throw TokenSourceError(reason: .tokenRequestFailed, message: "AWS returned no authorization data")
            }
        } catch {
            let sourceError = error as? TokenSourceError
            let message = sourceError?.message ?? "token request failed: \(error)"
            let reason: ConditionReason = sourceError?.reason == .assumeRoleFailed ? .assumeRoleFailed : .tokenRequestFailed
            context.events?.record(resource, type: .warning, reason: EventReason.tokenRequestFailed.rawValue, message: message)
            try await writeStatus(resource, blocker: .init(reason: reason, message: message, credentialsTried: true), now: now)
            throw error
        }
        let expiresAt = tokens.map(\.expiresAt).min()!
        let obtainedAt = tokens.map(\.obtainedAt).min()!
        let owner = OwnerReference(
            apiVersion: R.resource.apiVersion, kind: R.resource.kind, name: resource.metadata.name ?? "",
            uid: resource.metadata.uid ?? "")

        // 4. Secrets, namespace by namespace; one failure never blocks the others.
        var outcomes: [String: StatusComputation.NamespaceOutcome] = [:]
        for namespace in targets.missing {
            outcomes[namespace] = .failed(reason: .namespaceMissing, message: "namespace \(namespace) does not exist")
        }
        let results = await writeAll(
            resource, namespaces: targets.namespaces, owner: owner, tokens: tokens, expiresAt: expiresAt)
        for (namespace, outcome) in results {
            switch outcome {
            case .created, .updated, .unchanged: outcomes[namespace] = .synced
            case .conflict(let message):
                outcomes[namespace] = .failed(reason: .secretConflict, message: message)
                context.events?.record(resource, type: .warning, reason: EventReason.secretConflict.rawValue, message: "\(namespace): \(message)")
            case .failed(let message):
                outcomes[namespace] = .failed(reason: .secretWriteFailed, message: message)
                context.events?.record(resource, type: .warning, reason: EventReason.secretWriteFailed.rawValue, message: message)
            }
        }
        let created = results.filter { $0.1 == .created }.map(\.0)
        let updated = results.filter { $0.1 == .updated }.map(\.0)
        if !created.isEmpty {
            context.events?.record(resource, type: .normal, reason: EventReason.secretCreated.rawValue, message: Self.summary("created", resource.spec.secretName, created))
        }
        if !updated.isEmpty {
            context.events?.record(resource, type: .normal, reason: EventReason.secretUpdated.rawValue, message: Self.summary("updated", resource.spec.secretName, updated))
        }

        // 5. ServiceAccounts, in every namespace that now holds the Secret.
        for namespace in targets.namespaces where outcomes[namespace] == .synced {
            for account in resource.spec.serviceAccounts ?? [] {
                do {
                    try await context.serviceAccounts.ensure(
                        secretName: resource.spec.secretName, serviceAccount: account, namespace: namespace, present: true)
                } catch {
                    outcomes[namespace] = .failed(
                        reason: .serviceAccountPatchFailed, message: "ServiceAccount \(namespace)/\(account): \(SecretWriter.describe(error))")
                }
            }
        }

        // 6. Prune Secrets in namespaces that left the selection.
        for stale in targets.prune {
            do {
                try await context.secretWriter.prune(namespace: stale.namespace, name: stale.name, secretUID: stale.uid)
                logger.info("pruned Secret", metadata: ["k8s.namespace": "\(stale.namespace)"])
            } catch {
                logger.warning("prune failed", metadata: ["k8s.namespace": "\(stale.namespace)", "error": "\(SecretWriter.describe(error))"])
            }
        }

        // 7. Status, and the next refresh.
        let plan = context.settings.schedule.plan(
            now: now, lastRefresh: obtainedAt, refreshInterval: interval.seconds, expiresAt: expiresAt,
            jitterUnit: Double.random(in: 0..<1))
        let observation = StatusComputation.Observation(
            generation: resource.metadata.generation, registries: tokens.map(\.credential.host).sorted(),
            obtainedAt: obtainedAt, expiresAt: expiresAt, nextRefresh: plan.nextRefresh,
            expiryInPast: plan.expiryInPast, outcomes: outcomes, clusterScoped: !namespaced)
        try await writeStatus(resource, observation: observation, now: now)
        OperatorMetrics.shared.recordRefresh(resource: "\(R.resource.kind)/\(resource.metadata.namespace ?? "")/\(resource.metadata.name ?? "")", outcomes: outcomes, expiresAt: expiresAt, now: now)
        let failed = outcomes.values.contains { if case .failed = $0 { true } else { false } }
        if failed, outcomes.values.contains(where: { if case .failed(let reason, _) = $0 { reason == .secretWriteFailed || reason == .serviceAccountPatchFailed } else { false } }) {
            // Transient write failures retry with backoff; conflicts and missing namespaces wait for a change.
            throw OperatorError(code: .secretWriteFailed, message: "some namespaces failed; retrying")
        }
        return .requeueAfter(.milliseconds(Int64(plan.delay * 1000)))
    }

    /// Writes the Secret in every namespace, `namespaceParallelism` at a time.
    private func writeAll(
        _ resource: R, namespaces: [String], owner: OwnerReference, tokens: [IssuedToken], expiresAt: Date
    ) async -> [(String, SecretWriter.Outcome)] {
        let writer = context.secretWriter
        let spec = resource.spec
        let ownerLabels = Labels.owned(by: resource)
        let store = context.managedSecrets
        let cacheEnabled = context.settings.watchSecrets
        let parallelism = max(1, context.settings.namespaceParallelism)
        return await withTaskGroup(of: (String, SecretWriter.Outcome).self) { group in
            var results: [(String, SecretWriter.Outcome)] = []
            var iterator = namespaces.makeIterator()
            func startNext() -> Bool {
                guard let namespace = iterator.next() else { return false }
                group.addTask {
                    let desired: DesiredSecret
                    do {
                        desired = try DesiredSecret.build(
                            name: spec.secretName, namespace: namespace, owner: owner, ownerLabels: ownerLabels,
                            templateLabels: spec.secretTemplate?.labels, templateAnnotations: spec.secretTemplate?.annotations,
                            credentials: tokens.map(\.credential), expiresAt: expiresAt)
                    } catch {
                        return (namespace, .failed("\(error)"))
                    }
                    let cached =
                        cacheEnabled ? store.get(namespace: namespace, name: spec.secretName)?.metadata.resourceVersion : nil
                    return (
                        namespace,
                        await writer.sync(desired, ownerUID: owner.uid, cachedVersion: cached, cacheSynced: cacheEnabled)
                    )
                }
                return true
            }
            for _ in 0..<parallelism where startNext() {}
            while let result = await group.next() {
                results.append(result)
                _ = startNext()
            }
            return results
        }
    }

    static func summary(_ verb: String, _ secretName: String, _ namespaces: [String]) -> String {
        let sorted = namespaces.sorted()
        let shown = sorted.prefix(5).joined(separator: ", ")
        let more = sorted.count > 5 ? " and \(sorted.count - 5) more" : ""
        return "Secret \(secretName) \(verb) in \(shown)\(more)"
    }

    /// When the resource's own `refreshInterval` (less the jitter window) has passed since the token
    /// it holds was obtained, a token newer than that one is required; otherwise the shared cache's
    /// token is fine. Status keeps whole seconds, hence the one second.
    static func refreshDue(lastRefresh: Date?, interval: TimeInterval, schedule: RefreshSchedule, now: Date) -> Date? {
        guard let lastRefresh else { return nil }
        let allowance = min(interval * schedule.jitterFraction, schedule.maximumJitter)
        guard lastRefresh.addingTimeInterval(interval - allowance) <= now else { return nil }
        return lastRefresh.addingTimeInterval(1)
    }

    static func lastRefresh(_ resource: R) -> Date? {
        resource.status?.lastRefreshTime.flatMap(Timestamp.parse)
    }

    private func writeStatus(_ resource: R, blocker: StatusComputation.Blocker, now: Date) async throws {
        OperatorMetrics.shared.recordError(reason: blocker.reason.rawValue)
        try await writeStatus(
            resource,
            observation: .init(generation: resource.metadata.generation, blocker: blocker, clusterScoped: !R.resource.namespaced),
            now: now)
    }

    /// Writes the computed status when it differs from the current one; on 409 re-reads once.
    private func writeStatus(_ resource: R, observation: StatusComputation.Observation, now: Date) async throws {
        var current = resource
        for attempt in 0..<3 {
            let status = StatusComputation.compute(previous: current.status, observation: observation, now: now)
            if status == current.status { return }
            var updated = current
            updated.status = status
            do {
                _ = try await context.client.updateStatus(updated)
                return
            } catch let error as KubeAPIError where error.isConflict && attempt < 2 {
                current = try await context.client.get(
                    R.self, name: resource.metadata.name ?? "", namespace: resource.metadata.namespace)
            } catch let error as KubeAPIError where error.isNotFound {
                return
            }
        }
    }
}
