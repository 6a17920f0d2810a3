import Foundation
import HTTPServer
import Logging
import Prometheus
import Testing
@testable import Webhook

/// The request metrics under controller-runtime's names, as Prometheus exposes them: one counter per
/// admission path and status code, one latency histogram per path, nothing for other paths.
struct WebhookMetricsTests {
    @Test func admissionRequestsAreCountedByCodeAndTimed() async throws {
        let registry = PrometheusCollectorRegistry()
        var logger = Logger(label: "test.webhook")
        logger.logLevel = .critical
        let webhook = AdmissionWebhook(ambientPolicy: .clusterOnly, claims: StaticSecretClaimLookup([]), logger: logger)
        let handler = WebhookMetrics.instrument(webhook.handler, factory: PrometheusMetricsFactory(registry: registry))
        let path = WebhookKind.namespaced.path
        let valid = Reviews.body(kind: .namespaced, object: Reviews.namespaced())
        for body in [valid, valid, Data("{oops".utf8)] {
            _ = handler(HTTPServerRequest(method: "POST", target: path, body: body))
        }
        let clusterPath = WebhookKind.cluster.path
        _ = handler(
            HTTPServerRequest(
                method: "POST", target: clusterPath, body: Reviews.body(kind: .cluster, object: Reviews.cluster())))
        _ = handler(HTTPServerRequest(method: "GET", target: "/healthz"))

        let exposition = registry.emitToString()
        #expect(exposition.contains(#"controller_runtime_webhook_requests_total{code="200",webhook="\#(path)"} 2"#),
                "\(exposition)")
        #expect(exposition.contains(#"controller_runtime_webhook_requests_total{code="400",webhook="\#(path)"} 1"#))
        #expect(exposition.contains(#"controller_runtime_webhook_latency_seconds_count{webhook="\#(path)"} 3"#))
        #expect(exposition.contains(
            #"controller_runtime_webhook_requests_total{code="200",webhook="\#(clusterPath)"} 1"#))
        #expect(exposition.contains(#"controller_runtime_webhook_latency_seconds_count{webhook="\#(clusterPath)"} 1"#))
        #expect(!exposition.contains("healthz"))
        // The time is recorded, in seconds: three reviews in process take more than nothing and less than a second.
        let sumPrefix = #"controller_runtime_webhook_latency_seconds_sum{webhook="\#(path)"} "#
        let sumLine = try #require(exposition.split(separator: "\n").first { $0.hasPrefix(sumPrefix) })
        let sum = try #require(Double(sumLine.dropFirst(sumPrefix.count)))
        #expect(sum > 0 && sum < 1, "\(sum)")
    }
}
