import Synchronization

/// Wakes this process's worker when its API has just queued a job, so an idle worker claims it at once instead of
/// at its next poll. Workers in other processes still find it by polling.
final class JobSignal: Sendable {
    private let state = Mutex<(pending: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    /// Wakes the waiting worker, or the next one to wait.
    func notify() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            defer { state = (state.waiter == nil, nil) }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Returns once notified or after `timeout`, whichever comes first (at once when a notification is pending).
    /// One waiter at a time: the worker.
    func wait(timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        // Cancelled before parking (the timeout won): do not park at all.
                        let resumeNow = self.state.withLock { state -> Bool in
                            if state.pending || Task.isCancelled { state.pending = false; return true }
                            state.waiter = continuation
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                } onCancel: {
                    self.resumeParked()
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    private func resumeParked() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }
}
