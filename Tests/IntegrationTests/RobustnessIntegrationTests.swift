import AsyncTestSupport
import CRDModels
import Foundation
import HTTPClient
import KubeClient
import KubeTestSupport
import Logging
import Operator
import OperatorTestSupport
import ServiceLifecycle
import Testing

@Suite(.serialized) struct RobustnessIntegrationTests {
    func resource(secretName: String = "ecr-login", labels: [String: String]? = nil) -> AWSECRImagePullSecret {
        AWSECRImagePullSecret(
            metadata: ObjectMeta(name: "reg", namespace: "team"),
            spec: .init(
                secretName: secretName, awsAccess: .init(region: "us-west-2", secretRef: .init(name: "aws-creds")),
                secretTemplate: labels.map { SecretTemplate(labels: $0) }))
    }

    @Test func conflictOnSecretUpdateIsRetriedInPlace() async throws {
        try await withOperatorHarness { harness in
            try await harness.createNamespace("team")
            try await harness.createCredentials(namespace: "team")
            try await harness.withOperator(tokens: FakeTokenSource()) { running in
                _ = try await harness.client.create(resource())
                await expectEventually { await harness.secret("team", "ecr-login") != nil }
                let original = try #require(await harness.secret("team", "ecr-login"))

                // The next two PUTs of the Secret answer 409 Conflict; the writer re-reads and retries.
                harness.server.injectFault(method: "PUT", pathContains: "/secrets/ecr-login", status: 409, count: 2)
                _ = try await harness.client.patch(
                    AWSECRImagePullSecret.self, name: "reg", namespace: "team",
                    mergePatch: .object(["spec": .object(["secretTemplate": .object(["labels": .object(["tier": .string("gold")])])])]))
                await expectEventually { await harness.secret("team", "ecr-login")?.metadata.labels?["tier"] == "gold" }
                let updated = try #require(await harness.secret("team", "ecr-login"))
                // Updated in place: same object (uid), never deleted and recreated.
                #expect(updated.metadata.uid == original.metadata.uid)
                #expect(harness.server.requestCount(method: "DELETE", pathContains: "/secrets/") == 0)
                // Two refused PUTs and the one that went through.
                #expect(harness.server.requestCount(method: "PUT", pathContains: "/secrets/ecr-login") >= 3)
            }
        }
    }

    /// An API-server failure while reading the credentials Secret says nothing about the Secret's content:
    /// it must not be reported as `CredentialsSecretInvalid` (which tells the user to fix the Secret).
    @Test func apiServerFailureReadingCredentialsIsNotReportedAsInvalidCredentials() async throws {
        try await withOperatorHarness { harness in
            try await harness.createNamespace("team")
            try await harness.createCredentials(namespace: "team")
            harness.server.injectFault(method: "GET", pathContains: "/secrets/aws-creds", status: 500, count: 1000)
            let tokens = FakeTokenSource()
            try await harness.withOperator(tokens: tokens) { running in
                _ = try await harness.client.create(resource())
                await expectEventually {
                    await harness.namespaced("team", "reg")?.status?.condition(.ready)?.status == "False"
                }
                let ready = await harness.namespaced("team", "reg")?.status?.condition(.ready)
                #expect(ready?.reason == "CredentialsSecretReadFailed")
                #expect(ready?.message.contains("team/aws-creds") == true)
                #expect(await harness.namespaced("team", "reg")?.status?.condition(.credentialsValid) == nil)
                #expect(tokens.calls == 0)
                // Retried with backoff, not given up on.
                await expectEventually { harness.server.requestCount(method: "GET", pathContains: "/secrets/aws-creds") >= 3 }
            }
        }
    }

    @Test func invalidSpecGetsReadyFalseWithTheRuleAndNoAWSCall() async throws {
        try await withOperatorHarness { harness in
            try await harness.createNamespace("team")
            try await harness.createCredentials(namespace: "team")
            let tokens = FakeTokenSource()
            try await harness.withOperator(tokens: tokens) { running in
                // The CRD schema, enforced by the API server as on a real cluster, refuses a bad secretName;
                // a refreshInterval outside 10m..11h passes the schema and only the operator's rule rejects it.
                var invalid = resource()
                invalid.spec.refreshInterval = "1m"
                _ = try await harness.client.create(invalid)
                await expectEventually {
                    await harness.namespaced("team", "reg")?.status?.condition(.ready)?.reason == "InvalidSpec"
                }
                let message = await harness.namespaced("team", "reg")?.status?.condition(.ready)?.message ?? ""
                #expect(message.contains("spec.refreshInterval"))
                #expect(tokens.calls == 0)
                #expect(await harness.secret("team", "ecr-login") == nil)
            }
        }
    }

