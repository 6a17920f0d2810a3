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

    /// Whether the operator's managed-Secret cache holds every Secret at the version the server stores.
    func cacheHasSeenTheWrites(_ harness: OperatorHarness, _ running: OperatorHarness.Running) async -> Bool {
        let cache = running.runtime.dependencies.caches.managedSecrets
        return await eventually {
            namespaces.allSatisfy { namespace in
                let version = stored(harness, namespace)?["metadata"]?["resourceVersion"]?.stringValue
                return version != nil
                    && cache.get(namespace: namespace, name: "ecr-login")?.metadata.resourceVersion == version
            }
        }
    }

    /// Creates the shared resource and waits until it is Ready and the operator's cache has seen its writes.
    func converge(_ harness: OperatorHarness, _ running: OperatorHarness.Running) async throws {
        try await harness.createSharedResource(namespaces: namespaces)
        await expectEventually { await harness.cluster("shared")?.status?.condition(.ready)?.status == "True" }
        #expect(await cacheHasSeenTheWrites(harness, running))
    }

    @Test func aRefreshIsOneUpdatePerSecretAndNoRead() async throws {
        try await withOperatorHarness { harness in
            try await setUp(harness)
            try await harness.withOperator(tokens: FakeTokenSource()) { running in
                // Until the metadata cache has seen this process's writes (a refresh before that reads first).
                try await converge(harness, running)
                var before: [String: String] = [:]
                for namespace in namespaces { before[namespace] = expiresAt(harness, namespace) }
                let reads = harness.server.requestCount(method: "GET", pathContains: "/secrets/ecr-login")
                let updates = harness.server.requestCount(method: "PUT", pathContains: "/secrets/ecr-login")

                try await Task.sleep(for: .milliseconds(1100))  // a new expiry, to the second
                try await changeSpec(harness, refreshInterval: "2h")
                await expectEventually {
                    var refreshed = true
                    for namespace in namespaces {
                        refreshed = refreshed && expiresAt(harness, namespace) != before[namespace]
                    }
                    return refreshed
                }
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
                await expectEventually {
                    namespaces.allSatisfy { expiresAt(harness, $0) != before[$0] }
                }
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
                    await expectEventually { await harness.cluster("shared")?.status?.condition(.ready)?.status == "True" }
                    // Someone labels the Secret in "a" after the operator wrote it.
                    var secret = try #require(await harness.secret("a", "ecr-login"))
                    secret.metadata.labels?["team"] = "payments"
                    let labelled = try await harness.client.update(secret)
                    let uid = labelled.metadata.uid

                    let before = expiresAt(harness, "a")
                    try await Task.sleep(for: .milliseconds(1100))
                    try await changeSpec(harness, refreshInterval: "2h")
                    await expectEventually { expiresAt(harness, "a") != before }
                    let refreshed = try #require(await harness.secret("a", "ecr-login"))
                    #expect(refreshed.metadata.labels?["team"] == "payments", "watchSecrets=\(watchSecrets)")
                    #expect(refreshed.metadata.uid == uid)
                    #expect(refreshed.data?[DesiredSecret.dockerConfigKey]?.isEmpty == false)
                }
            }
        }
    }

    /// The test server sends a write's watch event before its answer (held here, so the order is certain): the
    /// events of the operator's own refresh writes must not wake the resource for a second reconcile. Each
    /// reconcile asks the token source once, and `FakeTokenSource` counts the calls.
    @Test func aRefreshWhoseEventsArriveBeforeItsAnswersIsOneReconcile() async throws {
        try await withOperatorHarness { harness in
            try await setUp(harness)
            let tokens = FakeTokenSource()
            try await harness.withOperator(tokens: tokens) { running in
                try await converge(harness, running)
                try await Task.sleep(for: .milliseconds(1100))  // a new expiry, to the second
                let calls = tokens.calls
                let updates = harness.server.requestCount(method: "PUT", pathContains: "/secrets/ecr-login")
                var before: [String: String] = [:]
                for namespace in namespaces { before[namespace] = expiresAt(harness, namespace) }

                harness.server.injectLatency(.milliseconds(300), method: "PUT", pathContains: "/secrets/ecr-login")
                try await changeSpec(harness, refreshInterval: "2h")
                await expectEventually { namespaces.allSatisfy { expiresAt(harness, $0) != before[$0] } }
                #expect(await cacheHasSeenTheWrites(harness, running))
                // Room for a second reconcile to start and ask for tokens, had anything woken one.
                try await Task.sleep(for: .milliseconds(1500))
                #expect(tokens.calls - calls == 1)
                #expect(harness.server.requestCount(method: "PUT", pathContains: "/secrets/ecr-login") - updates == 3)
            }
        }
    }

    /// Someone changes a Secret's data while the operator's update of it is in flight (its answer held): the
    /// metadata watch shows that change only as a new resourceVersion, with the labels and owner the operator
    /// sent. It is not taken for the operator's own write: the resource is reconciled again and the data
    /// restored.
    @Test func aForeignChangeWhileAWriteIsInFlightStillReconciles() async throws {
        try await withOperatorHarness { harness in
            try await setUp(harness)
            try await harness.withOperator(tokens: FakeTokenSource()) { running in
                try await converge(harness, running)
                try await Task.sleep(for: .milliseconds(1100))
                let before = expiresAt(harness, "a")

                harness.server.injectLatency(.seconds(2), method: "PUT", pathContains: "/namespaces/a/secrets/", count: 1)
                try await changeSpec(harness, refreshInterval: "2h")
                // The operator's update of "a" is stored; its answer is still held.
                await expectEventually { expiresAt(harness, "a") != before }
                let emptyConfig = Data(#"{"auths":{}}"#.utf8).base64EncodedString()
                _ = try await harness.client.patch(
                    Secret.self, name: "ecr-login", namespace: "a",
                    mergePatch: .object(["data": .object([DesiredSecret.dockerConfigKey: .string(emptyConfig)])]))
                #expect(stored(harness, "a")?["data"]?[DesiredSecret.dockerConfigKey]?.stringValue == emptyConfig)

                await expectEventually(timeout: .seconds(15)) {
                    let data = stored(harness, "a")?["data"]?[DesiredSecret.dockerConfigKey]?.stringValue
                    return data != emptyConfig && data == stored(harness, "b")?["data"]?[DesiredSecret.dockerConfigKey]?.stringValue
                }
            }
        }
    }

    /// The Secret bodies the operator writes itself (`Secret.json`) read back from the server as sent, on create
    /// and on update, with template annotations that need every kind of escaping.
    @Test func writtenBodiesReadBackAsSent() async throws {
        let awkward = "quote\" back\\ slash/ tab\t nl\n ctl\u{01} ünï 日本 🦀"
        try await withOperatorHarness { harness in
            try await setUp(harness)
            try await harness.withOperator(tokens: FakeTokenSource()) { running in
                _ = try await harness.client.create(
                    ClusterAWSECRImagePullSecret(
                        metadata: ObjectMeta(name: "shared"),
                        spec: .init(
                            secretName: "ecr-login",
                            awsAccess: .init(region: "us-west-2", secretRef: .init(name: "aws-creds", namespace: "ops")),
                            secretTemplate: .init(labels: ["team": "a-b.c"], annotations: ["note": awkward]),
                            namespaces: namespaces)))
                await expectEventually { await harness.cluster("shared")?.status?.condition(.ready)?.status == "True" }
                #expect(await cacheHasSeenTheWrites(harness, running))
                for namespace in namespaces {
                    let secret = try #require(await harness.secret(namespace, "ecr-login"))
                    #expect(secret.metadata.annotations?["note"] == awkward)
                    #expect(secret.metadata.labels?["team"] == "a-b.c")
                    #expect(secret.metadata.ownerReferences?.first?.name == "shared")
                    let config = try DockerConfigJSON.decode(try #require(secret.data?[DesiredSecret.dockerConfigKey]))
                    #expect(config.auths["123456789012.dkr.ecr.us-west-2.amazonaws.com"]?.password == "fake-token-us-west-2")
                }
                let updates = harness.server.requestCount(method: "PUT", pathContains: "/secrets/ecr-login")
                let changed = awkward + " \\\""
                _ = try await harness.client.patch(
                    ClusterAWSECRImagePullSecret.self, name: "shared", namespace: nil,
                    mergePatch: .object([
                        "spec": .object(["secretTemplate": .object(["annotations": .object(["note": .string(changed)])])])
                    ]))
                await expectEventually {
                    namespaces.allSatisfy { stored(harness, $0)?["metadata"]?["annotations"]?["note"]?.stringValue == changed }
                }
                #expect(harness.server.requestCount(method: "PUT", pathContains: "/secrets/ecr-login") - updates == 3)
                #expect(stored(harness, "a")?["type"] == .string(SecretOwnership.dockerConfigJSONType))
            }
        }
    }
}
