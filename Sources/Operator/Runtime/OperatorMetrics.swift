import CRDModels
import Foundation
import Metrics
import Synchronization

/// The operator's own metrics (AWS call counts and latency come from ECRAuth, work-queue metrics
/// from `WorkQueue`, reconcile durations from `Controller`).
public final class OperatorMetrics: Sendable {
    public static let shared = OperatorMetrics()

    private let expiries = Mutex<[String: Date]>([:])
    private let earliestExpiry = Gauge(label: "ecr_pullsecret_token_expiry_seconds")

    /// Records one reconcile's per-namespace outcomes and the token expiry of `resource`.
    func recordRefresh(
        resource: String, outcomes: [String: StatusComputation.NamespaceOutcome], expiresAt: Date, now: Date
    ) {
        var synced = 0
        for outcome in outcomes.values {
            switch outcome {
            case .synced: synced += 1
            case .failed(let reason, _): recordError(reason: reason)
            }
        }
        Counter(label: "ecr_pullsecret_secrets_synced_total").increment(by: synced)
        Counter(label: "ecr_pullsecret_refresh_total").increment()
        let earliest = expiries.withLock { expiries -> Date? in
            expiries[resource] = expiresAt
            return expiries.values.min()
        }
        if let earliest { earliestExpiry.record(earliest.timeIntervalSince(now)) }
    }

    func recordError(reason: ConditionReason) {
        Counter(label: "ecr_pullsecret_errors_total", dimensions: [("reason", reason.rawValue)]).increment()
    }

    /// The key a resource's expiry is kept under: `Kind/namespace/name`.
    static func key<R: KubeResource>(_ type: R.Type, _ namespace: String?, _ name: String?) -> String {
        "\(R.resource.kind)/\(namespace ?? "")/\(name ?? "")"
    }

    static func key<R: KubeResource>(of resource: R) -> String {
        key(R.self, resource.metadata.namespace, resource.metadata.name)
    }

    /// A resource went away: its expiry no longer counts.
    func forget(resource: String) {
        _ = expiries.withLock { $0.removeValue(forKey: resource) }
    }
}
