internal import CDNNL
public import Foundation

/// The engine's own threads. Inference never runs on Swift's cooperative pool: callers `await` a job here and
/// are resumed when it finishes. One executor serves every loaded model (one thread pool, not one per model).
///
/// Jobs say how many cores they use (a whole-batch run uses them all; a per-image run of a split batch uses
/// one). Jobs start in arrival order, each once enough cores are free, so the machine is never oversubscribed.
/// Multi-core jobs always run on the first worker: OpenMP keeps a team of threads per calling thread, spinning
/// for a while after each parallel region, and two workers' teams would fight over the same cores.
public final class ComputeExecutor: Sendable {
    public let cores: Int
    private let queue: JobQueue

    public init(cores: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.cores = max(1, cores)
        queue = JobQueue(cores: self.cores)
        for index in 0..<self.cores {
            let thread = Thread { [queue] in
                // Named from inside, for top and perf: Foundation passes a name on to Linux (15 characters at
                // most) only when the thread names itself. OpenMP's threads inherit it.
                Thread.current.name = "yf-engine-\(index)"
                var teamSize: Int32 = 0
                while let job = queue.next(worker: index) {
                    // The OpenMP team size is per calling thread; set it only when it changes.
                    if teamSize != Int32(job.threads) { teamSize = Int32(job.threads); omp_set_num_threads(teamSize) }
                    job.body()
                    queue.finished(job)
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Runs `work` on an engine thread with `threads` cores (all of them by default) and returns its result
    /// to the awaiting task.
    public func run<T: Sendable>(threads: Int? = nil, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        let threads = min(max(threads ?? cores, 1), cores)
        return try await withCheckedThrowingContinuation { continuation in
            queue.push(Job(threads: threads) { continuation.resume(with: Result { try work() }) })
        }
    }

    /// Whether no job is running or waiting (a moment's snapshot: a caller choosing how many cores to ask for).
    public var isIdle: Bool { queue.isIdle }

    /// Lets the worker threads exit once the queued jobs are done.
    public func shutdown() { queue.close() }

    deinit { queue.close() }
}

private struct Job: Sendable {
    let threads: Int
    let body: @Sendable () -> Void
}

/// FIFO of jobs with core accounting. `@unchecked Sendable`: every access holds `condition`.
private final class JobQueue: @unchecked Sendable {
    private let condition = NSCondition()
    /// Waiting jobs only: a job leaves the array when it starts, so nothing it captured (input tensors, images)
    /// outlives it.
    private var jobs: [Job] = []
    private var freeCores: Int
    private var closed = false

    private let cores: Int

    init(cores: Int) {
        self.cores = cores
        freeCores = cores
    }

    func push(_ job: Job) {
        condition.lock()
        jobs.append(job)
        condition.broadcast()
        condition.unlock()
    }

    /// The next job this worker may run, once the cores it needs are free; nil when closed and drained.
    /// Only worker 0 takes multi-core jobs.
    func next(worker: Int) -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while !closed || !jobs.isEmpty {
            if let first = jobs.first, first.threads <= freeCores && (worker == 0 || first.threads == 1) {
                jobs.removeFirst()
                freeCores -= first.threads
                return first
            }
            if closed && jobs.isEmpty { break }
            condition.wait()
        }
        return nil
    }

    var isIdle: Bool {
        condition.lock()
        defer { condition.unlock() }
        return jobs.isEmpty && freeCores == cores
    }

    func finished(_ job: Job) {
        condition.lock()
        freeCores += job.threads
        condition.broadcast()
        condition.unlock()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
