import Synchronization

/// A single-consumer async channel with a bounded buffer and backpressure: `send` waits while the
/// buffer is full, so a slow consumer slows the informer down (its watch then buffers in the
/// transport, which bounds that too) instead of growing memory or dropping changes.
///
/// Cancelling a waiting sender drops its element; cancelling the consumer ends its iteration.
///
/// No continuation is resumed while the lock is held: resuming takes the resumed task's status lock, which that
/// task's cancellation holds while its cancellation handler waits for this lock (a deadlock that stopped both
/// threads of a 2-CPU machine's cooperative pool when an operator shut down as a change was sent).
public final class BoundedChannel<Element: Sendable>: AsyncSequence, Sendable {
    public let capacity: Int

    private struct State {
        var buffer: [Element] = []
        var head = 0
        var consumer: (id: UInt64, continuation: CheckedContinuation<Element?, Never>)?
        var senders: [(id: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        var finished = false
        var nextID: UInt64 = 0

        /// Elements of buffer a drained channel keeps.
        static var keptCapacity: Int { 64 }

        var count: Int { buffer.count - head }

        mutating func popFirst() -> Element? {
            guard head < buffer.count else { return nil }
            let element = buffer[head]
            head += 1
            if head == buffer.count {
                // Drained. A burst (an initial list of 10,000 namespaces, a change each) grows the buffer to a
                // megabyte; it is let go rather than kept for a burst that may never come.
                buffer.removeAll(keepingCapacity: buffer.capacity <= Self.keptCapacity)
                head = 0
            } else if head > 64, head * 2 > buffer.count {
                buffer.removeFirst(head)
                head = 0
            }
            return element
        }
    }

    private let state = Mutex(State())

    private enum SendStep { case delivered(to: CheckedContinuation<Element?, Never>?), full(UInt64), closed }
    private enum ReceiveStep { case value(Element?, sender: CheckedContinuation<Void, Never>?), wait }

    public init(capacity: Int) {
        precondition(capacity > 0, "BoundedChannel capacity must be positive")
        self.capacity = capacity
    }

    /// Elements waiting for the consumer.
    public var bufferedCount: Int { state.withLock { $0.count } }

    /// Whether the consumer waits for an element (tests).
    var hasWaitingConsumer: Bool { state.withLock { $0.consumer != nil } }

    /// Elements the buffer has room for without growing (what it holds in memory).
    var bufferCapacity: Int { state.withLock { $0.buffer.capacity } }

    /// Delivers `element`, waiting for room. Returns false if the channel is finished or the caller
    /// was cancelled (the element is then dropped).
    @discardableResult
    public func send(_ element: Element) async -> Bool {
        while true {
            let step: SendStep = state.withLock { state in
                if state.finished { return .closed }
                if let consumer = state.consumer {
                    state.consumer = nil
                    return .delivered(to: consumer.continuation)
                }
                if state.count < capacity {
                    state.buffer.append(element)
                    return .delivered(to: nil)
                }
                state.nextID += 1
                return .full(state.nextID)
            }
            switch step {
            case .delivered(let consumer):
                consumer?.resume(returning: element)
                return true
            case .closed: return false
            case .full(let id):
                if Task.isCancelled { return false }
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        let resumeNow = state.withLock { state -> Bool in
                            if state.finished || state.count < capacity || Task.isCancelled { return true }
                            state.senders.append((id, continuation))
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                } onCancel: {
                    let waiting = state.withLock { state -> CheckedContinuation<Void, Never>? in
                        guard let index = state.senders.firstIndex(where: { $0.id == id }) else { return nil }
                        return state.senders.remove(at: index).continuation
                    }
                    waiting?.resume()
                }
                if Task.isCancelled { return false }
            }
        }
    }

    /// Ends the sequence after the buffered elements; wakes everyone waiting.
    public func finish() {
        let (consumer, senders) = state.withLock { state in
            state.finished = true
            let consumer = state.count == 0 ? state.consumer : nil
            if consumer != nil { state.consumer = nil }
            let senders = state.senders
            state.senders = []
            return (consumer, senders)
        }
        consumer?.continuation.resume(returning: nil)
        for sender in senders { sender.continuation.resume() }
    }

    func next() async -> Element? {
        if let element = takeBuffered() { return element }
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Element?, Never>) in
                let step: ReceiveStep = state.withLock { state in
                    if let element = state.popFirst() {
                        let sender = state.senders.isEmpty ? nil : state.senders.removeFirst()
                        return .value(element, sender: sender?.continuation)
                    }
                    if state.finished || Task.isCancelled { return .value(nil, sender: nil) }
                    precondition(state.consumer == nil, "BoundedChannel has a single consumer")
                    state.consumer = (id, continuation)
                    return .wait
                }
                if case .value(let element, let sender) = step {
                    sender?.resume()
                    continuation.resume(returning: element)
                }
            }
        } onCancel: {
            let waiting = state.withLock { state -> CheckedContinuation<Element?, Never>? in
                guard let consumer = state.consumer, consumer.id == id else { return nil }
                state.consumer = nil
                return consumer.continuation
            }
            waiting?.resume(returning: nil)
        }
    }

    private func takeBuffered() -> Element? {
        let (element, sender) = state.withLock { state -> (Element?, CheckedContinuation<Void, Never>?) in
            guard let element = state.popFirst() else { return (nil, nil) }
            let sender = state.senders.isEmpty ? nil : state.senders.removeFirst().continuation
            return (element, sender)
        }
        sender?.resume()
        return element
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let channel: BoundedChannel

        public mutating func next() async -> Element? { await channel.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(channel: self) }
}
