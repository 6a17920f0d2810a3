import HTTPServer
import Metrics
import Synchronization

/// The webhook's request metrics under controller-runtime's names, so its dashboards and alerts apply:
/// `controller_runtime_webhook_requests_total{code,webhook}` and the histogram
/// `controller_runtime_webhook_latency_seconds{webhook}`. `webhook` is the admission path; requests to
/// any other path (probes, scanners) are not counted, so a stray client cannot grow the label set.
public enum WebhookMetrics {
    public static let requestsLabel = "controller_runtime_webhook_requests_total"
    public static let latencyLabel = "controller_runtime_webhook_latency_seconds"

    /// Wraps `handler` so each admission request is counted and timed. `factory` nil uses the globally
    /// bootstrapped system (looked up at the first request, so after `main` has bootstrapped it).
    static func instrument(
        _ handler: @escaping HTTPServer.SynchronousHandler, factory: (any MetricsFactory)? = nil
    ) -> HTTPServer.SynchronousHandler {
        let instruments = Instruments(factory: factory)
        return { request in
            guard let kind = WebhookKind.allCases.first(where: { $0.path == request.path }) else {
                return handler(request)
            }
            let start = ContinuousClock.now
            let response = handler(request)
            instruments.record(kind: kind, code: response.status.code, duration: ContinuousClock.now - start)
            return response
        }
    }
}

/// The counters and timers, each made once at its first use and then reused: making one asks the metrics
/// backend to look it up by label and dimensions, which per request cost 4% of the webhook's CPU.
private final class Instruments: Sendable {
    private struct CounterKey: Hashable {
        var kind: WebhookKind
        var code: UInt
    }

    private let factory: (any MetricsFactory)?
    private let made = Mutex<(counters: [CounterKey: Counter], timers: [WebhookKind: Metrics.Timer])>(([:], [:]))

    init(factory: (any MetricsFactory)?) {
        self.factory = factory
    }

    func record(kind: WebhookKind, code: UInt, duration: Duration) {
        let (counter, timer) = made.withLock { made in
            let key = CounterKey(kind: kind, code: code)
            let counter = made.counters[key] ?? makeCounter(kind: kind, code: code)
            let timer = made.timers[kind] ?? makeTimer(kind: kind)
            made.counters[key] = counter
            made.timers[kind] = timer
            return (counter, timer)
        }
        counter.increment()
        timer.record(duration: duration)
    }

    private func makeCounter(kind: WebhookKind, code: UInt) -> Counter {
        let dimensions = [("code", "\(code)"), ("webhook", kind.path)]
        guard let factory else { return Counter(label: WebhookMetrics.requestsLabel, dimensions: dimensions) }
        return Counter(label: WebhookMetrics.requestsLabel, dimensions: dimensions, factory: factory)
    }

    private func makeTimer(kind: WebhookKind) -> Metrics.Timer {
        let dimensions = [("webhook", kind.path)]
        guard let factory else { return Metrics.Timer(label: WebhookMetrics.latencyLabel, dimensions: dimensions) }
        return Metrics.Timer(label: WebhookMetrics.latencyLabel, dimensions: dimensions, factory: factory)
    }
}
