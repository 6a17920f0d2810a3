import AsyncTestSupport
import CRDModels
import Foundation
import KubeClient
import Operator
import OperatorTestSupport
import Testing

@Suite(.serialized) struct LeaderElectionIntegrationTests {
    func election(_ identity: String) -> LeaderElectionConfiguration {
        LeaderElectionConfiguration(
            namespace: "default", name: "ecr-pullsecret-operator", identity: identity,
            timings: LeaderElectionTimings(
                leaseDuration: .seconds(3), renewDeadline: .seconds(2), retryPeriod: .milliseconds(200)))
    }

    func resource(_ name: String) -> AWSECRImagePullSecret {
        AWSECRImagePullSecret(
            metadata: ObjectMeta(name: name, namespace: "team"),
            spec: .init(secretName: name, awsAccess: .init(region: "us-west-2", secretRef: .init(name: "aws-creds"))))
    }

    @Test func onlyTheLeaderWritesAndTheOtherTakesOverWhenItStops() async throws {
        try await withOperatorHarness { harness in
            try await harness.createNamespace("team")
            try await harness.createCredentials(namespace: "team")
            let tokensA = FakeTokenSource()
            let tokensB = FakeTokenSource()
            let a = harness.startOperator(tokens: tokensA, leaderElection: election("replica-a"))
            await expectEventually { a.runtime.isLeading }
            try await harness.withOperator(tokens: tokensB, leaderElection: election("replica-b")) { b in

                _ = try await harness.client.create(resource("first"))
                await expectEventually { await harness.secret("team", "first") != nil }
                let lease = try await harness.client.get(Lease.self, name: "ecr-pullsecret-operator", namespace: "default")
                #expect(lease.spec?.holderIdentity == "replica-a")
                #expect(tokensA.calls > 0)
                #expect(tokensB.calls == 0)
                #expect(!b.runtime.isLeading)

                // Graceful stop releases the Lease; b takes over well before the 3 s lease would expire.
                let stopped = ContinuousClock.now
                await a.stop()
                let released = try await harness.client.get(Lease.self, name: "ecr-pullsecret-operator", namespace: "default")
                #expect(released.spec?.holderIdentity == "" || released.spec?.holderIdentity == "replica-b")
                await expectEventually { b.runtime.isLeading }
                #expect(ContinuousClock.now - stopped < .seconds(3))
                _ = try await harness.client.create(resource("second"))
                await expectEventually { await harness.secret("team", "second") != nil }
                #expect(tokensB.calls > 0)
                let after = try await harness.client.get(Lease.self, name: "ecr-pullsecret-operator", namespace: "default")
                #expect(after.spec?.holderIdentity == "replica-b")
                #expect(after.spec?.leaseTransitions == 1)
            }
        }
    }
}
