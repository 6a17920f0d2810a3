import CRDModels
import FoundationEssentials

/// Gauges computed from live state when Prometheus scrapes, not stored when a reconcile succeeds: when
/// refreshes stop, `ecr_pullsecret_token_expires_in_seconds` keeps falling, so an alert on it fires even
/// if the operator is stuck. The resources come from the informers' caches (their status as the API
/// server has it); a deleted resource's series disappear with it. The labels are `resource_namespace` and
/// `resource_name`, not `namespace`: Prometheus' target labels (the operator Pod's `namespace`) would
/// otherwise rename them to `exported_namespace`.
///
/// - `ecr_pullsecret_token_expires_in_seconds{kind,resource_namespace,resource_name}`: `status.expiresAt` minus now
///   (negative once expired).
/// - `ecr_pullsecret_last_refresh_timestamp_seconds{kind,resource_namespace,resource_name}`: `status.lastRefreshTime`.
/// - `ecr_pullsecret_ready{kind,resource_namespace,resource_name}`: 1 when the Ready condition is True, else 0.
/// - `leader_election_master_status{name}`: 1 while this replica leads (with leader election only,
///   as controller-runtime).
public enum ResourceGauges {
    public static let expiresInName = "ecr_pullsecret_token_expires_in_seconds"
    public static let lastRefreshName = "ecr_pullsecret_last_refresh_timestamp_seconds"
    public static let readyName = "ecr_pullsecret_ready"
    public static let leaderName = "leader_election_master_status"

    /// One resource's facts, as the gauges need them.
    struct Sample: Equatable {
        var kind: String
        var namespace: String
        var name: String
        var expiresAt: Date?
        var lastRefresh: Date?
        var ready: Bool
    }

    /// The Prometheus text exposition of the gauges at `now`.
    static func exposition(samples: [Sample], leader: (name: String, leading: Bool)?, now: Date) -> String {
        var text = ""
        func family(_ name: String, _ help: String, _ values: [(Sample, Double)]) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for (sample, value) in values {
                let labels = [
                    ("kind", sample.kind), ("resource_namespace", sample.namespace), ("resource_name", sample.name),
                ]
                text += "\(name){\(render(labels))} \(value)\n"
            }
        }
        let sorted = samples.sorted { ($0.kind, $0.namespace, $0.name) < ($1.kind, $1.namespace, $1.name) }
        family(
            expiresInName, "Seconds until the resource's token expires (status.expiresAt - now; negative: expired).",
            sorted.compactMap { sample in sample.expiresAt.map { (sample, $0.timeIntervalSince(now).rounded()) } })
        family(
            lastRefreshName, "Unix time of the resource's last successful refresh (status.lastRefreshTime).",
            sorted.compactMap { sample in sample.lastRefresh.map { (sample, $0.timeIntervalSince1970) } })
        family(
            readyName, "1 when the resource's Ready condition is True, else 0.", sorted.map { ($0, $0.ready ? 1 : 0) })
        if let leader {
            text += "# HELP \(leaderName) 1 while this replica is the leader, 0 otherwise.\n"
            text += "# TYPE \(leaderName) gauge\n"
            text += "\(leaderName){\(render([("name", leader.name)]))} \(leader.leading ? 1 : 0)\n"
        }
        return text
    }

    static func sample<R: ImagePullSecretResource>(_ resource: R) -> Sample {
        let status = resource.status
        let ready = status?.conditions?.first { $0.type == ConditionType.ready.rawValue }
        return Sample(
            kind: R.resource.kind, namespace: resource.metadata.namespace ?? "", name: resource.metadata.name ?? "",
            expiresAt: status?.expiresAt.flatMap(Timestamp.parse),
            lastRefresh: status?.lastRefreshTime.flatMap(Timestamp.parse),
            ready: ready?.status == ConditionStatus.true.rawValue)
    }

    /// `a="x",b="y"` with the text format's escapes (backslash, quote, newline).
    static func render(_ labels: [(String, String)]) -> String {
        labels.map { key, value in
            let escaped = value.replacing("\\", with: "\\\\")
                .replacing("\"", with: "\\\"").replacing("\n", with: "\\n")
            return "\(key)=\"\(escaped)\""
        }.joined(separator: ",")
    }
}

extension OperatorRuntime {
    /// The scrape-time gauges (see `ResourceGauges`) for the resources in this replica's caches.
    public func scrapeTimeMetrics(now: Date = Date()) -> String {
        let samples =
            dependencies.caches.namespacedResources.items.map(ResourceGauges.sample)
            + dependencies.caches.clusterResources.items.map(ResourceGauges.sample)
        let leader = configuration.leaderElection.map { (name: $0.name, leading: isLeading) }
        return ResourceGauges.exposition(samples: samples, leader: leader, now: now)
    }
}