    @Test func probesAndMetricsAnswerOverHTTP() async throws {
        try await withOperatorHarness { harness in
            try await harness.withOperator(tokens: FakeTokenSource()) { running in
                let probes = ProbeServer.make(
                    host: "127.0.0.1", port: 0, logger: harness.logger, isReady: { running.runtime.isReady },
                    metricsText: { "ecr_pullsecret_refresh_total 1\n" })
                let serving = Task { try await probes.run() }
                defer { serving.cancel() }
                let port = try await probes.localPort()
                let http = CurlHTTPClient(configuration: .init())
                let health = try await http.send(HTTPRequest(url: "http://127.0.0.1:\(port)/healthz"))
                #expect(health.status == 200)
                await expectEventually { (try? await http.send(HTTPRequest(url: "http://127.0.0.1:\(port)/readyz")))?.status == 200 }
                let metrics = try await http.send(HTTPRequest(url: "http://127.0.0.1:\(port)/metrics"))
                #expect(metrics.status == 200)
                #expect(String(decoding: metrics.body, as: UTF8.self).contains("ecr_pullsecret_refresh_total"))
                let missing = try await http.send(HTTPRequest(url: "http://127.0.0.1:\(port)/nope"))
                #expect(missing.status == 404)
                probes.shutdownGracefully()
            }
        }
    }
}

@Suite(.serialized) struct WithoutSecretWatchIntegrationTests {
    @Test func writesAndPrunesWithoutListingSecrets() async throws {
        try await withOperatorHarness { harness in
            try await harness.createNamespace("ops")
            try await harness.createCredentials(namespace: "ops")
            try await harness.createNamespace("a")
            try await harness.createNamespace("b")
            try await harness.withOperator(tokens: FakeTokenSource(), settings: OperatorSettings(watchSecrets: false)) { running in
                try await harness.createSharedResource(namespaces: ["a", "b"])
                await expectEventually { await harness.secret("b", "ecr-login") != nil }
                _ = try await harness.client.patch(
                    ClusterAWSECRImagePullSecret.self, name: "shared",
                    mergePatch: .object(["spec": .object(["namespaces": .array([.string("a")])])]))
                await expectEventually { await harness.secret("b", "ecr-login") == nil }
                #expect(await harness.secret("a", "ecr-login") != nil)
                // No list or watch of Secrets was made.
                #expect(harness.server.requestCount(method: "GET", pathContains: "/api/v1/secrets") == 0)
            }
        }
    }

