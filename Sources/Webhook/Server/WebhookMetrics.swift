import HTTPServer
import Metrics
import NIOCore
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
            guard let kind = WebhookKind(path: request.path) else {
                return handler(request)
            }
            // Nanoseconds of the monotonic clock, not a `Duration`: the timer would divide a `Duration`'s 128 bits
            // to get them back (370 instructions a review).
            let start = NIODeadline.now().uptimeNanoseconds
            let response = handler(request)
            let elapsed = Int64(truncatingIfNeeded: NIODeadline.now().uptimeNanoseconds &- start)
            instruments.record(kind: kind, code: response.status.code, nanoseconds: elapsed)
            return response
        }
    }
}

/// The counters and timers, each made once at its first use and then reused: making one asks the metrics
/// backend to look it up by label and dimensions, which per request cost 4% of the webhook's CPU.
///
/// Found per request by the kind's slot and a short list of status codes, not a dictionary: `WebhookKind`'s
/// hash is its raw value's, a string hashed on every request.
private final class Instruments: Sendable {
    private struct Made {
        var timer: Metrics.Timer?
        /// A handful at most (200, 400, ...).
        var counters: [(code: UInt, counter: Counter)] = []

        func counter(_ code: UInt) -> Counter? {
            counters.first { $0.code == code }?.counter
        }
    }

    private let factory: (any MetricsFactory)?
    private let made = Mutex<[Made]>(Array(repeating: Made(), count: 2))

    init(factory: (any MetricsFactory)?) {
        self.factory = factory
    }

    private static func slot(_ kind: WebhookKind) -> Int {
        switch kind {
        case .namespaced: 0
        case .cluster: 1
        }
    }

    func record(kind: WebhookKind, code: UInt, nanoseconds: Int64) {
        let slot = Self.slot(kind)
        let (counter, timer) = made.withLock { made in
            if let timer = made[slot].timer, let counter = made[slot].counter(code) { return (counter, timer) }
            let timer = made[slot].timer ?? makeTimer(kind: kind)
            made[slot].timer = timer
            if let counter = made[slot].counter(code) { return (counter, timer) }
            let counter = makeCounter(kind: kind, code: code)
            made[slot].counters.append((code, counter))
            return (counter, timer)
        }
        counter.increment()
        timer.recordNanoseconds(nanoseconds)
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
