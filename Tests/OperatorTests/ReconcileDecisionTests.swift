import CRDModels
import ECRAuth
import Foundation
import Testing

@testable import Operator

/// The pure mapping from what a reconcile found to what the user sees, one case per reason of the
/// README's troubleshooting table (and the other reasons a reconcile reports).
@Suite struct ReconcileDecisionTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let policy = RefreshPolicy()

    func facts(_ progress: ReconcileFacts.Progress, cluster: Bool = false) -> ReconcileFacts {
        ReconcileFacts(generation: 2, clusterScoped: cluster, secretName: "ecr-login", now: now, progress: progress)
    }

    func token(region: String = "us-west-2", lifetime: TimeInterval = 12 * 3600) -> IssuedToken {
        IssuedToken(
            credential: RegistryCredential(
                host: "123456789012.dkr.ecr.\(region).amazonaws.com", username: "AWS", password: "pw-\(region)"),
            expiresAt: now.addingTimeInterval(lifetime), obtainedAt: now)
    }

    func written(
        _ secrets: [String: SecretWriter.Outcome], missing: [String] = [], accounts: [String: String] = [:],
        cluster: Bool = true
    ) -> ReconcileDecision {
        ReconcileDecision.decide(
            facts(
                .written(
                    .init(
                        tokens: [token()], missingNamespaces: missing, secrets: secrets,
                        serviceAccountFailures: accounts, refreshInterval: 6 * 3600, jitterUnit: 0)),
                cluster: cluster),
            policy: policy)
    }

    func status(_ decision: ReconcileDecision) -> ImagePullSecretStatus {
        StatusComputation.compute(previous: nil, observation: decision.observation, now: now)
    }

    func isRetry(_ next: ReconcileDecision.Next) -> Bool { if case .retry = next { true } else { false } }

    @Test func everyNamespaceInPlaceIsReadyAndRequeuesAtTheInterval() {
        let decision = written(["a": .created, "b": .updated, "c": .unchanged])
        let status = status(decision)
        #expect(status.condition(.ready)?.reason == ConditionReason.secretsSynced.rawValue)
        #expect(status.condition(.credentialsValid)?.reason == ConditionReason.tokenIssued.rawValue)
        #expect(decision.next == .requeueAfter(.seconds(6 * 3600)))
        #expect(
            decision.events == [
                .init(type: .normal, reason: .secretCreated, message: "Secret ecr-login created in a"),
                .init(type: .normal, reason: .secretUpdated, message: "Secret ecr-login updated in b"),
            ])
        #expect(decision.expiresAt == now.addingTimeInterval(12 * 3600))
    }

    @Test func credentialsSecretMissing() {
        let decision = ReconcileDecision.decide(
            facts(.credentialsFailed(.init(kind: .secretMissing, message: "credentials Secret team/aws-creds does not exist"))),
            policy: policy)
        #expect(status(decision).condition(.ready)?.reason == "CredentialsSecretMissing")
        #expect(status(decision).condition(.credentialsValid) == nil)
        #expect(decision.events.map(\.reason) == [.credentialsSecretMissing])
        #expect(decision.events.first?.type == .warning)
        #expect(isRetry(decision.next))
    }

    @Test func credentialsSecretInvalid() {
        let decision = ReconcileDecision.decide(
            facts(.credentialsFailed(.init(kind: .secretInvalid, message: "has no non-empty key AWS_ACCESS_KEY_ID"))),
            policy: policy)
        #expect(status(decision).condition(.ready)?.reason == "CredentialsSecretInvalid")
        #expect(decision.events.isEmpty)
        #expect(isRetry(decision.next))
    }

    /// An API-server failure while reading the Secret is not a fault of the Secret.
    @Test func credentialsSecretUnreadableIsNotInvalid() {
        let decision = ReconcileDecision.decide(
            facts(
                .credentialsFailed(
                    .init(kind: .secretUnreadable, message: "reading credentials Secret team/aws-creds failed: 500",
                        retryAfter: .seconds(3)))),
            policy: policy)
        #expect(status(decision).condition(.ready)?.reason == "CredentialsSecretReadFailed")
        #expect(status(decision).condition(.credentialsValid) == nil)
        #expect(
            decision.next
                == .retry(.init(message: "reading credentials Secret team/aws-creds failed: 500", retryAfter: .seconds(3))))
    }

    @Test func ambientCredentialsNotAllowed() {
        let decision = ReconcileDecision.decide(
            facts(
                .invalidSpec([
                    FieldViolation(field: "spec.awsAccess", message: "no credential source", rule: .ambientCredentialsNotAllowed)
                ])),
            policy: policy)
        #expect(status(decision).condition(.ready)?.reason == "AmbientCredentialsNotAllowed")
        #expect(status(decision).condition(.ready)?.message == "spec.awsAccess: no credential source")
        #expect(decision.events.map(\.reason) == [.ambientCredentialsNotAllowed])
        #expect(decision.next == .waitForChange)
    }

    @Test func invalidSpecNamesTheFieldAndWaitsForAnEdit() {
        let decision = ReconcileDecision.decide(
            facts(
                .invalidSpec([
                    FieldViolation(field: "spec.secretName", message: "must be a DNS-1123 subdomain"),
                    FieldViolation(field: "spec.awsAccess.region", message: "is not an AWS region"),
                ])),
            policy: policy)
        let ready = status(decision).condition(.ready)
        #expect(ready?.reason == "InvalidSpec")
        #expect(ready?.message == "spec.secretName: must be a DNS-1123 subdomain; spec.awsAccess.region: is not an AWS region")
        #expect(decision.events.isEmpty)
        #expect(decision.next == .waitForChange)
    }

    @Test func tokenRequestFailed() {
        let decision = ReconcileDecision.decide(
            facts(.tokensFailed(.init(reason: .tokenRequestFailed, message: "AccessDenied: no", retryAfter: .seconds(30)))),
            policy: policy)
        #expect(status(decision).condition(.ready)?.reason == "TokenRequestFailed")
        #expect(status(decision).condition(.credentialsValid)?.status == "False")
        #expect(decision.events == [.init(type: .warning, reason: .tokenRequestFailed, message: "AccessDenied: no")])
        guard case .retry(let retry) = decision.next else { Issue.record("expected a retry"); return }
        #expect(retry.retryAfter == .seconds(30))
    }

    @Test func assumeRoleFailed() {
        let decision = ReconcileDecision.decide(
            facts(.tokensFailed(.init(reason: .assumeRoleFailed, message: "sts:AssumeRole AccessDenied"))), policy: policy)
        #expect(status(decision).condition(.ready)?.reason == "AssumeRoleFailed")
        #expect(status(decision).condition(.credentialsValid)?.reason == "AssumeRoleFailed")
        #expect(decision.events.map(\.reason) == [.tokenRequestFailed])
        #expect(isRetry(decision.next))
    }

    @Test func secretConflictDegradesAndWaitsForAChange() {
        let decision = written(["a": .created, "b": .conflict("Secret b/ecr-login is not owned by this resource")])
        let status = status(decision)
        #expect(status.condition(.degraded)?.status == "True")
        #expect(status.failedNamespaces?.map(\.reason) == ["SecretConflict"])
        #expect(decision.events.contains(.init(type: .warning, reason: .secretConflict,
            message: "b: Secret b/ecr-login is not owned by this resource")))
        #expect(!isRetry(decision.next))
    }

    @Test func namespaceMissing() {
        let decision = written([:], missing: ["gone"], cluster: false)
        #expect(status(decision).condition(.ready)?.reason == "NamespaceMissing")
        #expect(status(decision).condition(.ready)?.message == "namespace gone does not exist")
        #expect(!isRetry(decision.next))
    }

    @Test func secretWriteFailedRetries() {
        let decision = written(["a": .failed("creating Secret a/ecr-login: serverError: boom")], cluster: false)
        #expect(status(decision).condition(.ready)?.reason == "SecretWriteFailed")
        #expect(decision.events.map(\.reason) == [.secretWriteFailed])
        #expect(isRetry(decision.next))
    }

    @Test func throttledSecretWriteRetriesNoSoonerThanTheServerAsked() {
        let decision = written(
            ["a": .failed("updating Secret a/ecr-login: throttled", retryAfter: .seconds(3)), "b": .failed("boom")])
        #expect(decision.next == .retry(.init(message: "some namespaces failed; retrying", retryAfter: .seconds(3))))
    }

    @Test func serviceAccountPatchFailedRetries() {
        let decision = written(["a": .created], accounts: ["a": "ServiceAccount a/builder: forbidden"], cluster: false)
        #expect(status(decision).condition(.ready)?.reason == "ServiceAccountPatchFailed")
        #expect(isRetry(decision.next))
    }

    @Test func noTargetNamespaces() {
        let decision = written([:])
        #expect(status(decision).condition(.ready)?.reason == "NoTargetNamespaces")
        #expect(!isRetry(decision.next))
    }

    @Test func partiallySynced() {
        let decision = written(["a": .unchanged, "b": .failed("boom")])
        #expect(status(decision).condition(.ready)?.reason == "PartiallySynced")
        #expect(status(decision).condition(.degraded)?.reason == "PartiallySynced")
    }

    @Test func expiryInThePastIsReportedAndRefreshIsFloored() {
        let decision = ReconcileDecision.decide(
            facts(
                .written(
                    .init(
                        tokens: [token(lifetime: -3600)], missingNamespaces: [], secrets: ["team": .created],
                        serviceAccountFailures: [:], refreshInterval: 6 * 3600, jitterUnit: 0))),
            policy: policy)
        #expect(status(decision).condition(.credentialsValid)?.reason == "TokenExpiryInPast")
        #expect(decision.next == .requeueAfter(.seconds(60)))
    }

    @Test func summaryNamesFiveNamespacesAndCountsTheRest() {
        let message = ReconcileDecision.summary("created", "ecr-login", ["g", "f", "e", "d", "c", "b", "a"])
        #expect(message == "Secret ecr-login created in a, b, c, d, e and 2 more")
    }
}
