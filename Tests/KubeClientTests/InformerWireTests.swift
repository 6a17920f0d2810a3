import AsyncTestSupport
import CRDModels
import Foundation
import KubeTestSupport
import Testing

@testable import KubeClient

/// The informer against the test server: paginated list, watch, drops, 410 in both forms, 429.
@Suite struct InformerWireTests {
    static func configuration(
        labelSelector: String? = nil, backoff: Duration = .milliseconds(200)
    ) -> Informer<Secret>.Configuration {
        .init(
            labelSelector: labelSelector, pageSize: 2, minWatchTimeout: .seconds(60), maxWatchTimeout: .seconds(60),
            backoff: Backoff(initial: backoff, maximum: .seconds(2)))
    }

    /// Collects changes from an informer in the background.
    final class ChangeLog<R: KubeResource>: Sendable {
        let entries = Locked<[String]>([])
        let task: Task<Void, Never>

        init(_ informer: Informer<R>) {
            let entries = self.entries
            task = Task {
                for await change in informer.changes {
                    let text: String
                    switch change {
                    case .added(let object): text = "added \(object.metadata.name!)"
                    case .updated(let old, let new):
                        text = "updated \(new.metadata.name!) \(old.metadata.resourceVersion != new.metadata.resourceVersion)"
                    case .deleted(let object): text = "deleted \(object.metadata.name!)"
                    }
                    entries.withLock { $0.append(text) }
                }
            }
        }

        var all: [String] { entries.withLock { $0 } }
    }

    @Test func paginatedListThenWatchReportsEveryChange() async throws {
        try await withWireClient(tls: wireTLSModes.last!) { server, client in
            try await makeNamespace(client, "inf")
            for index in 0..<3 { _ = try await client.create(secret("pre\(index)", in: "inf")) }
            let informer = Informer<Secret>(client: client, namespace: "inf", configuration: Self.configuration())
            let log = ChangeLog(informer)
            let run = Task { await informer.run() }
            #expect(await informer.waitUntilSynced(timeout: .seconds(10)))
            #expect(informer.store.count == 3)
            #expect(server.requestCount(method: "GET", pathContains: "secrets?limit=2") >= 1)
            #expect(server.requestCount(method: "GET", pathContains: "&continue=") >= 1)

            var changed = try await client.create(secret("new", in: "inf"))
            changed.data = ["key": Data("changed".utf8)]
            _ = try await client.update(changed)
            try await client.delete(Secret.self, name: "pre0", namespace: "inf")
            await expectEventually { log.all.count == 6 }
            #expect(log.all == ["added pre0", "added pre1", "added pre2", "added new", "updated new true", "deleted pre0"])
            #expect(informer.store.get(namespace: "inf", name: "new")?.data?["key"] == Data("changed".utf8))
            #expect(informer.store.get(namespace: "inf", name: "pre0") == nil)
            run.cancel()
            await run.value
            await log.task.value
        }
    }

    @Test func droppedAndClosedWatchesResumeFromTheLastVersionWithoutRelisting() async throws {
        try await withWireClient(tls: false) { server, client in
            try await makeNamespace(client, "drop")
            server.dropNextWatch(pathContains: "watch=1", afterEvents: 1)
            let informer = Informer<Secret>(client: client, namespace: "drop", configuration: Self.configuration())
            let run = Task { await informer.run() }
            #expect(await informer.waitUntilSynced(timeout: .seconds(10)))
            await expectEventually { server.openWatchCount == 1 }
            for index in 0..<3 { _ = try await client.create(secret("d\(index)", in: "drop")) }
            await expectEventually { informer.store.count == 3 }
            #expect(informer.statistics.watches >= 2)

            server.closeWatches(abruptly: true)
            _ = try await client.create(secret("after-abrupt", in: "drop"))
            await expectEventually { informer.store.get(namespace: "drop", name: "after-abrupt") != nil }
            server.closeWatches()
            _ = try await client.create(secret("after-clean", in: "drop"))
            await expectEventually { informer.store.get(namespace: "drop", name: "after-clean") != nil }
            #expect(informer.statistics.lists == 1)
            #expect(informer.statistics.relistsAfterGone == 0)
            run.cancel()
            await run.value
        }
    }

