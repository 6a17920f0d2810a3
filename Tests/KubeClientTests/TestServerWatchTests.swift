import AsyncTestSupport
import CRDModels
import Foundation
import KubeClient
import KubeTestSupport
import Testing

@Suite("Test server: selectors, pagination, metadata-only, watch")
struct TestServerWatchTests {
    static func secret(_ name: String, labels: [String: String]) -> JSONValue {
        .object([
            "apiVersion": .string("v1"), "kind": .string("Secret"),
            "metadata": .object([
                "name": .string(name), "namespace": .string("default"),
                "labels": .object(labels.mapValues(JSONValue.string)),
            ]),
            "data": .object(["k": .string("dmFsdWU=")]),
        ])
    }

    static func names(_ list: JSONValue) -> [String] {
        list["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } ?? []
    }

    @Test func labelAndFieldSelectors() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            try server.seed(Self.secret("a", labels: ["app": "web", "tier": "front"]))
            try server.seed(Self.secret("b", labels: ["app": "db"]))
            try server.seed(Self.secret("c", labels: ["app": "web", "tier": "back"]))
            try server.seed(Self.secret("d", labels: [:]))
            let wire = TestServerWire(server)
            func select(_ query: String) async throws -> [String] {
                let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query
                let reply = try await wire.call("GET", "/api/v1/namespaces/default/secrets?labelSelector=\(encoded)")
                #expect(reply.status == 200, "\(query): \(reply.text)")
                return Self.names(reply.json)
            }
            #expect(try await select("app=web") == ["a", "c"])
            #expect(try await select("app==db") == ["b"])
            #expect(try await select("app!=web") == ["b", "d"])
            #expect(try await select("tier in (front,back)") == ["a", "c"])
            #expect(try await select("app notin (web)") == ["b", "d"])
            #expect(try await select("tier") == ["a", "c"])
            #expect(try await select("!tier") == ["b", "d"])
            #expect(try await select("app=web,tier notin (back)") == ["a"])
            let bad = try await wire.call("GET", "/api/v1/namespaces/default/secrets?labelSelector=app%20%3D%3D%3D%20x")
            #expect(bad.status == 400)

            let byName = try await wire.call("GET", "/api/v1/secrets?fieldSelector=metadata.name%3Db")
            #expect(Self.names(byName.json) == ["b"])
            let notDefault = try await wire.call("GET", "/api/v1/secrets?fieldSelector=metadata.namespace!%3Ddefault")
            #expect(Self.names(notDefault.json).isEmpty)
            let unsupported = try await wire.call("GET", "/api/v1/secrets?fieldSelector=spec.nothing%3Dx")
            #expect(unsupported.status == 400)
            #expect(unsupported.json["message"] == .string("field label not supported: spec.nothing"))
        }
    }

    @Test func paginationSharesOneSnapshotAndContinueTokensExpire() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            for index in 0..<5 { try server.seed(Self.secret("s\(index)", labels: [:])) }
            let wire = TestServerWire(server)
            let first = try await wire.call("GET", "/api/v1/namespaces/default/secrets?limit=2")
            #expect(Self.names(first.json) == ["s0", "s1"])
            #expect(first.json["metadata"]?["remainingItemCount"]?.testInt == 3)
            let token = try #require(first.json["metadata"]?["continue"]?.stringValue)
            // A change between pages does not show: all pages come from the first page's snapshot.
            try server.seed(Self.secret("s2a", labels: [:]))
            let encoded = token.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let second = try await wire.call("GET", "/api/v1/namespaces/default/secrets?limit=2&continue=\(encoded)")
            #expect(Self.names(second.json) == ["s2", "s3"])
            #expect(second.json["metadata"]?["resourceVersion"] == first.json["metadata"]?["resourceVersion"])
            let third = try await wire.call(
                "GET",
                "/api/v1/namespaces/default/secrets?limit=2&continue="
                    + second.json["metadata"]!["continue"]!.stringValue!.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            #expect(Self.names(third.json) == ["s4"])
            #expect(third.json["metadata"]?["continue"] == nil)

            let again = try await wire.call("GET", "/api/v1/namespaces/default/secrets?limit=2")
            let next = again.json["metadata"]!["continue"]!.stringValue!.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            server.expireContinueTokens()
            let expired = try await wire.call("GET", "/api/v1/namespaces/default/secrets?limit=2&continue=\(next)")
            #expect(expired.status == 410)
            #expect(expired.json["reason"] == .string("Expired"))
            // Its token resumes after the last key served, at the current state (s2a, deleted s3 show).
            try await wire.call("DELETE", "/api/v1/namespaces/default/secrets/s3")
            let resume = try #require(expired.json["metadata"]?["continue"]?.stringValue)
            let resumed = try await wire.call(
                "GET",
                "/api/v1/namespaces/default/secrets?limit=10&continue="
                    + resume.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            #expect(Self.names(resumed.json) == ["s2", "s2a", "s4"])
            let garbage = try await wire.call("GET", "/api/v1/namespaces/default/secrets?limit=2&continue=%21%21")
            #expect(garbage.status == 400)
        }
    }

    @Test func metadataOnlyListsGetsAndWatches() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            try server.seed(Self.secret("m", labels: ["app": "web"]))
            let wire = TestServerWire(server)
            let list = try await wire.call(
                "GET", "/api/v1/namespaces/default/secrets",
                accept: "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json")
            #expect(list.json["kind"] == .string("PartialObjectMetadataList"))
            #expect(list.json["apiVersion"] == .string("meta.k8s.io/v1"))
            let item = try #require(list.json["items"]?.arrayValue?.first)
            #expect(item["kind"] == .string("PartialObjectMetadata"))
            #expect(item["data"] == nil)
            #expect(item["metadata"]?["labels"]?["app"] == .string("web"))
            let one = try await wire.call(
                "GET", "/api/v1/namespaces/default/secrets/m",
                accept: "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1")
            #expect(one.json["kind"] == .string("PartialObjectMetadata"))
            #expect(one.json["data"] == nil)
            // Table first, JSON as fallback: the server prints a Table (TestServerDiscoveryTableTests);
            // plain JSON gives the typed list.
            let table = try await wire.call(
                "GET", "/api/v1/namespaces/default/secrets",
                accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
            #expect(table.json["kind"] == .string("Table"))
            let plain = try await wire.call("GET", "/api/v1/namespaces/default/secrets", accept: "application/json")
            #expect(plain.json["kind"] == .string("SecretList"))
            #expect(plain.json["items"]?.arrayValue?.first?["data"] != nil)
            // Items of typed lists carry no kind/apiVersion, like the real server's.
            #expect(plain.json["items"]?.arrayValue?.first?["kind"] == nil)

            let (status, events) = try await wire.watch(
                "/api/v1/namespaces/default/secrets?watch=1&resourceVersion=\(server.resourceVersion)",
                accept: "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1")
            #expect(status == 200)
            try server.seed(Self.secret("n", labels: [:]))
            let event = try #require(try await events.nextChange())
            #expect(event["type"] == .string("ADDED"))
            #expect(event["object"]?["kind"] == .string("PartialObjectMetadata"))
            #expect(event["object"]?["data"] == nil)
            #expect(event["object"]?["metadata"]?["name"] == .string("n"))
        }
    }

    /// The real create, update and patch handlers negotiate the output media type first and render what they
    /// stored in it (`transformResponseObject`): `as=PartialObjectMetadata` answers the metadata only, with
    /// the write's status code; an Accept the server cannot answer is a 406 and nothing is written.
    @Test func writesAnswerMetadataOnlyWhenAsked() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            let wire = TestServerWire(server)
            let path = "/api/v1/namespaces/default/secrets"
            let created = try await wire.call(
                "POST", path, Self.secret("w", labels: ["app": "web"]), accept: KubeClient.metadataAccept)
            #expect(created.status == 201)
            #expect(created.json["kind"] == .string("PartialObjectMetadata"))
            #expect(created.json["apiVersion"] == .string("meta.k8s.io/v1"))
            #expect(created.json["data"] == nil)
            let stored = try #require(server.object("secrets", namespace: "default", name: "w"))
            #expect(created.json["metadata"] == stored["metadata"])
            #expect(created.json["metadata"]?["uid"]?.stringValue?.isEmpty == false)

            var changed = stored
            changed["data"] = .object(["k": .string("Y2hhbmdlZA==")])
            let updated = try await wire.call(
                "PUT", path + "/w", changed, accept: "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1")
            #expect(updated.status == 200)
            #expect(updated.json["kind"] == .string("PartialObjectMetadata"))
            #expect(updated.json["apiVersion"] == .string("meta.k8s.io/v1beta1"))
            #expect(updated.json["data"] == nil)
            let afterUpdate = try #require(server.object("secrets", namespace: "default", name: "w"))
            #expect(afterUpdate["data"]?["k"] == .string("Y2hhbmdlZA=="))
            #expect(updated.json["metadata"]?["resourceVersion"] == afterUpdate["metadata"]?["resourceVersion"])

            let patched = try await wire.call(
                "PATCH", path + "/w", .object(["metadata": .object(["labels": .object(["tier": .string("a")])])]),
                contentType: "application/merge-patch+json", accept: KubeClient.metadataAccept)
            #expect(patched.status == 200)
            #expect(patched.json["kind"] == .string("PartialObjectMetadata"))
            #expect(patched.json["metadata"]?["labels"]?["tier"] == .string("a"))
            #expect(patched.json["data"] == nil)

            // Plain JSON (or none) still answers the whole object.
            let plain = try await wire.call("POST", path, Self.secret("p", labels: [:]), accept: "application/json")
            #expect(plain.json["kind"] == .string("Secret"))
            #expect(plain.json["data"]?["k"] == .string("dmFsdWU="))

            // The list form for one object: 406 before the write, so nothing is created.
            let refused = try await wire.call(
                "POST", path, Self.secret("x", labels: [:]), accept: KubeClient.metadataListAccept)
            #expect(refused.status == 406)
            #expect(server.object("secrets", namespace: "default", name: "x") == nil)
        }
    }

    /// A write answers with the bytes its watchers of the same form were sent, which must be what rendering the
    /// stored object gives: the metadata form and the whole object, a form no watcher has (v1beta1), a dry run
    /// (its answer is not the stored object, at the same resourceVersion), and a relabel out of a watch's selection
    /// (that watch gets the previous object).
    @Test func writeAnswersAreTheBytesOfTheirRenderedObject() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            let wire = TestServerWire(server)
            let path = "/api/v1/namespaces/default/secrets"
            let from = server.resourceVersion
            let (_, metadataEvents) = try await wire.watch(
                path + "?watch=1&resourceVersion=\(from)", accept: KubeClient.metadataAccept)
            let (_, webEvents) = try await wire.watch(path + "?watch=1&resourceVersion=\(from)&labelSelector=app%3Dweb")
            func metadataForm(_ object: JSONValue, version: String = "v1") -> JSONValue {
                .object([
                    "kind": .string("PartialObjectMetadata"), "apiVersion": .string("meta.k8s.io/" + version),
                    "metadata": object["metadata"] ?? .null,
                ])
            }
            func line(_ type: String, _ object: JSONValue) throws -> Data {
                try JSONValue.object(["type": .string(type), "object": object]).serialized()
            }
            func stored() throws -> JSONValue {
                try #require(server.object("secrets", namespace: "default", name: "w"))
            }
            func expectAnswer(_ reply: TestServerWire.Reply, is object: JSONValue) throws {
                #expect(Data(reply.text.utf8) == (try object.serialized()) + Data("\n".utf8))
            }

            let created = try await wire.call(
                "POST", path, Self.secret("w", labels: ["app": "web"]), accept: KubeClient.metadataAccept)
            try expectAnswer(created, is: metadataForm(try stored()))
            #expect(try await metadataEvents.nextLine() == (try line("ADDED", metadataForm(try stored()))))
            #expect(try await webEvents.nextLine() == (try line("ADDED", try stored())))

            var changed = try stored()
            changed["data"] = .object(["k": .string("Y2hhbmdlZA==")])
            let updated = try await wire.call("PUT", path + "/w", changed, accept: "application/json")
            try expectAnswer(updated, is: try stored())
            #expect(try await metadataEvents.nextLine() == (try line("MODIFIED", metadataForm(try stored()))))
            #expect(try await webEvents.nextLine() == (try line("MODIFIED", try stored())))

            var labelled = try stored()
            labelled["metadata"]?["labels"]?["tier"] = .string("front")
            let beta = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1"
            let betaAnswer = try await wire.call("PUT", path + "/w", labelled, accept: beta)
            try expectAnswer(betaAnswer, is: metadataForm(try stored(), version: "v1beta1"))
            #expect(try await metadataEvents.nextLine() == (try line("MODIFIED", metadataForm(try stored()))))
            #expect(try await webEvents.nextLine() == (try line("MODIFIED", try stored())))

            var dryRun = try stored()
            dryRun["metadata"]?["labels"]?["tier"] = .string("back")
            let dryAnswer = try await wire.call(
                "PUT", path + "/w?dryRun=All", dryRun, accept: KubeClient.metadataAccept)
            #expect(dryAnswer.json["metadata"]?["labels"]?["tier"] == .string("back"))
            #expect(dryAnswer.json["metadata"]?["resourceVersion"] == (try stored())["metadata"]?["resourceVersion"])
            #expect((try stored())["metadata"]?["labels"]?["tier"] == .string("front"))

            let before = try stored()
            var moved = before
            moved["metadata"]?["labels"] = .object(["app": .string("db")])
            let movedAnswer = try await wire.call("PUT", path + "/w", moved, accept: "application/json")
            try expectAnswer(movedAnswer, is: try stored())
            #expect(try await metadataEvents.nextLine() == (try line("MODIFIED", metadataForm(try stored()))))
            var last = before
            last["metadata"]?["resourceVersion"] = (try stored())["metadata"]?["resourceVersion"]
            #expect(try await webEvents.nextLine() == (try line("DELETED", last)))
        }
    }

    @Test func watchFromAResourceVersionReplaysThenStreamsWithSelectors() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            let wire = TestServerWire(server)
            let start = server.resourceVersion
            try server.seed(Self.secret("w1", labels: ["app": "web"]))
            try server.seed(Self.secret("x1", labels: ["app": "db"]))
            let (status, events) = try await wire.watch(
                "/api/v1/namespaces/default/secrets?watch=true&resourceVersion=\(start)&labelSelector=app%3Dweb")
            #expect(status == 200)
            let replayed = try #require(try await events.nextChange())
            #expect(replayed["type"] == .string("ADDED"))
            #expect(replayed["object"]?["metadata"]?["name"] == .string("w1"))
            #expect(replayed["object"]?["kind"] == .string("Secret"))
            // Relabelling into and out of the selector is ADDED and DELETED for this watch.
            var moved = try #require(server.object("secrets", namespace: "default", name: "x1"))
            moved["metadata"]?["labels"] = .object(["app": .string("web")])
            try server.seed(moved)
            let entered = try #require(try await events.nextChange())
            #expect(entered["type"] == .string("ADDED"))
            #expect(entered["object"]?["metadata"]?["name"] == .string("x1"))
            moved = try #require(server.object("secrets", namespace: "default", name: "x1"))
            moved["data"] = .object(["k": .string("Zm9v")])
            try server.seed(moved)
            let modified = try #require(try await events.nextChange())
            #expect(modified["type"] == .string("MODIFIED"))
            moved = try #require(server.object("secrets", namespace: "default", name: "x1"))
            moved["metadata"]?["labels"] = .object(["app": .string("db")])
            try server.seed(moved)
            let left = try #require(try await events.nextChange())
            #expect(left["type"] == .string("DELETED"))
            try server.deleteObject("secrets", namespace: "default", name: "w1")
            let deleted = try #require(try await events.nextChange())
            #expect(deleted["type"] == .string("DELETED"))
            #expect(deleted["object"]?["metadata"]?["name"] == .string("w1"))
            let lastRV = Int(deleted["object"]?["metadata"]?["resourceVersion"]?.stringValue ?? "") ?? 0
            #expect(lastRV == Int(server.resourceVersion))
        }
    }

    /// The server writes the events queued for a watch together and flushes once (as the real watch server
    /// flushes only when no event waits): a burst of concurrent writes still reaches every watch whole, in
    /// resourceVersion order, each event in its watch's form.
    @Test func aBurstOfWritesReachesEveryWatchWholeAndInOrder() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            let wire = TestServerWire(server)
            let start = server.resourceVersion
            let path = "/api/v1/namespaces/default/secrets?watch=true&resourceVersion=\(start)"
                + "&labelSelector=app%3Dburst"
            let (fullStatus, full) = try await wire.watch(path)
            let (metaStatus, meta) = try await wire.watch(
                path, accept: "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1")
            #expect(fullStatus == 200 && metaStatus == 200)
            let count = 200
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        for index in stride(from: worker, to: count, by: 8) {
                            let created = try await wire.call(
                                "POST", "/api/v1/namespaces/default/secrets",
                                Self.secret("burst-\(index)", labels: ["app": "burst"]))
                            #expect(created.status == 201)
                        }
                    }
                }
                try await group.waitForAll()
            }
            for (events, kind) in [(full, "Secret"), (meta, "PartialObjectMetadata")] {
                var names: Set<String> = []
                var last = 0
                for _ in 0..<count {
                    let event = try #require(try await events.nextChange())
                    #expect(event["type"] == .string("ADDED"))
                    #expect(event["object"]?["kind"] == .string(kind))
                    let version = Int(event["object"]?["metadata"]?["resourceVersion"]?.stringValue ?? "") ?? 0
                    #expect(version > last)
                    last = version
                    names.insert(event["object"]?["metadata"]?["name"]?.stringValue ?? "")
                }
                #expect(names.count == count)
                #expect(last == Int(server.resourceVersion))
            }
        }
    }

    @Test func watchWithoutResourceVersionStartsWithCurrentObjectsAndSendsBookmarks() async throws {
        var options = KubeAPITestServerOptions()
        options.bookmarkInterval = .milliseconds(100)
        let server = try await KubeAPITestServer.start(options: options)
        try await withTeardown({ await server.shutdown() }) {
            try server.seed(Self.secret("present", labels: [:]))
            let (_, events) = try await TestServerWire(server).watch(
                "/api/v1/namespaces/default/secrets?watch=1&allowWatchBookmarks=true")
            let initial = try #require(try await events.next())
            #expect(initial["type"] == .string("ADDED"))
            #expect(initial["object"]?["metadata"]?["name"] == .string("present"))
            let bookmark = try #require(try await events.next())
            #expect(bookmark["type"] == .string("BOOKMARK"))
            #expect(bookmark["object"]?["kind"] == .string("Secret"))
            #expect(bookmark["object"]?["metadata"]?["resourceVersion"]?.stringValue == server.resourceVersion)
        }
    }

    /// v1.26 has no WatchList: `sendInitialEvents` is ignored, and `resourceVersionMatch` on a watch is 422.
    @Test func sendInitialEventsIsIgnoredAndResourceVersionMatchRefusedOnWatches() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            try server.seed(Self.secret("first", labels: [:]))
            try server.seed(Self.secret("second", labels: [:]))
            let wire = TestServerWire(server)
            let invalid = try await wire.call(
                "GET",
                "/api/v1/namespaces/default/secrets?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
                    + "&allowWatchBookmarks=true")
            #expect(invalid.status == 422)
            let (_, events) = try await wire.watch("/api/v1/namespaces/default/secrets?watch=1&sendInitialEvents=true")
            #expect(try await events.next()?["object"]?["metadata"]?["name"] == .string("first"))
            #expect(try await events.next()?["object"]?["metadata"]?["name"] == .string("second"))
        }
    }

    @Test func watchFromACompactedResourceVersionGets410Expired() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            let old = server.resourceVersion
            try server.seed(Self.secret("later", labels: [:]))
            server.compactWatchHistory()
            let (status, events) = try await TestServerWire(server).watch(
                "/api/v1/namespaces/default/secrets?watch=1&resourceVersion=\(old)")
            #expect(status == 200)
            let error = try #require(try await events.next())
            #expect(error["type"] == .string("ERROR"))
            #expect(error["object"]?["code"]?.testInt == 410)
            #expect(error["object"]?["reason"] == .string("Expired"))
            #expect(error["object"]?["message"] == .string("too old resource version: \(old) (\(server.resourceVersion))"))
            #expect(try await events.next() == nil)

            // A small retained window does the same on its own.
            server.updateOptions { $0.watchHistoryLimit = 2 }
            let before = server.resourceVersion
            for index in 0..<3 { try server.seed(Self.secret("burst\(index)", labels: [:])) }
            let (_, stale) = try await TestServerWire(server).watch(
                "/api/v1/namespaces/default/secrets?watch=1&resourceVersion=\(before)")
            #expect(try await stale.next()?["object"]?["code"]?.testInt == 410)

            // Many writes later (the dropped records are freed in batches), the window is still exactly two.
            for index in 0..<100 { try server.seed(Self.secret("many\(index)", labels: [:])) }
            let end = try #require(Int(server.resourceVersion))
            let (_, kept) = try await TestServerWire(server).watch(
                "/api/v1/namespaces/default/secrets?watch=1&resourceVersion=\(end - 2)")
            #expect(try await kept.nextChange()?["object"]?["metadata"]?["name"] == .string("many98"))
            #expect(try await kept.nextChange()?["object"]?["metadata"]?["name"] == .string("many99"))
            let (_, gone) = try await TestServerWire(server).watch(
                "/api/v1/namespaces/default/secrets?watch=1&resourceVersion=\(end - 3)")
            #expect(try await gone.next()?["object"]?["code"]?.testInt == 410)
        }
    }

    @Test func watchesEndOnTimeoutOnCloseAndWhenDropped() async throws {
        let server = try await KubeAPITestServer.start()
        try await withTeardown({ await server.shutdown() }) {
            let wire = TestServerWire(server)
            let rv = server.resourceVersion
            let (_, timed) = try await wire.watch("/api/v1/namespaces/default/secrets?watch=1&resourceVersion=\(rv)&timeoutSeconds=1")
            let clock = ContinuousClock.now
            #expect(try await timed.next() == nil)
            #expect(ContinuousClock.now - clock < .seconds(3))

            let (_, closed) = try await wire.watch("/api/v1/namespaces/default/secrets?watch=1&resourceVersion=\(rv)")
            try await expectServerEventually { server.openWatchCount == 1 }
            server.closeWatches()
            #expect(try await closed.next() == nil)
            #expect(server.openWatchCount == 0)

            server.dropNextWatch(pathContains: "/secrets", afterEvents: 1)
            let (_, dropped) = try await wire.watch("/api/v1/namespaces/default/secrets?watch=1&resourceVersion=\(rv)")
            try server.seed(Self.secret("one", labels: [:]))
            try server.seed(Self.secret("two", labels: [:]))
            #expect(try await dropped.next()?["object"]?["metadata"]?["name"] == .string("one"))
            await #expect(throws: (any Error).self) { _ = try await dropped.next() }
        }
    }
}
