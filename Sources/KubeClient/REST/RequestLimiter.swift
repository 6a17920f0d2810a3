/// Bounds the number of requests in flight from one client (watches excepted: they are long-lived
/// and few). Waiters are served first-in first-out; a cancelled waiter leaves the queue at once.
///
/// The transport bounds connections too (`CurlHTTPClient.Configuration.maxConnectionsPerHost`), but
/// waiting there still holds a transfer and counts against its deadline; waiting here does not.
public actor RequestLimiter {
    public let limit: Int
    private var inUse = 0
    private var nextID: UInt64 = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []

    public init(limit: Int) {
        precondition(limit > 0, "RequestLimiter limit must be positive")
        self.limit = limit
    }

    /// Requests currently holding a slot, and requests waiting for one.
    public var usage: (inUse: Int, waiting: Int) { (inUse, waiters.count) }

    public func acquire() async throws {
        if inUse < limit, waiters.isEmpty {
            inUse += 1
            return
        }
        let id = nextID
        nextID += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiters.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    /// Hands the slot to the oldest waiter, or frees it.
    public func release() {
        if waiters.isEmpty {
            inUse -= 1
        } else {
            waiters.removeFirst().continuation.resume()
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }

    /// Runs `body` holding a slot.
    public func withSlot<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await acquire()
        do {
            let value = try await body()
            release()
            return value
        } catch {
            release()
            throw error
        }
    }
}
