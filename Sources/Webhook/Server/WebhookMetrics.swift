import HTTPServer
import Metrics

/// The webhook's request metrics under controller-runtime's names, so its dashboards and alerts apply:
/// `controller_runtime_webhook_requests_total{code,webhook}` and the histogram
/// `controller_runtime_webhook_latency_seconds{webhook}`. `webhook` is the admission path; requests to
/// any other path (probes, scanners) are not counted, so a stray client cannot grow the label set.
public enum WebhookMetrics {
    public static let requestsLabel = "controller_runtime_webhook_requests_total"
    public static let latencyLabel = "controller_runtime_webhook_latency_seconds"

    /// Wraps `handler` so each admission request is counted and timed.
    static func instrument(_ handler: @escaping HTTPServer.Handler) -> HTTPServer.Handler {
        { request in
            guard let kind = WebhookKind.allCases.first(where: { $0.path == request.path }) else {
                return await handler(request)
            }
            let start = ContinuousClock.now
            let response = await handler(request)
            Counter(label: requestsLabel, dimensions: [("code", "\(response.status.code)"), ("webhook", kind.path)])
                .increment()
            Metrics.Timer(label: latencyLabel, dimensions: [("webhook", kind.path)])
                .record(duration: ContinuousClock.now - start)
            return response
        }
    }
}
