import CoreMetrics
import MetricsTestKit
import Testing

@testable import KubeClient

/// `rest_client_requests_total` and `rest_client_request_duration_seconds` under client-go's names and dimensions,
/// from handles made once per method and status.
@Suite struct KubeClientMetricsTests {
    @Test func attemptsAreCountedAndTimedPerMethodAndStatus() throws {
        let factory = TestMetrics()
        let metrics = KubeClientMetrics(server: "https://10.0.0.1:6443", factory: factory)
        metrics.record(method: "PUT", status: 200, elapsed: .milliseconds(3))
        metrics.record(method: "PUT", status: 200, elapsed: .milliseconds(5))
        metrics.record(method: "PUT", status: 409, elapsed: .milliseconds(1))
        metrics.record(method: "GET", status: nil, elapsed: .milliseconds(2))
        let host = ("host", "10.0.0.1:6443")
        let requests = KubeClientMetrics.requestsLabel
        #expect(try factory.expectCounter(requests, [("code", "200"), ("method", "PUT"), host]).totalValue == 2)
        #expect(try factory.expectCounter(requests, [("code", "409"), ("method", "PUT"), host]).totalValue == 1)
        #expect(try factory.expectCounter(requests, [("code", "<error>"), ("method", "GET"), host]).totalValue == 1)
        let putTimer = try factory.expectTimer(KubeClientMetrics.durationLabel, [("verb", "PUT"), host])
        #expect(putTimer.values == [3_000_000, 5_000_000, 1_000_000])
        #expect(try factory.expectTimer(KubeClientMetrics.durationLabel, [("verb", "GET"), host]).values.count == 1)
    }

    /// Handles are made at a method's and status's first attempt and kept: the factory is not asked again (here:
    /// after it forgot what it made, the next attempt still lands on the first handle).
    @Test func handlesAreMadeOnce() throws {
        let factory = TestMetrics()
        let metrics = KubeClientMetrics(server: "https://api.example:443", factory: factory)
        metrics.record(method: "PUT", status: 200, elapsed: .milliseconds(1))
        let counter = try factory.expectCounter(
            KubeClientMetrics.requestsLabel, [("code", "200"), ("method", "PUT"), ("host", "api.example:443")])
        factory.reset()
        metrics.record(method: "PUT", status: 200, elapsed: .milliseconds(1))
        #expect(counter.totalValue == 2)
        #expect(factory.counters.isEmpty && factory.timers.isEmpty)
    }
}
