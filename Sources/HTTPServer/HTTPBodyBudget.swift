import Synchronization

/// The request body bytes that all connections of one server may hold at once.
///
/// Each connection reserves a body's bytes before it reads them (the declared `Content-Length`, or chunk by
/// chunk) and returns them once the response is written or the connection closes, so the bodies held
/// across every connection never exceed `limit`, however many clients stall mid-body.
final class HTTPBodyBudget: Sendable {
    let limit: Int
    private let used = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Bytes reserved right now.
    var inUse: Int { used.load(ordering: .relaxed) }

    /// Reserves `bytes` if they fit; false (and nothing reserved) when they do not.
    func reserve(_ bytes: Int) -> Bool {
        var current = used.load(ordering: .relaxed)
        while true {
            guard bytes <= limit - current else { return false }
            let (exchanged, original) = used.compareExchange(
                expected: current, desired: current + bytes, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
    }

    func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        used.subtract(bytes, ordering: .relaxed)
    }
}
