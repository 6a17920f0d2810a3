import CRDModels
import Foundation
import KubeClient
import Logging
import Synchronization
import Testing

@testable import Operator

/// A clock tests move by hand; `sleep` returns at once (the loops under test are driven directly).
final class ManualClock: OperatorClock {
    private let time = Mutex<Duration>(.zero)
    let wallOrigin = Date(timeIntervalSince1970: 1_800_000_000)

    func advance(_ duration: Duration) { time.withLock { $0 += duration } }
    func monotonicNow() -> Duration { time.withLock { $0 } }
    func wallNow() -> Date { wallOrigin.addingTimeInterval(monotonicNow().seconds) }
    func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        await Task.yield()
    }
}

/// One Lease with resourceVersion checks, like the API server.
actor InMemoryLeaseStore: LeaseStore {
    var lease: Lease?
    var version = 0

    func get(name: String, namespace: String) async throws -> Lease? { lease }

    func create(_ lease: Lease) async throws -> Lease {
        guard self.lease == nil else { throw KubeAPIError(code: .alreadyExists, message: "exists") }
        version += 1
        var stored = lease
        stored.metadata.resourceVersion = "\(version)"
        self.lease = stored
        return stored
    }

    func update(_ lease: Lease) async throws -> Lease {
        guard let current = self.lease, current.metadata.resourceVersion == lease.metadata.resourceVersion else {
            throw KubeAPIError(code: .conflict, message: "the object has been modified")
        }
        version += 1
        var stored = lease
        stored.metadata.resourceVersion = "\(version)"
        self.lease = stored
        return stored
    }
}

@Suite struct LeaderElectionTests {
    let logger = Logger(label: "test")

    func elector(_ identity: String, store: InMemoryLeaseStore, clock: ManualClock) -> LeaderElector {
        LeaderElector(
            name: "ecr-pullsecret-operator", namespace: "system", identity: identity, store: store, clock: clock,
            logger: logger)
    }

    @Test func defaultTimingsAreControllerRuntimes() {
        let timings = LeaderElectionTimings()
        #expect(timings.leaseDuration == .seconds(15))
        #expect(timings.renewDeadline == .seconds(10))
        #expect(timings.retryPeriod == .seconds(2))
        #expect(timings.isValid)
        #expect(!LeaderElectionTimings(leaseDuration: .seconds(5), renewDeadline: .seconds(10)).isValid)
    }

    @Test func firstCandidateCreatesTheLeaseSecondWaits() async throws {
        let store = InMemoryLeaseStore()
        let clock = ManualClock()
        let a = elector("a", store: store, clock: clock)
        let b = elector("b", store: store, clock: clock)
        #expect(await a.tryAcquireOrRenew())
        #expect(await !b.tryAcquireOrRenew())
        let lease = try #require(await store.lease)
        #expect(lease.spec?.holderIdentity == "a")
        #expect(lease.spec?.leaseDurationSeconds == 15)
        #expect(lease.spec?.leaseTransitions == 0)
        #expect(lease.spec?.acquireTime == "2027-01-15T08:00:00.000000Z")
    }

    @Test func renewalsKeepTheOtherOutAndExpiryUsesTheLocalObservationClock() async throws {
        let store = InMemoryLeaseStore()
        let clock = ManualClock()
        let a = elector("a", store: store, clock: clock)
        let b = elector("b", store: store, clock: clock)
        #expect(await a.tryAcquireOrRenew())
        #expect(await !b.tryAcquireOrRenew())
        for _ in 0..<10 {
            clock.advance(.seconds(2))
            #expect(await a.tryAcquireOrRenew())
            #expect(await !b.tryAcquireOrRenew())
        }
        // a stops renewing: b observes the same record for a full lease duration, then takes over.
        clock.advance(.seconds(14))
        #expect(await !b.tryAcquireOrRenew())
        clock.advance(.seconds(2))
        #expect(await b.tryAcquireOrRenew())
        let lease = try #require(await store.lease)
        #expect(lease.spec?.holderIdentity == "b")
        #expect(lease.spec?.leaseTransitions == 1)
        // a's optimistic renewal now conflicts, and its re-read sees b holding the lease.
        #expect(await !a.tryAcquireOrRenew())
    }

    @Test func releaseLetsTheOtherTakeOverAtOnce() async throws {
        let store = InMemoryLeaseStore()
        let clock = ManualClock()
        let a = elector("a", store: store, clock: clock)
        let b = elector("b", store: store, clock: clock)
        #expect(await a.tryAcquireOrRenew())
        #expect(await !b.tryAcquireOrRenew())
        await a.release()
        #expect(await !a.isLeader)
        let released = try #require(await store.lease)
        #expect(released.spec?.holderIdentity == "")
        #expect(released.spec?.leaseDurationSeconds == 1)
        #expect(await b.tryAcquireOrRenew())
        #expect(await store.lease?.spec?.holderIdentity == "b")
    }

    @Test func holdLeadershipReturnsWhenTheLeaseIsTaken() async throws {
        let store = InMemoryLeaseStore()
        let clock = ManualClock()
        let a = elector("a", store: store, clock: clock)
        #expect(await a.tryAcquireOrRenew())
        // Someone else overwrites the lease (e.g. an admin or a replica with a skewed view).
        var stolen = try #require(await store.lease)
        stolen.spec?.holderIdentity = "c"
        _ = try await store.update(stolen)
        let held = Task { try await a.holdLeadership() }
        try await held.value
        #expect(await !a.isLeader)
    }
}
