/// Runs `operation`, cancelling it and answering 503 if it takes longer than `timeout`. Cancellation reaches
/// the dynamic batcher, which drops the request if its batch has not started.
func withDeadline<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw APIError(.unavailable, "the request took longer than \(timeout); retry later")
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
