import AsyncTestSupport
import CRDModels
import Foundation
import Testing

@testable import KubeClient

func namespace(_ name: String, _ version: String, labels: [String: String]? = nil) -> Namespace {
    Namespace(metadata: ObjectMeta(name: name, labels: labels, resourceVersion: version))
}

@Suite struct InformerUnitTests {
    @Test func backoffDoublesToTheCap() {
        let backoff = Backoff(initial: .milliseconds(800), maximum: .seconds(30), jitter: 0.1)
        #expect(backoff.delay(attempt: 1, random: 0) == .milliseconds(800))
        #expect(backoff.delay(attempt: 2, random: 0) == .milliseconds(1600))
        #expect(backoff.delay(attempt: 3, random: 0.5) == .milliseconds(3360))
        #expect(backoff.delay(attempt: 20, random: 0.99) == .seconds(30))
        #expect(backoff.delay(attempt: 1000, random: 0) == .seconds(30))
        #expect(backoff.delay(attempt: 0) == .zero)
    }

    @Test func relistDiffReportsAddsUpdatesAndDeletes() {
        let store = ObjectStore<Namespace>()
        #expect(store.replace(with: [namespace("a", "1"), namespace("b", "1")]).count == 2)
        let changes = store.replace(with: [namespace("a", "1"), namespace("b", "2"), namespace("c", "3")])
        #expect(changes.map(describe) == ["updated b 1->2", "added c"])
        let removal = store.replace(with: [namespace("c", "3")])
        #expect(removal.map(describe) == ["deleted a", "deleted b"])
        #expect(store.keys == ["c"])
    }

    @Test func withObjectsReadsTheCurrentObjectsInPlace() {
        let store = ObjectStore<Namespace>()
        _ = store.replace(with: [namespace("a", "1"), namespace("b", "1")])
        _ = store.apply(.modified(namespace("b", "2")))
        _ = store.apply(.deleted(namespace("a", "1")))
        _ = store.apply(.added(namespace("c", "3")))
        let seen = store.withObjects { objects in
            objects.map { "\($0.metadata.name ?? "")@\($0.metadata.resourceVersion ?? "")" }.sorted()
        }
        #expect(seen == ["b@2", "c@3"])
        #expect(store.withObjects { $0.underestimatedCount } == 2)
    }

    @Test func watchEventsUpdateTheStore() {
        let store = ObjectStore<Secret>()
        let secret = Secret(metadata: ObjectMeta(name: "s", namespace: "n", resourceVersion: "1"))
        #expect(store.apply(.added(secret)).map(describeSecret) == "added n/s")
        var newer = secret
        newer.metadata.resourceVersion = "2"
        #expect(store.apply(.modified(newer)).map(describeSecret) == "updated n/s")
        #expect(store.get(namespace: "n", name: "s")?.metadata.resourceVersion == "2")
        #expect(store.apply(.bookmark(resourceVersion: "3")) == nil)
        #expect(store.apply(.deleted(newer)).map(describeSecret) == "deleted n/s")
        #expect(store.count == 0)
    }

    /// The secondary index follows every event: an update that keeps the indexed value leaves the object under
    /// it (with its new state), one that changes it refiles it, a deletion unfiles it and drops an empty value.
    @Test func watchEventsKeepTheIndexCurrent() {
        let store = ObjectStore<Secret>(index: { [$0.metadata.labels?["owner"]].compactMap { $0 } })
        func secret(_ name: String, owner: String?, version: String) -> Secret {
            Secret(metadata: ObjectMeta(
                name: name, namespace: "n", labels: owner.map { ["owner": $0] }, resourceVersion: version))
        }
        func indexed(_ owner: String) -> [String] {
            store.items(indexedUnder: owner).map { "\($0.metadata.name ?? "")@\($0.metadata.resourceVersion ?? "")" }
                .sorted()
        }
        _ = store.apply(.added(secret("a", owner: "x", version: "1")))
        _ = store.apply(.added(secret("b", owner: "x", version: "2")))
        _ = store.apply(.modified(secret("a", owner: "x", version: "3")))
        #expect(indexed("x") == ["a@3", "b@2"])
        _ = store.apply(.modified(secret("b", owner: "y", version: "4")))
        #expect(indexed("x") == ["a@3"])
        #expect(indexed("y") == ["b@4"])
        _ = store.apply(.modified(secret("a", owner: nil, version: "5")))
        #expect(store.indexValues == ["y"])
        _ = store.apply(.deleted(secret("b", owner: "y", version: "6")))
        #expect(store.indexValues.isEmpty)
        #expect(store.keys == ["n/a"])
    }

    @Test func channelAppliesBackpressureAndKeepsOrder() async throws {
        let channel = BoundedChannel<Int>(capacity: 2)
        let sent = Locked(0)
        let producer = Task {
            for value in 0..<10 {
                await channel.send(value)
                sent.withLock { $0 += 1 }
            }
            channel.finish()
        }
        await expectEventually { sent.withLock { $0 } == 2 }
        try await Task.sleep(for: .milliseconds(50))
        #expect(sent.withLock { $0 } == 2)
        var received: [Int] = []
        for await value in channel { received.append(value) }
        #expect(received == Array(0..<10))
        await producer.value
        #expect(await channel.send(99) == false)
    }

