import AsyncTestSupport
import CRDModels
import Foundation
import KubeClient
import Operator
import OperatorTestSupport
import Testing

/// The reconcilers over the real wire (KubeAPITestServer over HTTP, libcurl client, informers,
/// work queue), with a fake token source where AWS is beside the point.
@Suite(.serialized) struct ReconcilerIntegrationTests {
    func clusterResource(
        _ name: String, namespaces: [String]? = nil, selector: LabelSelector? = nil, secretName: String = "ecr-login",
        serviceAccounts: [String]? = nil
    ) -> ClusterAWSECRImagePullSecret {
        ClusterAWSECRImagePullSecret(
            metadata: ObjectMeta(name: name),
            spec: .init(
                secretName: secretName,
                awsAccess: .init(region: "us-west-2", secretRef: .init(name: "aws-creds", namespace: "ops")),
                serviceAccounts: serviceAccounts, namespaces: namespaces, namespaceSelector: selector))
    }

    @Test func clusterResourceCoversListAndSelectorAndNewNamespaces() async throws {
        try await withOperatorHarness { harness in
            try await harness.createNamespace("ops")
            try await harness.createCredentials(namespace: "ops")
            try await harness.createNamespace("listed")
            try await harness.createNamespace("labelled", labels: ["ecr-pull": "true"])
            try await harness.createNamespace("other")
            try await harness.withOperator(tokens: FakeTokenSource()) { running in
                _ = try await harness.client.create(
                    clusterResource("shared", namespaces: ["listed"], selector: LabelSelector(matchLabels: ["ecr-pull": "true"])))
                await expectEventually { await harness.secret("listed", "ecr-login") != nil }
                await expectEventually { await harness.secret("labelled", "ecr-login") != nil }
                #expect(await harness.secret("other", "ecr-login") == nil)

                // A namespace created afterwards is covered within a second.
                let start = ContinuousClock.now
                try await harness.createNamespace("late", labels: ["ecr-pull": "true"])
                await expectEventually(timeout: .seconds(1)) { await harness.secret("late", "ecr-login") != nil }
                let elapsed = ContinuousClock.now - start
                #expect(elapsed < .seconds(1))

                let status = await eventually {
                    await harness.cluster("shared")?.status?.namespaces == NamespaceCounts(desired: 3, synced: 3)
                }
                #expect(status)
                let resource = try #require(await harness.cluster("shared"))
                #expect(resource.status?.condition(.ready)?.status == "True")
                #expect(resource.status?.condition(.degraded)?.status == "False")
                let secret = try #require(await harness.secret("late", "ecr-login"))
                #expect(secret.metadata.ownerReferences?.first?.uid == resource.metadata.uid)
                #expect(secret.metadata.ownerReferences?.first?.controller == true)
                #expect(secret.metadata.labels?[Labels.managedBy] == Labels.managedByValue)
                #expect(secret.metadata.labels?[Labels.ownerName] == "shared")
                #expect(secret.metadata.annotations?[Annotations.expiresAt] != nil)
            }
        }
    }

    /// The namespace cache keeps what selection reads (name, labels, terminating) from the server's answers. What it
    /// drops, such as a `kubectl apply` annotation holding the whole object, it has no field for (`CachedNamespace`).
    @Test func theNamespaceCacheKeepsOnlyWhatSelectionReads() async throws {
        try await withOperatorHarness { harness in
            _ = try await harness.client.create(
                Namespace(
                    metadata: ObjectMeta(
                        name: "team", labels: ["ecr-pull": "true"],
                        annotations: ["kubectl.kubernetes.io/last-applied-configuration": String(repeating: "x", count: 4096)])))
            try await harness.withOperator(tokens: FakeTokenSource()) { running in
                let store = running.runtime.dependencies.caches.namespaces
                await expectEventually { store.get(namespace: nil, name: "team") != nil }
                let cached = try #require(store.get(namespace: nil, name: "team"))
                // The server's name label, answered from the name, and the namespace's own.
                #expect(cached.labels == ["ecr-pull": "true", "kubernetes.io/metadata.name": "team"])
                #expect(cached.resourceVersion != nil && !cached.isTerminating)
            }
        }
    }

