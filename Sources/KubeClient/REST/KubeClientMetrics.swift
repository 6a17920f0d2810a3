import FoundationEssentials
import Metrics

/// Kubernetes client metrics under client-go's names (as controller-runtime registers them), so the
/// dashboards and alerts written for controller-runtime operators work on this one unchanged:
/// `rest_client_requests_total{code,method,host}` and the histogram
/// `rest_client_request_duration_seconds{verb,host}`.
///
/// Every attempt counts (a 401 retried with fresh credentials is two requests); a watch is timed until
/// its response headers arrive, not for the life of the stream. `code` is the HTTP status, or
/// `<error>` when no response came back (client-go's value).
public struct KubeClientMetrics: Sendable {
    public static let requestsLabel = "rest_client_requests_total"
    public static let durationLabel = "rest_client_request_duration_seconds"
    /// client-go's buckets (component-base `restclient` metrics).
    public static let durationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(15), .seconds(30), .seconds(60),
    ]

    /// `host:port` of the API server, as client-go's `url.Host`.
    let host: String

    init(server: String) {
        let url = URL(string: server)
        if let name = url?.host {
            let port = url?.port ?? (url?.scheme == "http" ? 80 : 443)
            host = (name.contains(":") ? "[\(name)]" : name) + ":\(port)"
        } else {
            host = server
        }
    }

    /// Records one attempt; `status` nil when the transport failed before a response.
    func record(method: String, status: Int?, elapsed: Duration) {
        let code = status.map(String.init) ?? "<error>"
        Counter(label: Self.requestsLabel, dimensions: [("code", code), ("method", method), ("host", host)])
            .increment()
        Metrics.Timer(label: Self.durationLabel, dimensions: [("verb", method), ("host", host)])
            .record(duration: elapsed)
    }
}
