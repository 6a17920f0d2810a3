import CRDModels
import Metrics

/// The operator's own counters, recorded once per reconcile at its tail. Stateless: the gauges that
/// describe resources (token expiry, last refresh, readiness) are computed from the caches at scrape
/// time (`ResourceGauges`); AWS call counts and latency come from ECRAuth, work-queue metrics from
/// `WorkQueue`, reconcile durations from `Controller`.
enum OperatorMetrics {
    /// One reconcile that wrote: the Secrets it synced, and each namespace's failure by reason.
    static func recordRefresh(outcomes: [String: StatusComputation.NamespaceOutcome]) {
        var synced = 0
        for outcome in outcomes.values {
            switch outcome {
            case .synced: synced += 1
            case .failed(let reason, _): recordError(reason: reason)
            }
        }
        Counter(label: "ecr_pullsecret_secrets_synced_total").increment(by: synced)
        Counter(label: "ecr_pullsecret_refresh_total").increment()
    }

    static func recordError(reason: ConditionReason) {
        Counter(label: "ecr_pullsecret_errors_total", dimensions: [("reason", reason.rawValue)]).increment()
    }
}
