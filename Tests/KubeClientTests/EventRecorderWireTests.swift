import AsyncTestSupport
import CRDModels
import Foundation
import KubeTestSupport
import Testing

@testable import KubeClient

@Suite struct EventRecorderWireTests {
    @Test func repeatsAreAggregatedIntoOneEvent() async throws {
        try await withWireClient(tls: wireTLSModes.last!) { server, client in
            try await makeNamespace(client, "ev")
            let target = try await client.create(secret("target", in: "ev"))
            let recorder = EventRecorder(client: client, configuration: .init(component: "ecr-test", instance: "pod-1"))
            let run = Task { await recorder.run() }
            for _ in 0..<3 {
                recorder.record(target, type: .warning, reason: "TokenRequestFailed", message: "access denied")
            }
            recorder.record(target, type: .normal, reason: "SecretUpdated", message: "updated")
            await expectEventually { recorder.statistics.handled == 4 }
            #expect(recorder.statistics.created == 2)
            #expect(recorder.statistics.aggregated == 2)
            let events = server.objects("events", namespace: "ev")
            #expect(events.count == 2)
            let warning = try #require(events.first { $0["reason"] == .string("TokenRequestFailed") })
            #expect(warning["count"] == .number(3))
            #expect(warning["type"] == .string("Warning"))
            #expect(warning["involvedObject"]?["uid"] == target.metadata.uid.map(JSONValue.string))
            #expect(warning["involvedObject"]?["kind"] == .string("Secret"))
            #expect(warning["source"]?["component"] == .string("ecr-test"))
            #expect(warning["reportingComponent"] == .string("ecr-test"))
            #expect(warning["metadata"]?["name"]?.stringValue?.hasPrefix("target.") == true)
            #expect(warning["lastTimestamp"] != nil && warning["firstTimestamp"] != nil)

            // If the aggregated Event was removed (TTL), the next repeat creates a new one.
            try server.deleteObject("events", namespace: "ev", name: warning["metadata"]!["name"]!.stringValue!)
            recorder.record(target, type: .warning, reason: "TokenRequestFailed", message: "access denied")
            await expectEventually { recorder.statistics.handled == 5 }
            #expect(recorder.statistics.created == 3)
            #expect(server.objects("events", namespace: "ev").count == 2)
            recorder.shutdown()
            await run.value
        }
    }

    @Test func clusterScopedObjectsGetEventsInDefaultAndSpamIsLimited() async throws {
        try await withWireClient(tls: false) { server, client in
            let namespace = try await client.get(Namespace.self, name: "kube-public")
            let recorder = EventRecorder(
                client: client, configuration: .init(component: "ecr-test", burst: 2, refillInterval: .seconds(300)))
            let run = Task { await recorder.run() }
            for index in 0..<5 {
                recorder.record(namespace, type: .normal, reason: "Seen", message: "message \(index)")
            }
            await expectEventually { recorder.statistics.handled == 5 }
            #expect(recorder.statistics.created == 2)
            #expect(recorder.statistics.rateLimited == 3)
            let events = server.objects("events", namespace: "default")
                .filter { $0["involvedObject"]?["name"] == .string("kube-public") }
            #expect(events.count == 2)
            recorder.shutdown()
            await run.value
        }
    }

    @Test func recordNeverBlocksWhenTheQueueIsFull() async throws {
        let client = KubeClient(config: KubeConfig(server: "http://127.0.0.1:1"), transport: FakeTransport())
        let recorder = EventRecorder(client: client, configuration: .init(component: "c", queueCapacity: 3))
        let started = ContinuousClock.now
        for index in 0..<100 {
            recorder.record(
                involving: ObjectReference(kind: "Secret", name: "s", namespace: "n"), type: .normal, reason: "R",
                message: "\(index)")
        }
        #expect(ContinuousClock.now - started < .seconds(1))
        #expect(recorder.statistics.queueFull == 97)
    }
}