    @Test func relabelledNamespaceIsPrunedAndDeletedResourceIsCollected() async throws {
        try await withOperatorHarness { harness in
            try await harness.createNamespace("ops")
            try await harness.createCredentials(namespace: "ops")
            try await harness.createNamespace("a", labels: ["ecr-pull": "true"])
            try await harness.createNamespace("b", labels: ["ecr-pull": "true"])
            try await harness.withOperator(tokens: FakeTokenSource()) { running in
                _ = try await harness.client.create(
                    clusterResource("shared", selector: LabelSelector(matchLabels: ["ecr-pull": "true"])))
                await expectEventually { await harness.secret("b", "ecr-login") != nil }

                _ = try await harness.client.patch(
                    Namespace.self, name: "b",
                    mergePatch: .object(["metadata": .object(["labels": .object(["ecr-pull": .string("false")])])]))
                await expectEventually { await harness.secret("b", "ecr-login") == nil }
                #expect(await harness.secret("a", "ecr-login") != nil)
                await expectEventually {
                    await harness.cluster("shared")?.status?.namespaces == NamespaceCounts(desired: 1, synced: 1)
                }

                try await harness.client.delete(ClusterAWSECRImagePullSecret.self, name: "shared")
                await expectEventually { await harness.secret("a", "ecr-login") == nil }
            }
        }
    }

