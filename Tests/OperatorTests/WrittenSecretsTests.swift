import AsyncTestSupport
import CRDModels
import Foundation
import KubeClient
import Testing

@testable import Operator

/// `WrittenSecrets.isOwnWrite`: the event of a write whose answer has not arrived waits for it and is decided by
/// the resourceVersion the answer carries. The writes here are closures that answer when the test says so.
@Suite struct WrittenSecretsTests {
    struct Refused: Error {}

    let desired: DesiredSecret

    init() throws {
        var desired = try DesiredSecret.build(
            name: "ecr-login", namespace: "",
            owner: OwnerReference(
                apiVersion: "ecr.pullsecrets.dev/v1alpha1", kind: "ClusterAWSECRImagePullSecret", name: "shared",
                uid: "uid-1"),
            ownerLabels: [:], templateLabels: nil, templateAnnotations: nil,
            credentials: [RegistryCredential(host: "public.ecr.aws", username: "AWS", password: "pw")],
            expiresAt: Date(timeIntervalSince1970: 1_800_043_200))
        desired.namespace = "a"
        self.desired = desired
    }

    /// A write of `desired` that starts, says so on `started`, and answers with the next of `answers` (a nil
    /// answer: the request fails).
    func write(_ written: WrittenSecrets, started: AsyncStream<Void>.Continuation, answers: AsyncStream<String?>)
        async throws
    {
        try await written.write(desired, sent: desired.secret) {
            started.yield()
            var next = answers.makeAsyncIterator()
            guard let version = await next.next() ?? nil else { throw Refused() }
            var answer = desired.secret.metadata
            answer.resourceVersion = version
            return answer
        }
    }

    @Test func eventsOfAWriteInFlightWaitForItsAnswer() async throws {
        let written = WrittenSecrets()
        let (started, startedSignal) = AsyncStream<Void>.makeStream()
        let (answers, answer) = AsyncStream<String?>.makeStream()
        async let writing: Void = write(written, started: startedSignal, answers: answers)
        var iterator = started.makeAsyncIterator()
        await iterator.next()
        // Both events arrive before the answer: one is the write's own (version 5), one someone else's (6).
        async let own = written.isOwnWrite(namespace: "a", name: "ecr-login", resourceVersion: "5")
        async let foreign = written.isOwnWrite(namespace: "a", name: "ecr-login", resourceVersion: "6")
        await expectEventually { written.eventsWaiting(namespace: "a", name: "ecr-login") == 2 }
        answer.yield("5")
        try await writing
        #expect(await own)
        #expect(await !foreign)
        // Once answered, no wait: the version is known, others are not ours; other Secrets never waited.
        #expect(await written.isOwnWrite(namespace: "a", name: "ecr-login", resourceVersion: "5"))
        #expect(await !written.isOwnWrite(namespace: "a", name: "ecr-login", resourceVersion: "7"))
        #expect(await !written.isOwnWrite(namespace: "b", name: "ecr-login", resourceVersion: "5"))
        #expect(await !written.isOwnWrite(namespace: "a", name: "ecr-login", resourceVersion: nil))
    }

    @Test func aFailedWriteReleasesItsWaitersAsForeign() async throws {
        let written = WrittenSecrets()
        let (started, startedSignal) = AsyncStream<Void>.makeStream()
        let (answers, answer) = AsyncStream<String?>.makeStream()
        async let writing: Void = write(written, started: startedSignal, answers: answers)
        var iterator = started.makeAsyncIterator()
        await iterator.next()
        async let event = written.isOwnWrite(namespace: "a", name: "ecr-login", resourceVersion: "5")
        await expectEventually { written.eventsWaiting(namespace: "a", name: "ecr-login") == 1 }
        answer.yield(nil)
        do {
            try await writing
            Issue.record("the write should have failed")
        } catch {
            #expect(error is Refused)
        }
        #expect(await !event)
        #expect(written.eventsWaiting(namespace: "a", name: "ecr-login") == 0)
        #expect(written.lastStored(namespace: "a", name: "ecr-login") == nil)
    }

    /// What is kept of each written Secret holds its namespace in `desired`'s storage and the creation timestamp
    /// in one storage for all Secrets created in the same second (strings of more than 15 bytes are allocations),
    /// and gives the Secret back as the server stored it.
    @Test func writtenSecretsShareTheirNamespaceAndCreationTimestampStrings() throws {
        let written = WrittenSecrets()
        var desireds: [DesiredSecret] = []
        for index in 0..<2 {
            var desired = desired
            desired.namespace = "team-payments-production-\(index)"
            var stored = desired.secret
            stored.metadata.namespace = freshCopy(desired.namespace)
            stored.metadata.creationTimestamp = freshCopy("2026-12-01T18:00:00Z")
            stored.metadata.uid = "secret-\(index)"
            stored.metadata.resourceVersion = "\(10 + index)"
            written.record(desired, stored: stored)
            desireds.append(desired)
        }
        let kept = try desireds.map { try #require(written.lastStored(namespace: $0.namespace, name: $0.name)) }
        #expect(kept.map(\.metadata.namespace) == desireds.map(\.namespace))
        #expect(kept.map(\.metadata.uid) == ["secret-0", "secret-1"])
        #expect(kept.map(\.data) == desireds.map { $0.secret.data })
        #expect(storage(kept[0].metadata.namespace) == storage(desireds[0].namespace))
        #expect(storage(kept[0].metadata.creationTimestamp) != nil)
        #expect(storage(kept[0].metadata.creationTimestamp) == storage(kept[1].metadata.creationTimestamp))
    }
}
