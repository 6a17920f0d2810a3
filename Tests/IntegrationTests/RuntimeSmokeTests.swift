import AsyncTestSupport
import CRDModels
import Foundation
import KubeClient
import Operator
import OperatorTestSupport
import Testing

@Suite(.serialized) struct RuntimeSmokeTests {
    @Test func namespacedResourceGetsSecretAndReadyStatus() async throws {
        try await withOperatorHarness { harness in
            try await harness.createNamespace("team-a")
            try await harness.createCredentials(namespace: "team-a")
            let tokens = FakeTokenSource()
            let running = harness.startOperator(tokens: tokens)
            try await harness.createNamespacedResource(namespace: "team-a")
            await expectEventually { await harness.secret("team-a", "ecr-login") != nil }
            await expectEventually {
                await harness.namespaced("team-a", "reg")?.status?.condition(.ready)?.status == "True"
            }
            await running.stop()
        }
    }
}
