import AsyncTestSupport
import CRDModels
import Foundation
import HTTPClient
import KubeClient
import Logging
import Operator
import OperatorTestSupport
import Testing

/// Leader election keeps its own request budget and deadline, over the wire against the API test server.
@Suite(.serialized) struct LeaseBudgetIntegrationTests {
    static let timings = LeaderElectionTimings(
        leaseDuration: .seconds(3), renewDeadline: .seconds(2), retryPeriod: .milliseconds(200))

    /// The reconcilers' client has two request slots, both held by Secret writes the API server delays by 4 s;
    /// the Lease, on its own client, is still renewed every retry period and the replica keeps leading.
    @Test func leaseIsRenewedWhileTheReconcilersBudgetIsSaturated() async throws {
        try await withOperatorHarness { harness in
            try await harness.createNamespace("busy")
            try await harness.createCredentials(namespace: "busy")
            let config = harness.client.config
            // Two request slots, but connections enough for the informers' watches besides.
            let reconcilers = KubeClient(
                config: config, transport: CurlHTTPClient(), maxConcurrentRequests: 2, logger: harness.logger)
            let election = LeaderElectionConfiguration(
                namespace: "default", name: "budget", identity: "replica-a", timings: Self.timings,
                client: KubeClient(config: config, maxConcurrentRequests: 2, logger: harness.logger))
            let running = harness.startOperator(tokens: FakeTokenSource(), leaderElection: election, client: reconcilers)
            try await withTeardown({ await running.stop() }) {
                await expectEventually { running.runtime.isLeading }

                harness.server.injectLatency(.seconds(4), method: "POST", pathContains: "/secrets")
                for index in 0..<8 {
                    _ = try await harness.client.create(
                        AWSECRImagePullSecret(
                            metadata: ObjectMeta(name: "r\(index)", namespace: "busy"),
                            spec: .init(
                                secretName: "s\(index)", awsAccess: .init(region: "us-west-2", secretRef: .init(name: "aws-creds")))))
                }
                await expectEventually { await reconcilers.limiter.usage.inUse == 2 }
                func renewTime() async throws -> Date? {
                    let text = try await harness.client.get(Lease.self, name: "budget", namespace: "default").spec?.renewTime
                    let formatter = ISO8601DateFormatter()
                    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                    return text.flatMap { formatter.date(from: $0) ?? ISO8601DateFormatter().date(from: $0) }
                }
                let first = try await renewTime()
                var saturatedSamples = 0
                for _ in 0..<15 {
                    try await Task.sleep(for: .milliseconds(200))
                    #expect(running.runtime.isLeading)
                    if await reconcilers.limiter.usage.inUse == 2 { saturatedSamples += 1 }
                }
                let last = try await renewTime()
                #expect(saturatedSamples >= 5, "the reconcilers' budget stayed full while the Lease was renewed")
                let advanced = try #require(last).timeIntervalSince(try #require(first))
                #expect(advanced >= 1.5, "renewTime advanced \(advanced) s in 3 s")
                harness.server.clearFaults()
            }
        }
    }

    /// A renewal the API server does not answer is abandoned at the renew deadline: leadership is given up
    /// about 2 s after the last renewal, not after the 30 s request timeout.
    @Test func renewalThatOutlivesTheRenewDeadlineFailsAtTheDeadline() async throws {
        try await withOperatorHarness { harness in
            let elector = LeaderElector(
                name: "deadline", namespace: "default", identity: "replica-a", timings: Self.timings,
                store: KubeLeaseStore(client: harness.client, timeout: Self.timings.renewDeadline), logger: harness.logger)
            try await elector.acquire()
            #expect(await elector.isLeader)

            harness.server.injectLatency(.seconds(20), method: "PUT", pathContains: "/leases/deadline")
            let start = ContinuousClock.now
            try await elector.holdLeadership()
            let elapsed = ContinuousClock.now - start
            #expect(await !elector.isLeader)
            #expect(elapsed >= .milliseconds(1800) && elapsed < .seconds(4), "leadership given up after \(elapsed)")
            harness.server.clearFaults()
        }
    }
}
