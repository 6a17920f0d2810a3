/// Runs `body`, then awaits `teardown` whether `body` returned or threw, so a test ends only after
/// its servers and tasks have stopped. A teardown error fails the test, unless `body` already threw
/// (its error is the one worth reading).
///
/// Replaces `defer { Task { await server.shutdown() } }`, whose teardown nobody awaited and whose
/// errors were lost.
public func withTeardown<T>(
    _ teardown: () async throws -> Void, _ body: () async throws -> T
) async throws -> T {
    let result: Result<T, any Error>
    do {
        result = .success(try await body())
    } catch {
        result = .failure(error)
    }
    do {
        try await teardown()
    } catch {
        if case .success = result { throw error }
    }
    return try result.get()
}