    @Test func expiredVersionAsErrorEventRelists() async throws {
        try await withWireClient(tls: false) { server, client in
            try await makeNamespace(client, "gone")
            _ = try await client.create(secret("old", in: "gone"))
            server.updateOptions { $0.bookmarkInterval = .seconds(600) }
            let informer = Informer<Secret>(
                client: client, namespace: "gone", configuration: Self.configuration(backoff: .milliseconds(500)))
            let log = ChangeLog(informer)
            let run = Task { await informer.run() }
            #expect(await informer.waitUntilSynced(timeout: .seconds(10)))
            await expectEventually { server.openWatchCount == 1 }
            // While the informer is away (its re-watch backs off), the history it needs is compacted.
            server.closeWatches()
            _ = try server.seed(try JSONValue(encoding: secret("missed", in: "gone")))
            try server.deleteObject("secrets", namespace: "gone", name: "old")
            server.compactWatchHistory()
            await expectEventually { informer.statistics.relistsAfterGone == 1 }
            await expectEventually { informer.store.keys == ["gone/missed"] }
            #expect(informer.statistics.lists == 2)
            await expectEventually { log.all == ["added old", "added missed", "deleted old"] }
            run.cancel()
            await run.value
        }
    }

    @Test func http410OnTheWatchRelists() async throws {
        try await withWireClient(tls: false) { server, client in
            try await makeNamespace(client, "gone2")
            let informer = Informer<Secret>(client: client, namespace: "gone2", configuration: Self.configuration())
            let run = Task { await informer.run() }
            #expect(await informer.waitUntilSynced(timeout: .seconds(10)))
            await expectEventually { server.openWatchCount == 1 }
            server.injectFault(method: "GET", pathContains: "watch=1", status: 410)
            server.closeWatches()
            await expectEventually { informer.statistics.relistsAfterGone == 1 }
            await expectEventually { informer.statistics.lists == 2 }
            _ = try await client.create(secret("later", in: "gone2"))
            await expectEventually { informer.store.count == 1 }
            run.cancel()
            await run.value
        }
    }

    @Test func throttledListWaitsForRetryAfter() async throws {
        try await withWireClient(tls: false) { server, client in
            try await makeNamespace(client, "slow")
            server.injectFault(method: "GET", pathContains: "/namespaces/slow/secrets?limit", status: 429, retryAfterSeconds: 1)
            let informer = Informer<Secret>(
                client: client, namespace: "slow", configuration: Self.configuration(backoff: .milliseconds(10)))
            let started = ContinuousClock.now
            let run = Task { await informer.run() }
            #expect(await informer.waitUntilSynced(timeout: .seconds(10)))
            #expect(ContinuousClock.now - started >= .seconds(1))
            #expect(server.requestCount(method: "GET", pathContains: "/namespaces/slow/secrets?limit") == 2)
            #expect(informer.statistics.errors == 1)
            run.cancel()
            await run.value
        }
    }

    @Test func fieldSelectedWatchWithoutItsInitialListReportsOnlyLaterChangesOfThatObject() async throws {
        try await withWireClient(tls: wireTLSModes.last!) { server, client in
            try await makeNamespace(client, "one")
            _ = try await client.create(secret("creds", in: "one"))
            _ = try await client.create(secret("other", in: "one"))
            var configuration = Self.configuration()
            configuration.fieldSelector = "metadata.name=creds"
            configuration.emitsInitialList = false
            let informer = Informer<Secret>(client: client, namespace: "one", configuration: configuration)
            let log = ChangeLog(informer)
            let run = Task { await informer.run() }
            #expect(await informer.waitUntilSynced(timeout: .seconds(10)))
            #expect(informer.store.keys == ["one/creds"])

            var other = try await client.get(Secret.self, name: "other", namespace: "one")
            other.data = ["key": Data("changed".utf8)]
            _ = try await client.update(other)
            var creds = try await client.get(Secret.self, name: "creds", namespace: "one")
            creds.data = ["key": Data("rotated".utf8)]
            _ = try await client.update(creds)
            await expectEventually { log.all == ["updated creds true"] }
            #expect(informer.store.count == 1)
            run.cancel()
            await run.value
            await log.task.value
        }
    }

    @Test func metadataInformerCachesOnlyLabelledSecretMetadata() async throws {
        try await withWireClient(tls: wireTLSModes.last!) { server, client in
            try await makeNamespace(client, "meta")
            _ = try await client.create(secret("managed", in: "meta", labels: ["managed-by": "us"]))
            _ = try await client.create(secret("foreign", in: "meta"))
            let informer = Informer<PartialObjectMetadata>.metadata(
                client: client, resource: Secret.resource,
                configuration: .init(labelSelector: "managed-by=us", emitChanges: false))
            let run = Task { await informer.run() }
            #expect(await informer.waitUntilSynced(timeout: .seconds(10)))
            #expect(informer.store.keys == ["meta/managed"])
            #expect(informer.store.items.first?.kind == "PartialObjectMetadata")
            _ = try await client.create(secret("managed2", in: "meta", labels: ["managed-by": "us"]))
            await expectEventually { informer.store.count == 2 }
            #expect(server.requestCount(method: "GET", pathContains: "watch=1") >= 1)
            run.cancel()
            await run.value
        }
    }
}
