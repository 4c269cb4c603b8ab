public import Foundation
import YOLOFuseEngine

/// Groups concurrent detection requests for one model into batches (Triton's dynamic batcher: max batch size,
/// max queue delay, bounded queue). Decisions come from `BatcherStateMachine`; this type only carries them out.
/// `run()` owns every task it starts (timers, batches), so it is driven by the service lifecycle and stops
/// cleanly: after `shutdown()`, running batches finish and requests still queued are refused.
public final class DynamicBatcher: Sendable {
    /// The queue is full (answer 503 with Retry-After).
    public struct QueueFull: Error, CustomStringConvertible, Sendable {
        public var description: String { "the model's request queue is full; retry shortly" }
    }

    /// The batcher stopped before the request ran.
    public struct ShutDown: Error, CustomStringConvertible, Sendable {
        public var description: String { "the service is shutting down" }
    }

    /// Dropped before inference: nobody waits for the answer any more (the client disconnected).
    public struct Abandoned: Error, CustomStringConvertible, Sendable {
        public var description: String { "the caller went away before the request ran" }
    }

    struct Pending: Sendable {
        var input: DetectionInput
        var options: DetectionOptions
        var isAbandoned: @Sendable () -> Bool
        var continuation: CheckedContinuation<DetectionResult, any Error>
    }

    enum Event: Sendable {
        case submit(Int, Pending)
        case cancel(Int)
        case deadline
        case finished
    }

    public let detector: Detector
    public let configuration: BatcherStateMachine<Int>.Configuration
    /// Told the size and duration of every batch run (for metrics).
    private let onBatch: @Sendable (Int, Duration) -> Void
    /// Told how the number of queued requests changed (for a queue depth gauge summed over models).
    private let onQueueChange: @Sendable (Int) -> Void
    private let events: AsyncStream<Event>
    private let sink: AsyncStream<Event>.Continuation
    private let counter = Counter()

    public init(detector: Detector, configuration: BatcherStateMachine<Int>.Configuration = .init(),
                onBatch: @escaping @Sendable (Int, Duration) -> Void = { _, _ in },
                onQueueChange: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.detector = detector
        // Images that run one per core: a batch may start while another runs, up to one per core. Otherwise every
        // run takes all cores and batches go one at a time.
        var configuration = configuration
        configuration.maxConcurrentBatches = detector.runsImagePerCore ? detector.cores : 1
        self.configuration = configuration
        self.onBatch = onBatch
        self.onQueueChange = onQueueChange
        (events, sink) = AsyncStream.makeStream(of: Event.self)
    }

    /// Queues one request and returns its result when its batch has run. Cancelling the calling task removes
    /// a request that has not started yet, and so does `isAbandoned` returning true when its batch is formed
    /// (throwing `Abandoned`), so a caller that went away never costs a model run.
    public func detect(_ input: DetectionInput, options: DetectionOptions,
                       isAbandoned: @escaping @Sendable () -> Bool = { false }) async throws -> DetectionResult {
        let id = counter.next()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let result = sink.yield(.submit(id, Pending(input: input, options: options, isAbandoned: isAbandoned, continuation: continuation)))
                if case .terminated = result { continuation.resume(throwing: ShutDown()) }
            }
        } onCancel: {
            sink.yield(.cancel(id))
        }
    }

    /// Stops taking requests; `run()` returns once running batches are done.
    public func shutdown() { sink.finish() }

    /// The batcher's loop; returns after `shutdown()`.
    public func run() async {
        var machine = BatcherStateMachine<Int>(configuration: configuration)
        var pending: [Int: Pending] = [:]
        var reportedQueue = 0
        await withDiscardingTaskGroup { group in
            func perform(_ batch: [Int]) {
                var items: [Pending] = []
                for request in batch.compactMap({ pending.removeValue(forKey: $0) }) {
                    if request.isAbandoned() { request.continuation.resume(throwing: Abandoned()) } else { items.append(request) }
                }
                guard !items.isEmpty else { sink.yield(.finished); return }
                // A lone request takes every core (the lowest latency); under load each run takes one, so that no
                // core waits for the other to free up.
                let shared = configuration.maxConcurrentBatches > 1
                    && (machine.runningBatches > 1 || machine.queued > 0 || !detector.executor.isIdle)
                let threads: Int? = shared ? 1 : nil
                group.addTask { [detector, sink, onBatch] in
                    do {
                        let started = ContinuousClock.now
                        let results = try await detector.detect(items.map(\.input), eachWith: items.map(\.options), threads: threads)
                        onBatch(items.count, ContinuousClock.now - started)
                        for (item, result) in zip(items, results) { item.continuation.resume(returning: result) }
                    } catch {
                        for item in items { item.continuation.resume(throwing: error) }
                    }
                    sink.yield(.finished)
                }
            }
            func wake(at instant: ContinuousClock.Instant) {
                group.addTask { [sink] in
                    try? await Task.sleep(until: instant, clock: .continuous)
                    sink.yield(.deadline)
                }
            }
            func follow(_ action: BatcherStateMachine<Int>.NextAction) {
                switch action {
                case .none: break
                case .wait(let instant): wake(at: instant)
                case .run(let batch): perform(batch)
                }
            }
            for await event in events {
                let now = ContinuousClock.now
                switch event {
                case .submit(let id, let request):
                    pending[id] = request
                    switch machine.submit(id, now: now) {
                    case .reject: pending.removeValue(forKey: id)?.continuation.resume(throwing: QueueFull())
                    case .wait(let instant): if let instant { wake(at: instant) }
                    case .run(let batch): perform(batch)
                    }
                case .cancel(let id):
                    if machine.cancel(id) { pending.removeValue(forKey: id)?.continuation.resume(throwing: CancellationError()) }
                case .deadline:
                    follow(machine.deadlinePassed(at: now))
                case .finished:
                    follow(machine.batchFinished(at: now))
                }
                if machine.queued != reportedQueue {
                    onQueueChange(machine.queued - reportedQueue)
                    reportedQueue = machine.queued
                }
            }
            if reportedQueue != 0 { onQueueChange(-reportedQueue) }
            // Shut down: whatever is still queued will not run; pending timers are cancelled (a running batch
            // does not observe cancellation and completes).
            for request in pending.values { request.continuation.resume(throwing: ShutDown()) }
            pending.removeAll()
            group.cancelAll()
        }
    }
}

/// Request ids. `@unchecked Sendable`: the value is only touched under `lock`.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
