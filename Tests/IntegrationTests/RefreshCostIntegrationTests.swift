import AsyncTestSupport
import CRDModels
import Foundation
import KubeClient
import Operator
import OperatorTestSupport
import Testing

/// What a refresh costs over the wire: one update per Secret when nothing else touched it, and still
/// nothing lost when someone did.
@Suite(.serialized) struct RefreshCostIntegrationTests {
    let namespaces = ["a", "b", "c"]

    func setUp(_ harness: OperatorHarness) async throws {
        try await harness.createNamespace("ops")
        try await harness.createCredentials(namespace: "ops")
        for namespace in namespaces { try await harness.createNamespace(namespace) }
    }

    /// A spec change reconciles the resource; the fake token source issues tokens with a new expiry, so
    /// every Secret is rewritten.
    func changeSpec(_ harness: OperatorHarness, refreshInterval: String) async throws {
        _ = try await harness.client.patch(
            ClusterAWSECRImagePullSecret.self, name: "shared", namespace: nil,
            mergePatch: .object(["spec": .object(["refreshInterval": .string(refreshInterval)])]))
    }

    /// Read from the server's store, not over HTTP, so the request counts are the operator's alone.
    func stored(_ harness: OperatorHarness, _ namespace: String) -> JSONValue? {
        harness.server.object("secrets", namespace: namespace, name: "ecr-login")
    }

    func expiresAt(_ harness: OperatorHarness, _ namespace: String) -> String? {
        stored(harness, namespace)?["metadata"]?["annotations"]?[Annotations.expiresAt]?.stringValue
    }

    @Test func aRefreshIsOneUpdatePerSecretAndNoRead() async throws {
        try await withOperatorHarness { harness in
            try await setUp(harness)
            try await harness.withOperator(tokens: FakeTokenSource()) { running in
                try await harness.createSharedResource(namespaces: namespaces)
                #expect(await eventually { await harness.cluster("shared")?.status?.condition(.ready)?.status == "True" })
                // The metadata cache has seen this process's writes (a refresh before that reads first).
                let cache = running.runtime.dependencies.caches.managedSecrets
                #expect(await eventually {
                    var current = true
                    for namespace in namespaces {
                        let version = stored(harness, namespace)?["metadata"]?["resourceVersion"]?.stringValue
                        current = current && version != nil
                            && cache.get(namespace: namespace, name: "ecr-login")?.metadata.resourceVersion == version
                    }
                    return current
                })
                var before: [String: String] = [:]
                for namespace in namespaces { before[namespace] = expiresAt(harness, namespace) }
                let reads = harness.server.requestCount(method: "GET", pathContains: "/secrets/ecr-login")
                let updates = harness.server.requestCount(method: "PUT", pathContains: "/secrets/ecr-login")

                try await Task.sleep(for: .milliseconds(1100))  // a new expiry, to the second
                try await changeSpec(harness, refreshInterval: "2h")
                #expect(await eventually {
                    var refreshed = true
                    for namespace in namespaces {
                        refreshed = refreshed && expiresAt(harness, namespace) != before[namespace]
                    }
                    return refreshed
                })
                #expect(harness.server.requestCount(method: "PUT", pathContains: "/secrets/ecr-login") - updates == 3)
                #expect(harness.server.requestCount(method: "GET", pathContains: "/secrets/ecr-login") == reads)

                // Every write asked for its answer as metadata only: the operator never reads back the data it
                // sent. What it recorded from those answers is enough for the next refresh: again one update
                // per Secret, no read, and the stored Secret keeps its data and type.
                for namespace in namespaces {
                    let secrets = "/namespaces/\(namespace)/secrets"
                    #expect(harness.server.requestCount(method: "POST", pathContains: secrets, metadataOnly: true) == 1)
                    #expect(harness.server.requestCount(method: "POST", pathContains: secrets, metadataOnly: false) == 0)
                    #expect(harness.server.requestCount(method: "PUT", pathContains: secrets, metadataOnly: false) == 0)
                }
                for namespace in namespaces { before[namespace] = expiresAt(harness, namespace) }
                try await Task.sleep(for: .milliseconds(1100))
                try await changeSpec(harness, refreshInterval: "3h")
                #expect(await eventually {
                    namespaces.allSatisfy { expiresAt(harness, $0) != before[$0] }
                })
                #expect(harness.server.requestCount(method: "PUT", pathContains: "/secrets/ecr-login") - updates == 6)
                #expect(harness.server.requestCount(method: "GET", pathContains: "/secrets/ecr-login") == reads)
                #expect(stored(harness, "a")?["data"]?.objectValue?.keys.sorted() == [DesiredSecret.dockerConfigKey])
                #expect(stored(harness, "a")?["type"] == .string(SecretOwnership.dockerConfigJSONType))
            }
        }
    }

    @Test func aSecretChangedBySomeoneElseIsReadBeforeTheRefreshAndKeepsTheirChange() async throws {
        for watchSecrets in [true, false] {
            try await withOperatorHarness { harness in
                try await setUp(harness)
                try await harness.withOperator(tokens: FakeTokenSource(), settings: .init(watchSecrets: watchSecrets)) {
                    running in
                    try await harness.createSharedResource(namespaces: namespaces)
                    #expect(await eventually { await harness.cluster("shared")?.status?.condition(.ready)?.status == "True" })
                    // Someone labels the Secret in "a" after the operator wrote it.
                    var secret = try #require(await harness.secret("a", "ecr-login"))
                    secret.metadata.labels?["team"] = "payments"
                    let labelled = try await harness.client.update(secret)
                    let uid = labelled.metadata.uid

                    let before = expiresAt(harness, "a")
                    try await Task.sleep(for: .milliseconds(1100))
                    try await changeSpec(harness, refreshInterval: "2h")
                    #expect(await eventually { expiresAt(harness, "a") != before })
                    let refreshed = try #require(await harness.secret("a", "ecr-login"))
                    #expect(refreshed.metadata.labels?["team"] == "payments", "watchSecrets=\(watchSecrets)")
                    #expect(refreshed.metadata.uid == uid)
                    #expect(refreshed.data?[DesiredSecret.dockerConfigKey]?.isEmpty == false)
                }
            }
        }
    }
}
