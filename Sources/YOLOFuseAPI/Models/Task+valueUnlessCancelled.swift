import Synchronization

extension Task where Failure == any Error {
    /// The task's value, or CancellationError as soon as the waiting task is cancelled. Awaiting `value` itself
    /// ignores the waiter's cancellation, so a request past its deadline would wait for a whole model load that
    /// other requests share; the load itself goes on for them.
    package func valueUnlessCancelled() async throws -> Success {
        let waiter = OnceContinuation<Success>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiter.install(continuation)
                Task<Void, Never> { waiter.resume(with: await self.result) }
            }
        } onCancel: {
            waiter.resume(with: .failure(_Concurrency.CancellationError()))
        }
    }
}

/// A continuation resumed by whichever comes first; a result that comes before the continuation is kept for it.
private final class OnceContinuation<Value: Sendable>: Sendable {
    private enum State {
        case empty
        case waiting(CheckedContinuation<Value, any Error>)
        case early(Result<Value, any Error>)
        case done
    }

    private let state = Mutex(State.empty)

    func install(_ continuation: CheckedContinuation<Value, any Error>) {
        let early: Result<Value, any Error>? = state.withLock { state in
            if case .early(let result) = state { state = .done; return result }
            state = .waiting(continuation)
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func resume(with result: Result<Value, any Error>) {
        let continuation: CheckedContinuation<Value, any Error>? = state.withLock { state in
            switch state {
            case .empty: state = .early(result); return nil
            case .waiting(let continuation): state = .done; return continuation
            case .early, .done: return nil
            }
        }
        continuation?.resume(with: result)
    }
}
