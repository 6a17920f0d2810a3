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