    /// A burst grows the buffer; once the consumer has taken everything, the storage goes with it (a small
    /// buffer is kept), and the channel goes on working.
    @Test func drainedChannelLetsGoOfABurstsBuffer() async {
        let channel = BoundedChannel<Int>(capacity: 5_000)
        for value in 0..<5_000 { await channel.send(value) }
        #expect(channel.bufferCapacity >= 5_000)
        var iterator = channel.makeAsyncIterator()
        var received: [Int] = []
        for _ in 0..<4_999 { received.append(await iterator.next() ?? -1) }
        #expect(channel.bufferCapacity >= 5_000, "kept while elements wait")
        received.append(await iterator.next() ?? -1)
        #expect(received == Array(0..<5_000))
        #expect(channel.bufferCapacity <= 64)
        for value in 0..<3 { await channel.send(value) }
        #expect(await iterator.next() == 0 && channel.bufferedCount == 2)
    }

    @Test func cancelledSenderAndConsumerDoNotHang() async throws {
        let channel = BoundedChannel<Int>(capacity: 1)
        await channel.send(1)
        let blocked = Task { await channel.send(2) }
        try await Task.sleep(for: .milliseconds(20))
        blocked.cancel()
        #expect(await blocked.value == false)
        let empty = BoundedChannel<Int>(capacity: 1)
        let consumer = Task { () async -> Int? in
            var iterator = empty.makeAsyncIterator()
            return await iterator.next()
        }
        try await Task.sleep(for: .milliseconds(20))
        consumer.cancel()
        #expect(await consumer.value == nil)
    }

    /// A send racing the waiting consumer's cancellation: the consumer gets the element or nil, and an element it
    /// did not get stays buffered. Resuming the consumer under the channel's lock deadlocked against the
    /// cancellation (which holds the consumer task's lock while its handler waits for the channel's) and stopped
    /// the whole test process within a few thousand rounds.
    @Test func aSendRacingTheConsumersCancellationNeitherDeadlocksNorLosesTheElement() async {
        for round in 0..<5_000 {
            let channel = BoundedChannel<Int>(capacity: 1)
            let consumer = Task { () async -> Int? in
                var iterator = channel.makeAsyncIterator()
                return await iterator.next()
            }
            while !channel.hasWaitingConsumer { await Task.yield() }
            async let sent = channel.send(round)
            consumer.cancel()
            #expect(await sent)
            let received = await consumer.value
            #expect(received == round || (received == nil && channel.bufferedCount == 1), "round \(round)")
        }
    }

    /// A scripted API: a list result and, per watch call, a script of events or an error.
    final class ScriptedAPI: Sendable {
        let lists = Locked<[ObjectList<Namespace>]>([])
        let watches = Locked<[(events: [WatchEvent<Namespace>], end: KubeAPIError?)]>([])
        let watchOptions = Locked<[WatchOptions]>([])
        let listCount = Locked(0)

        func list(_ options: ListOptions) throws -> ObjectList<Namespace> {
            listCount.withLock { $0 += 1 }
            return lists.withLock { $0.count > 1 ? $0.removeFirst() : $0[0] }
        }

        func watch(_ options: WatchOptions) -> AsyncThrowingStream<WatchEvent<Namespace>, any Error> {
            watchOptions.withLock { $0.append(options) }
            let script = watches.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            return AsyncThrowingStream { continuation in
                guard let script else { return }  // no more scripts: stay open (until cancelled)
                for event in script.events { continuation.yield(event) }
                continuation.finish(throwing: script.end)
            }
        }
    }

    @Test func informerListsWatchesRewatchesAndRelistsAfterGone() async throws {
        let api = ScriptedAPI()
        api.lists.withLock {
            $0 = [
                ObjectList(metadata: ListMeta(resourceVersion: "10"), items: [namespace("a", "5")]),
                ObjectList(metadata: ListMeta(resourceVersion: "30"), items: [namespace("b", "25")]),
            ]
        }
        api.watches.withLock {
            $0 = [
                ([.added(namespace("c", "11")), .bookmark(resourceVersion: "15")], nil),  // clean close
                ([.modified(namespace("c", "16"))], KubeAPIError(code: .gone, message: "too old")),
            ]
        }
        let informer = Informer<Namespace>(
            name: "namespaces",
            configuration: .init(minWatchTimeout: .seconds(1), maxWatchTimeout: .seconds(1),
                                 backoff: Backoff(initial: .milliseconds(10))),
            lister: { try api.list($0) }, watcher: { api.watch($0) })
        let run = Task { await informer.run() }
        #expect(await informer.waitUntilSynced(timeout: .seconds(5)))
        var seen: [String] = []
        for await change in informer.changes {
            seen.append(describe(change))
            if seen.count == 6 { break }
        }
        #expect(seen == ["added a", "added c", "updated c 11->16", "added b", "deleted a", "deleted c"])
        await expectEventually { api.watchOptions.withLock { $0.count } == 3 }
        let versions = api.watchOptions.withLock { $0.map { $0.resourceVersion ?? "" } }
        #expect(versions == ["10", "15", "30"])
        #expect(api.watchOptions.withLock { $0.allSatisfy { $0.allowWatchBookmarks && $0.timeoutSeconds == 1 } })
        #expect(informer.statistics.relistsAfterGone == 1)
        #expect(informer.store.keys == ["b"])
        run.cancel()
        await run.value
    }
}

private func describe(_ change: ResourceChange<Namespace>) -> String {
    switch change {
    case .added(let object): "added \(object.metadata.name!)"
    case .updated(let old, let new):
        "updated \(new.metadata.name!) \(old.metadata.resourceVersion!)->\(new.metadata.resourceVersion!)"
    case .deleted(let object): "deleted \(object.metadata.name!)"
    }
}

private func describeSecret(_ change: ResourceChange<Secret>) -> String {
    switch change {
    case .added: "added \(change.key)"
    case .updated: "updated \(change.key)"
    case .deleted: "deleted \(change.key)"
    }
}
