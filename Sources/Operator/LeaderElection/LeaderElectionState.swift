import CRDModels
import FoundationEssentials
import KubeClient

/// Timings for leader election; controller-runtime's defaults (docs/PROTOCOLS.md 5.7).
public struct LeaderElectionTimings: Sendable, Hashable {
    public var leaseDuration: Duration
    public var renewDeadline: Duration
    public var retryPeriod: Duration

    public init(
        leaseDuration: Duration = .seconds(15), renewDeadline: Duration = .seconds(10),
        retryPeriod: Duration = .seconds(2)
    ) {
        self.leaseDuration = leaseDuration
        self.renewDeadline = renewDeadline
        self.retryPeriod = retryPeriod
    }

    /// client-go's rule: leaseDuration > renewDeadline > 1.2 × retryPeriod.
    public var isValid: Bool {
        leaseDuration > renewDeadline && renewDeadline.seconds > 1.2 * retryPeriod.seconds
    }
}

/// client-go's `tryAcquireOrRenew` as a value type: it looks at the Lease the caller read and says
/// what to write; the caller performs the I/O and reports the outcome.
///
/// Expiry is judged on the local observation clock (`observedTime`, monotonic), never on the
/// Lease's `renewTime`, so clock skew between replicas cannot make two leaders.
public struct LeaderElectionState: Sendable {
    public let identity: String
    public let timings: LeaderElectionTimings
    /// The last Lease spec seen or written, and the local time it was first seen.
    private(set) var observedSpec: LeaseSpec?
    private(set) var observedTime: Duration?
    /// The Lease as last written by this replica (for optimistic renewals).
    private(set) var ownLease: Lease?
    public private(set) var isLeader = false

    public init(identity: String, timings: LeaderElectionTimings = .init()) {
        self.identity = identity
        self.timings = timings
    }

    /// What to do after reading the Lease.
    public enum Action: Sendable, Equatable {
        /// No Lease exists: create this one.
        case create(Lease)
        /// Write this Lease (it carries the read's resourceVersion; a 409 means another replica won).
        case update(Lease)
        /// Someone else holds an unexpired Lease.
        case heldByOther(holder: String)
    }

    /// When leading, the Lease to PUT without reading first (client-go step 1), or nil.
    public func optimisticRenewal(now: Duration, wallNow: Date) -> Lease? {
        guard isLeader, var lease = ownLease, let observedTime,
            observedTime + timings.leaseDuration > now
        else { return nil }
        lease.spec?.renewTime = Timestamp.formatMicro(wallNow)
        return lease
    }

    /// Decides from the Lease just read (nil after a 404).
    public mutating func decide(current: Lease?, name: String, namespace: String, now: Duration, wallNow: Date)
        -> Action
    {
        let stamp = Timestamp.formatMicro(wallNow)
        let durationSeconds = Int32(clamping: timings.leaseDuration.components.seconds)
        guard var lease = current else {
            let spec = LeaseSpec(
                holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: stamp,
                renewTime: stamp, leaseTransitions: 0)
            return .create(Lease(metadata: ObjectMeta(name: name, namespace: namespace), spec: spec))
        }
        let spec = lease.spec ?? LeaseSpec()
        if spec != observedSpec {
            observedSpec = spec
            observedTime = now
        }
        let holder = spec.holderIdentity ?? ""
        let observedDuration = Duration.seconds(Int64(spec.leaseDurationSeconds ?? durationSeconds))
        if !holder.isEmpty, holder != identity, let observedTime, observedTime + observedDuration > now {
            isLeader = false
            return .heldByOther(holder: holder)
        }
        var newSpec = spec
        newSpec.holderIdentity = identity
        newSpec.leaseDurationSeconds = durationSeconds
        newSpec.renewTime = stamp
        if holder != identity {
            // A change of holder (client-go: acquireTime = now, leaseTransitions + 1); a renewal
            // keeps both.
            newSpec.acquireTime = stamp
            newSpec.leaseTransitions = (spec.leaseTransitions ?? 0) + 1
        }
        lease.spec = newSpec
        return .update(lease)
    }

    /// Records a successful create or update: this replica leads until `now + leaseDuration`.
    public mutating func written(_ lease: Lease, now: Duration) {
        ownLease = lease
        observedSpec = lease.spec
        observedTime = now
        isLeader = true
    }

    /// Records that leadership ended (renew deadline passed, or released).
    public mutating func lost() {
        isLeader = false
        ownLease = nil
    }

    /// The Lease to PUT on release: empty holder, 1 s duration, so another replica takes over at once.
    public func releaseLease(wallNow: Date) -> Lease? {
        guard isLeader, var lease = ownLease else { return nil }
        lease.spec?.holderIdentity = ""
        lease.spec?.leaseDurationSeconds = 1
        lease.spec?.renewTime = Timestamp.formatMicro(wallNow)
        return lease
    }
}
