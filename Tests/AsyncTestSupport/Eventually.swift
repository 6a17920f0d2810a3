import Testing

/// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held. A
/// condition that throws counts as not holding yet (a server still starting, an object not there yet).
public func eventually(
    timeout: Duration = .seconds(10), _ condition: () async throws -> Bool
) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return (try? await condition()) == true
}

/// Records an issue at the caller unless `condition` holds within `timeout` (`eventually`); returns whether it held.
///
/// Use this rather than `eventually` inside `#expect`: with Swift 6.3.1, a closure literal inside an awaited
/// `#expect` or `#require` argument, in a test body that is itself a closure, can share its symbol with the next
/// closure of that body, which then runs the first one's code (seen: a wait for a failure status ran the wait for
/// `Ready=True` before it, and passed or failed on a race). Outside the macro, each closure keeps its own body.
@discardableResult
public func expectEventually(
    _ comment: Comment? = nil, timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async -> Bool {
    if await eventually(timeout: timeout, condition) { return true }
    Issue.record(comment ?? "the condition did not hold within \(timeout)", sourceLocation: sourceLocation)
    return false
}

/// `expectEventually` that also ends the test when the condition does not hold (what `#require` would do).
public func requireEventually(
    _ comment: Comment? = nil, timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    guard await expectEventually(comment, timeout: timeout, sourceLocation: sourceLocation, condition) else {
        throw EventuallyFailed()
    }
}

/// Thrown by `requireEventually` after it recorded its issue.
public struct EventuallyFailed: Error, CustomStringConvertible {
    public var description: String { "a required condition did not hold in time" }
}
