internal import CDNNL
public import Foundation

/// The engine's own threads. Inference never runs on Swift's cooperative pool: callers `await` a job here and
/// are resumed when it finishes. One executor serves every loaded model (one thread pool, not one per model).
public final class ComputeExecutor: Sendable {
    public let workerCount: Int
    public let threadsPerRun: Int
    private let queue: JobQueue

    /// - Parameters:
    ///   - workerCount: runs that may execute at once (each on its own thread).
    ///   - threadsPerRun: OpenMP threads each run's oneDNN primitives use.
    public init(workerCount: Int = 1, threadsPerRun: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.workerCount = max(1, workerCount)
        self.threadsPerRun = max(1, threadsPerRun)
        queue = JobQueue()
        for index in 0..<self.workerCount {
            let threads = self.threadsPerRun
            let thread = Thread { [queue] in
                omp_set_num_threads(Int32(threads))
                while let job = queue.next() { job() }
            }
            thread.name = "yolofuse-engine-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Runs `work` on an engine thread and returns its result to the awaiting task.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.push { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Lets the worker threads exit once the queued jobs are done.
    public func shutdown() { queue.close() }

    deinit { queue.close() }
}

/// A blocking FIFO for the worker threads. `@unchecked Sendable`: every access holds `condition`.
private final class JobQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
    private var closed = false

    func push(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    func next() -> (@Sendable () -> Void)? {
        condition.lock()
        defer { condition.unlock() }
        while head == jobs.count && !closed { condition.wait() }
        guard head < jobs.count else { return nil }
        let job = jobs[head]
        head += 1
        if head > 1024 { jobs.removeFirst(head); head = 0 }
        return job
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
