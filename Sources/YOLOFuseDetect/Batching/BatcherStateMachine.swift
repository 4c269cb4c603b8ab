/// The dynamic batcher's decisions, with no I/O, clocks or tasks: the owner feeds it events and carries out the
/// actions it returns. Requests wait at most `maxQueueDelay` for company, a batch holds at most `maxBatchSize`,
/// the queue holds at most `maxQueueLength` (further requests are refused at once), and at most
/// `maxConcurrentBatches` batches run at a time.
public struct BatcherStateMachine<ID: Hashable & Sendable>: Sendable {
    public struct Configuration: Sendable, Equatable {
        public var maxBatchSize: Int
        public var maxQueueDelay: Duration
        public var maxQueueLength: Int
        /// One for models whose every run uses all cores; more where runs take a core each, so a batch can start
        /// while another finishes.
        public var maxConcurrentBatches: Int

        public init(maxBatchSize: Int = 8, maxQueueDelay: Duration = .milliseconds(5), maxQueueLength: Int = 64,
                    maxConcurrentBatches: Int = 1) {
            self.maxBatchSize = max(1, min(maxBatchSize, 32))
            self.maxQueueDelay = maxQueueDelay
            self.maxQueueLength = max(1, maxQueueLength)
            self.maxConcurrentBatches = max(1, maxConcurrentBatches)
        }
    }

    public enum SubmitAction: Equatable, Sendable {
        /// The queue is full: answer 503 with Retry-After now.
        case reject
        /// Queued; if `wakeAt` is set, arrange a `deadlinePassed(at:)` call then (the oldest request's deadline).
        case wait(wakeAt: ContinuousClock.Instant?)
        /// Run this batch now.
        case run([ID])
    }

    public enum NextAction: Equatable, Sendable {
        case none
        case wait(wakeAt: ContinuousClock.Instant)
        case run([ID])
    }

    public let configuration: Configuration
    private var queue: [(id: ID, deadline: ContinuousClock.Instant)] = []
    private var running = 0
    private var timerArmed = false

    public init(configuration: Configuration = Configuration()) { self.configuration = configuration }

    public var queued: Int { queue.count }
    public var isRunning: Bool { running > 0 }
    public var runningBatches: Int { running }
    private var canStart: Bool { running < configuration.maxConcurrentBatches }

    public mutating func submit(_ id: ID, now: ContinuousClock.Instant) -> SubmitAction {
        guard queue.count < configuration.maxQueueLength else { return .reject }
        queue.append((id, now + configuration.maxQueueDelay))
        if canStart && queue.count >= configuration.maxBatchSize { return .run(takeBatch()) }
        if canStart && !timerArmed {
            timerArmed = true
            return .wait(wakeAt: queue[0].deadline)
        }
        return .wait(wakeAt: nil)
    }

    /// The timer armed by a `wait` fired.
    public mutating func deadlinePassed(at now: ContinuousClock.Instant) -> NextAction {
        timerArmed = false
        return next(now: now)
    }

    /// A running batch finished (successfully or not).
    public mutating func batchFinished(at now: ContinuousClock.Instant) -> NextAction {
        running -= 1
        return next(now: now)
    }

    /// A waiting request's caller went away: it leaves the queue and never reaches the model. Returns whether it
    /// was still queued (false: already running or done).
    public mutating func cancel(_ id: ID) -> Bool {
        guard let index = queue.firstIndex(where: { $0.id == id }) else { return false }
        queue.remove(at: index)
        return true
    }

    private mutating func next(now: ContinuousClock.Instant) -> NextAction {
        guard canStart, let oldest = queue.first else { return .none }
        if queue.count >= configuration.maxBatchSize || oldest.deadline <= now { return .run(takeBatch()) }
        if timerArmed { return .none }
        timerArmed = true
        return .wait(wakeAt: oldest.deadline)
    }

    private mutating func takeBatch() -> [ID] {
        let count = min(configuration.maxBatchSize, queue.count)
        let batch = queue.prefix(count).map(\.id)
        queue.removeFirst(count)
        running += 1
        return batch
    }
}