    /// Issue 11: a Secret this resource once wrote, deleted and recreated by its namespace's team, is theirs:
    /// when the namespace later leaves the selection, the prune must not delete it.
    @Test func pruneLeavesASecretRecreatedBySomeoneElse() async throws {
        try await withOperatorHarness { harness in
            try await harness.createNamespace("ops")
            try await harness.createCredentials(namespace: "ops")
            try await harness.createNamespace("a")
            try await harness.createNamespace("team")
            try await harness.withOperator(tokens: FakeTokenSource(), settings: OperatorSettings(watchSecrets: false)) { _ in
                try await harness.createSharedResource(namespaces: ["a", "team"])
                await expectEventually { await harness.secret("team", "ecr-login") != nil }
                try await harness.client.delete(Secret.self, name: "ecr-login", namespace: "team")
                let theirs = try await harness.client.create(
                    Secret(
                        metadata: ObjectMeta(name: "ecr-login", namespace: "team"),
                        data: [".dockerconfigjson": Data(#"{"auths":{}}"#.utf8)], type: "kubernetes.io/dockerconfigjson"))
                _ = try await harness.client.patch(
                    ClusterAWSECRImagePullSecret.self, name: "shared",
                    mergePatch: .object(["spec": .object(["namespaces": .array([.string("a")])])]))
                await expectEventually {
                    await harness.cluster("shared")?.status?.namespaces == NamespaceCounts(desired: 1, synced: 1)
                }
                try await Task.sleep(for: .milliseconds(300))
                let kept = try #require(await harness.secret("team", "ecr-login"))
                #expect(kept.metadata.uid == theirs.metadata.uid)
                #expect(kept.data == theirs.data)
            }
        }
    }
}

@Suite(.serialized) struct GracefulShutdownIntegrationTests {
    @Test func shutdownFinishesTheWriteInFlight() async throws {
        try await withOperatorHarness { harness in
            try await harness.createNamespace("team")
            try await harness.createCredentials(namespace: "team")
            let running = harness.startOperator(tokens: FakeTokenSource())
            await expectEventually { running.runtime.isReady }
            harness.server.injectLatency(
                .seconds(3), method: "POST", pathContains: "/secrets", count: 1, holdsRequest: true)
            // The count already holds the credentials Secret's create: wait for the operator's own.
            let creates = harness.server.requestCount(method: "POST", pathContains: "/secrets")
            try await harness.createNamespacedResource(namespace: "team")
            await expectEventually { harness.server.requestCount(method: "POST", pathContains: "/secrets") > creates }
            // The Secret's POST is held by the server; a graceful stop now must wait for it.
            #expect(await harness.secret("team", "ecr-login") == nil)
            await running.stop()
            #expect(await harness.secret("team", "ecr-login") != nil)
            #expect(!running.runtime.isLeading)
        }
    }

    /// A cache that never syncs (here: the CRDs are not installed, so listing both kinds is 404) must not
    /// hold a stop: the process ends at once and the Lease it holds is released.
    @Test(.timeLimit(.minutes(1))) func shutdownDoesNotWaitForCachesThatNeverSync() async throws {
        var logger = Logger(label: "it")
        logger.logLevel = .critical
        let server = try await KubeAPITestServer.start(tls: false, token: "test-token")
        try await withTeardown({ await server.shutdown() }) {
            let config = try KubeConfig.parse(yaml: try server.kubeconfigYAML(), directory: "/tmp")
            let client = KubeClient(config: config, logger: logger)
            let runtime = OperatorRuntime(
                client: client, tokens: FakeTokenSource(), events: nil,
                configuration: RuntimeConfiguration(
                    leaderElection: LeaderElectionConfiguration(
                        namespace: "default", name: "ecr-pullsecret-operator", identity: "replica-a")),
                logger: logger)
            let group = ServiceGroup(
                configuration: .init(services: [.init(service: runtime)], gracefulShutdownSignals: [], logger: logger))
            let task = Task { try await group.run() }
            await expectEventually { runtime.isLeading }
            try await Task.sleep(for: .milliseconds(300))
            #expect(!runtime.isReady)

            let stopping = ContinuousClock.now
            await group.triggerGracefulShutdown()
            _ = await task.result
            #expect(ContinuousClock.now - stopping < .seconds(5))
            let lease = try await client.get(Lease.self, name: "ecr-pullsecret-operator", namespace: "default")
            #expect(lease.spec?.holderIdentity == "")
        }
    }
}

@Suite(.serialized) struct WatchNamespaceIntegrationTests {
    @Test func watchNamespaceReadsOnlyThatNamespace() async throws {
        try await withOperatorHarness { harness in
            for name in ["team", "other"] {
                try await harness.createNamespace(name)
                try await harness.createCredentials(namespace: name)
            }
            try await harness.withOperator( tokens: FakeTokenSource(), settings: OperatorSettings(watchNamespace: "team")) { running in
                for namespace in ["team", "other"] {
                    _ = try await harness.client.create(
                        AWSECRImagePullSecret(
                            metadata: ObjectMeta(name: "reg", namespace: namespace),
                            spec: .init(
                                secretName: "ecr-login", awsAccess: .init(region: "us-west-2", secretRef: .init(name: "aws-creds")))))
                }
                await expectEventually { await harness.secret("team", "ecr-login") != nil }
                await expectEventually { running.runtime.isReady }
                try await Task.sleep(for: .milliseconds(300))
                #expect(await harness.secret("other", "ecr-login") == nil)
                // Neither the cluster kind nor cluster-wide Secrets were listed or watched.
                #expect(harness.server.requestCount(pathContains: "clusterawsecrimagepullsecrets") == 0)
                #expect(harness.server.requestCount(pathContains: "/api/v1/secrets") == 0)
                #expect(harness.server.requestCount(pathContains: "/apis/ecr.pullsecrets.dev/v1alpha1/awsecrimagepullsecrets") == 0)
            }
        }
    }
}