    @Test func foreignSecretIsReportedThenAdoptedAfterAnnotation() async throws {
        try await withOperatorHarness { harness in
            try await harness.createNamespace("ops")
            try await harness.createCredentials(namespace: "ops")
            try await harness.createNamespace("mine")
            try await harness.createNamespace("theirs")
            let foreign = try await harness.client.create(
                Secret(
                    metadata: ObjectMeta(name: "ecr-login", namespace: "theirs", labels: ["owner": "someone"]),
                    data: [".dockerconfigjson": Data(#"{"auths":{}}"#.utf8)], type: "kubernetes.io/dockerconfigjson"))
            try await harness.withOperator(tokens: FakeTokenSource()) { running in
                _ = try await harness.client.create(clusterResource("shared", namespaces: ["mine", "theirs"]))
                await expectEventually { await harness.secret("mine", "ecr-login") != nil }
                await expectEventually {
                    await harness.cluster("shared")?.status?.failedNamespaces?.first?.namespace == "theirs"
                }
                let status = try #require(await harness.cluster("shared")?.status)
                #expect(status.failedNamespaces?.first?.reason == "SecretConflict")
                #expect(status.condition(.degraded)?.status == "True")
                #expect(status.namespaces == NamespaceCounts(desired: 2, synced: 1))
                let untouched = try #require(await harness.secret("theirs", "ecr-login"))
                #expect(untouched.metadata.resourceVersion == foreign.metadata.resourceVersion)
                #expect(untouched.data == foreign.data)
                // The operator told whose it is from its metadata: the one read of its data is the test's own.
                let path = "/namespaces/theirs/secrets/ecr-login"
                #expect(harness.server.requestCount(method: "GET", pathContains: path, metadataOnly: true) >= 1)
                #expect(harness.server.requestCount(method: "GET", pathContains: path, metadataOnly: false) == 1)

                // Adoption: annotate, then the next reconcile (triggered by an edit of the resource) takes it over.
                _ = try await harness.client.patch(
                    Secret.self, name: "ecr-login", namespace: "theirs",
                    mergePatch: .object(["metadata": .object(["annotations": .object([Annotations.adopt: .string("true")])])]))
                _ = try await harness.client.patch(
                    ClusterAWSECRImagePullSecret.self, name: "shared",
                    mergePatch: .object(["metadata": .object(["labels": .object(["touch": .string("1")])])]))
                await expectEventually {
                    await harness.secret("theirs", "ecr-login")?.metadata.ownerReferences?.contains { $0.controller == true }
                        == true
                }
                let secret = try #require(await harness.secret("theirs", "ecr-login"))
                #expect(secret.metadata.labels?["owner"] == "someone")
                #expect(secret.metadata.annotations?[Annotations.adopt] == nil)
                await expectEventually {
                    await harness.cluster("shared")?.status?.namespaces == NamespaceCounts(desired: 2, synced: 2)
                }
            }
        }
    }

    @Test func awsFailureKeepsSecretAndSaysWhy() async throws {
        try await withOperatorHarness { harness in
            try await harness.createNamespace("team")
            try await harness.createCredentials(namespace: "team")
            let tokens = FakeTokenSource()
            try await harness.withOperator(tokens: tokens) { running in
                try await harness.createNamespacedResource(namespace: "team")
                await expectEventually { await harness.namespaced("team", "reg")?.status?.condition(.ready)?.status == "True" }
                let good = try #require(await harness.secret("team", "ecr-login"))

                tokens.fail(with: "UnrecognizedClientException: The security token included in the request is invalid.")
                _ = try await harness.client.patch(
                    AWSECRImagePullSecret.self, name: "reg", namespace: "team",
                    mergePatch: .object(["spec": .object(["refreshInterval": .string("1h")])]))
                // Ready and CredentialsValid both turn False with the AWS error as the reason.
                await expectEventually {
                    let status = await harness.namespaced("team", "reg")?.status
                    return status?.condition(.ready)?.reason == "TokenRequestFailed"
                        && status?.condition(.ready)?.status == "False"
                        && status?.condition(.credentialsValid)?.status == "False"
                }
                let kept = try #require(await harness.secret("team", "ecr-login"))
                #expect(kept.data == good.data)
                #expect(kept.metadata.resourceVersion == good.metadata.resourceVersion)
                await expectEventually {
                    let events = try await harness.client.list(Event.self, namespace: "team").items
                    return events.contains { $0.reason == "TokenRequestFailed" && $0.type == "Warning" }
                }
                // Retries back off and repeat the warning; the recorder aggregates them into one Event.
                await expectEventually {
                    let events = try await harness.client.list(Event.self, namespace: "team").items
                        .filter { $0.reason == "TokenRequestFailed" }
                    return events.count == 1 && (events.first?.count ?? 0) >= 2
                }

                tokens.fail(with: nil)
                await expectEventually { await harness.namespaced("team", "reg")?.status?.condition(.ready)?.status == "True" }
            }
        }
    }

    @Test func deletedManagedSecretComesBackAndRotatedCredentialsRefresh() async throws {
        try await withOperatorHarness { harness in
            try await harness.createNamespace("team")
            try await harness.createCredentials(namespace: "team", keyID: "AKIAFIRSTKEY00001")
            let tokens = FakeTokenSource()
            try await harness.withOperator(tokens: tokens) { running in
                try await harness.createNamespacedResource(namespace: "team")
                await expectEventually { await harness.secret("team", "ecr-login") != nil }
                #expect(tokens.lastCredentials == "AKIAFIRSTKEY00001")

                try await harness.client.delete(Secret.self, name: "ecr-login", namespace: "team")
                await expectEventually { await harness.secret("team", "ecr-login") != nil }

                let rotated = try await harness.client.get(Secret.self, name: "aws-creds", namespace: "team")
                var updated = rotated
                updated.data?["AWS_ACCESS_KEY_ID"] = Data("AKIASECONDKEY0002".utf8)
                _ = try await harness.client.update(updated)
                await expectEventually { tokens.lastCredentials == "AKIASECONDKEY0002" }
            }
        }
    }

    @Test func credentialsSecretCreatedLaterWakesTheResourceAndNoOtherSecretIsWatched() async throws {
        try await withOperatorHarness { harness in
            try await harness.createNamespace("team")
            for index in 0..<3 {
                _ = try await harness.client.create(
                    Secret(metadata: ObjectMeta(name: "unrelated-\(index)", namespace: "team"), data: ["k": Data("v".utf8)]))
            }
            let tokens = FakeTokenSource()
            try await harness.withOperator(tokens: tokens) { running in
                try await harness.createNamespacedResource(namespace: "team")
                await expectEventually {
                    await harness.namespaced("team", "reg")?.status?.condition(.ready)?.reason == "CredentialsSecretMissing"
                }
                try await harness.createCredentials(namespace: "team")
                await expectEventually { await harness.secret("team", "ecr-login") != nil }
                #expect(tokens.lastCredentials == "AKIAEXAMPLE0001")
            }
            // Every list and watch of Secrets is selected: the managed ones by label, the credentials
            // Secret by name. No other Secret was ever listed, watched or cached.
            let collectionReads = harness.server.requestCount(method: "GET", pathContains: "/secrets?")
            let byLabel = harness.server.requestCount(method: "GET", pathContains: "labelSelector=app.kubernetes.io")
            let byName = harness.server.requestCount(
                method: "GET", pathContains: "fieldSelector=metadata.name%3Daws-creds")
            #expect(byName >= 2)  // its list and its watch
            #expect(collectionReads == byLabel + byName)
        }
    }

    @Test func ambientCredentialsRefusedForNamespacedResourceByDefault() async throws {
        try await withOperatorHarness { harness in
            try await harness.createNamespace("team")
            let tokens = FakeTokenSource()
            try await harness.withOperator(tokens: tokens) { running in
                _ = try await harness.client.create(
                    AWSECRImagePullSecret(
                        metadata: ObjectMeta(name: "reg", namespace: "team"),
                        spec: .init(secretName: "ecr-login", awsAccess: .init(region: "us-west-2"))))
                await expectEventually {
                    await harness.namespaced("team", "reg")?.status?.condition(.ready)?.reason == "AmbientCredentialsNotAllowed"
                }
                let message = await harness.namespaced("team", "reg")?.status?.condition(.ready)?.message ?? ""
                #expect(message.contains("--allow-ambient-credentials"))
                await expectEventually {
                    let events = try await harness.client.list(Event.self, namespace: "team").items
                    return events.contains { $0.reason == "AmbientCredentialsNotAllowed" && $0.type == "Warning" }
                }
                #expect(tokens.calls == 0)
                #expect(await harness.secret("team", "ecr-login") == nil)
            }
        }
    }

    @Test func serviceAccountsGetTheSecretAndLoseItWhenTheResourceGoes() async throws {
        try await withOperatorHarness { harness in
            try await harness.createNamespace("ops")
            try await harness.createCredentials(namespace: "ops")
            try await harness.createNamespace("app")
            _ = try await harness.client.create(
                ServiceAccount(
                    metadata: ObjectMeta(name: "builder", namespace: "app"),
                    imagePullSecrets: [LocalObjectReference(name: "other-registry")]))
            try await harness.withOperator(tokens: FakeTokenSource()) { running in
                _ = try await harness.client.create(clusterResource("shared", namespaces: ["app"], serviceAccounts: ["builder"]))
                await expectEventually {
                    let account = try await harness.client.get(ServiceAccount.self, name: "builder", namespace: "app")
                    return account.imagePullSecrets?.compactMap(\.name) == ["other-registry", "ecr-login"]
                }
                try await harness.client.delete(ClusterAWSECRImagePullSecret.self, name: "shared")
                await expectEventually {
                    let account = try await harness.client.get(ServiceAccount.self, name: "builder", namespace: "app")
                    return account.imagePullSecrets?.compactMap(\.name) == ["other-registry"]
                }
                await expectEventually { await harness.cluster("shared") == nil }
            }
        }
    }
}
