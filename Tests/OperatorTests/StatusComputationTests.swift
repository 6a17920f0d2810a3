import CRDModels
import Foundation
import Testing

@testable import Operator

@Suite struct StatusComputationTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let expires = Date(timeIntervalSince1970: 1_800_043_200)

    func observation(_ outcomes: [String: StatusComputation.NamespaceOutcome], cluster: Bool = true)
        -> StatusComputation.Observation
    {
        .init(
            generation: 3, registries: ["123456789012.dkr.ecr.us-west-2.amazonaws.com"], obtainedAt: t0,
            expiresAt: expires, nextRefresh: t0.addingTimeInterval(6 * 3600), outcomes: outcomes,
            clusterScoped: cluster)
    }

    @Test func allSyncedIsReady() throws {
        let status = StatusComputation.compute(previous: nil, observation: observation(["a": .synced, "b": .synced]), now: t0)
        let ready = try #require(status.condition(.ready))
        #expect(ready.status == "True")
        #expect(ready.reason == "SecretsSynced")
        #expect(ready.observedGeneration == 3)
        #expect(status.condition(.credentialsValid)?.status == "True")
        #expect(status.condition(.degraded)?.status == "False")
        #expect(status.observedGeneration == 3)
        #expect(status.namespaces == NamespaceCounts(desired: 2, synced: 2))
        #expect(status.expiresAt == "2027-01-15T20:00:00Z")
        #expect(status.nextRefreshTime == "2027-01-15T14:00:00Z")
        #expect(status.lastRefreshTime == "2027-01-15T08:00:00Z")
        #expect(status.failedNamespaces == nil)
    }

    @Test func unchangedOutcomeGivesEqualStatusAndKeepsTransitionTime() {
        let first = StatusComputation.compute(previous: nil, observation: observation(["a": .synced]), now: t0)
        let second = StatusComputation.compute(
            previous: first, observation: observation(["a": .synced]), now: t0.addingTimeInterval(60))
        #expect(first == second)
    }

    @Test func flipChangesTransitionTimeOnlyForTheFlippedCondition() throws {
        let first = StatusComputation.compute(previous: nil, observation: observation(["a": .synced, "b": .synced]), now: t0)
        let later = t0.addingTimeInterval(120)
        let second = StatusComputation.compute(
            previous: first,
            observation: observation(["a": .synced, "b": .failed(reason: .secretConflict, message: "foreign")]),
            now: later)
        let ready = try #require(second.condition(.ready))
        #expect(ready.status == "False")
        #expect(ready.reason == "PartiallySynced")
        #expect(ready.lastTransitionTime == "2027-01-15T08:02:00Z")
        #expect(second.condition(.credentialsValid)?.lastTransitionTime == "2027-01-15T08:00:00Z")
        #expect(second.condition(.degraded)?.status == "True")
        #expect(second.namespaces == NamespaceCounts(desired: 2, synced: 1))
        #expect(second.failedNamespaces == [FailedNamespace(namespace: "b", reason: .secretConflict, message: "foreign")])
    }

    @Test func blockerKeepsLastGoodExpiryAndSaysWhy() throws {
        let good = StatusComputation.compute(previous: nil, observation: observation(["a": .synced], cluster: false), now: t0)
        let failed = StatusComputation.compute(
            previous: good,
            observation: .init(
                generation: 3,
                blocker: .init(reason: .tokenRequestFailed, message: "UnrecognizedClientException", credentialsTried: true),
                clusterScoped: false),
            now: t0.addingTimeInterval(60))
        #expect(failed.condition(.ready)?.status == "False")
        #expect(failed.condition(.ready)?.reason == "TokenRequestFailed")
        #expect(failed.condition(.credentialsValid)?.status == "False")
        #expect(failed.expiresAt == good.expiresAt)
        #expect(failed.registries == good.registries)
    }

    @Test func invalidSpecDoesNotJudgeCredentials() {
        let status = StatusComputation.compute(
            previous: nil,
            observation: .init(
                generation: 1, blocker: .init(reason: .invalidSpec, message: "spec.secretName: bad", credentialsTried: false),
                clusterScoped: false),
            now: t0)
        #expect(status.condition(.ready)?.reason == "InvalidSpec")
        #expect(status.condition(.ready)?.message == "spec.secretName: bad")
        #expect(status.condition(.credentialsValid) == nil)
    }

    @Test func expiryInPastWarns() {
        var input = observation(["a": .synced], cluster: false)
        input.expiryInPast = true
        let status = StatusComputation.compute(previous: nil, observation: input, now: t0)
        #expect(status.condition(.credentialsValid)?.reason == "TokenExpiryInPast")
        #expect(status.condition(.ready)?.status == "True")
    }
}
