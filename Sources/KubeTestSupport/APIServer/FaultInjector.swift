import Foundation
import NIOConcurrencyHelpers

/// Test-controlled misbehaviour and a record of every request, for assertions.
final class FaultInjector: Sendable {
    struct Failure: Sendable {
        var method: String?
        var pathContains: String
        var remaining: Int
        var status: Int
        var retryAfterSeconds: Int?
        var message: String?
    }

    struct Latency: Sendable {
        var method: String?
        var pathContains: String
        var remaining: Int?
        var delay: Duration
        /// Hold the request itself (served when the delay ends), not only its answer.
        var holdsRequest = false
    }

    private struct State {
        var failures: [Failure] = []
        var latencies: [Latency] = []
        var requests: [(method: String, uri: String, time: ContinuousClock.Instant)] = []
        var heldRequests = 0
    }

    /// The request log is bounded so long benchmarks do not grow memory without end.
    static let requestLogLimit = 500_000
    private let state = NIOLockedValueBox(State())

    func addFailure(_ failure: Failure) { state.withLockedValue { $0.failures.append(failure) } }
    func addLatency(_ latency: Latency) { state.withLockedValue { $0.latencies.append(latency) } }

    func clear() {
        state.withLockedValue {
            $0.failures = []
            $0.latencies = []
        }
    }

    /// Requests held (`holdsRequest`) and not served yet.
    var heldRequests: Int { state.withLockedValue { $0.heldRequests } }

    /// A held request has been served.
    func releaseHold() { state.withLockedValue { $0.heldRequests -= 1 } }

    /// Records the request and returns the fault to apply to it, if any (consuming one use). A held
    /// request counts as held until `releaseHold()`.
    func intercept(method: String, uri: String) -> (failure: APIError?, delay: Duration?, holdsRequest: Bool) {
        state.withLockedValue { state in
            if state.requests.count >= Self.requestLogLimit { state.requests.removeFirst(state.requests.count / 2) }
            state.requests.append((method, uri, .now))
            var failure: APIError?
            if let index = state.failures.firstIndex(where: { $0.matches(method: method, uri: uri) }) {
                let rule = state.failures[index]
                failure = APIError.injected(
                    status: rule.status, retryAfterSeconds: rule.retryAfterSeconds, message: rule.message)
                state.failures[index].remaining -= 1
                if state.failures[index].remaining <= 0 { state.failures.remove(at: index) }
            }
            var delay: Duration?
            var holdsRequest = false
            if let index = state.latencies.firstIndex(where: { $0.matches(method: method, uri: uri) }) {
                delay = state.latencies[index].delay
                holdsRequest = state.latencies[index].holdsRequest
                if holdsRequest { state.heldRequests += 1 }
                if let remaining = state.latencies[index].remaining {
                    if remaining <= 1 { state.latencies.remove(at: index) } else {
                        state.latencies[index].remaining = remaining - 1
                    }
                }
            }
            return (failure, delay, holdsRequest)
        }
    }

    func count(method: String?, pathContains: String?) -> Int {
        times(method: method, pathContains: pathContains).count
    }

    /// When each matching request arrived, in order.
    func times(method: String?, pathContains: String?) -> [ContinuousClock.Instant] {
        state.withLockedValue { state in
            state.requests.filter { request in
                (method == nil || request.method.caseInsensitiveCompare(method!) == .orderedSame)
                    && (pathContains == nil || pathContains!.isEmpty || request.uri.contains(pathContains!))
            }.map(\.time)
        }
    }
}

extension FaultInjector.Failure {
    func matches(method: String, uri: String) -> Bool {
        (self.method == nil || self.method!.caseInsensitiveCompare(method) == .orderedSame)
            && (pathContains.isEmpty || uri.contains(pathContains))
    }
}

extension FaultInjector.Latency {
    func matches(method: String, uri: String) -> Bool {
        (self.method == nil || self.method!.caseInsensitiveCompare(method) == .orderedSame)
            && (pathContains.isEmpty || uri.contains(pathContains))
    }
}
