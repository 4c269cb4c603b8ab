import Foundation
import Testing
import YOLOFuseEngine
import YOLOFuseTensor

@Suite("Engine threads")
struct ComputeExecutorTests {
    /// A finished job must not keep what it captured: a server's jobs capture whole input batches.
    @Test func finishedJobsReleaseWhatTheyCaptured() async throws {
        let executor = ComputeExecutor(cores: 2)
        weak var released: TensorStorage?
        for threads in [1, 2] {
            do {
                let storage = TensorStorage(byteCount: 1 << 20)
                released = storage
                let sum = try await executor.run(threads: threads) { storage.byteCount }
                #expect(sum == 1 << 20)
            }
            // Other jobs keep the workers busy meanwhile; the first job's capture must be gone regardless.
            for _ in 0..<4 { _ = try await executor.run(threads: 1) { 0 } }
            #expect(released == nil, "threads \(threads)")
        }
        executor.shutdown()
    }

    /// Idle means nothing running and nothing waiting.
    @Test func idleWhenNothingRunsOrWaits() async throws {
        let executor = ComputeExecutor(cores: 2)
        #expect(executor.isIdle)
        let started = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        async let running = executor.run(threads: 1) { () -> Bool in
            started.signal()
            return release.wait(timeout: .now() + 60) == .success
        }
        while started.wait(timeout: .now()) != .success { try await Task.sleep(for: .milliseconds(1)) }
        #expect(!executor.isIdle)  // one job holds a core until the test lets it go
        release.signal()
        #expect(try await running)
        // The worker returns the core just after the job's result is handed over.
        for _ in 0..<500 where !executor.isIdle { try await Task.sleep(for: .milliseconds(1)) }
        #expect(executor.isIdle)
        executor.shutdown()
    }

    /// Single-core jobs run side by side: each waits for the other to start, which only ends if both run at once.
    @Test func singleCoreJobsRunSideBySide() async throws {
        let executor = ComputeExecutor(cores: 2)
        let meeting = Occupancy()
        async let first = executor.run(threads: 1) { meeting.arriveAndWait(for: 2) }
        async let second = executor.run(threads: 1) { meeting.arriveAndWait(for: 2) }
        let (a, b) = try await (first, second)
        #expect(a && b)
        executor.shutdown()
    }

    /// A job over all cores never shares them, and single-core jobs never exceed the cores, whatever the mix.
    @Test func jobsNeverOversubscribeTheCores() async throws {
        let executor = ComputeExecutor(cores: 2)
        let occupancy = Occupancy()
        let alone = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<24 {
                let threads = index % 5 == 0 ? 2 : 1
                group.addTask {
                    try await executor.run(threads: threads) { occupancy.hold(cores: threads, for: 0.002) }
                }
            }
            return try await group.reduce(true) { $0 && $1 }
        }
        #expect(alone)
        #expect(occupancy.peak == 2)
        executor.shutdown()
    }
}

/// Counts cores in use by jobs, under a lock.
private final class Occupancy: @unchecked Sendable {
    private let condition = NSCondition()
    private var inUse = 0
    private var arrived = 0
    private(set) var peak = 0

    /// Holds `cores` for a while; false if the cores were over-committed meanwhile.
    func hold(cores: Int, for seconds: Double) -> Bool {
        condition.lock()
        inUse += cores
        peak = max(peak, inUse)
        var fits = inUse <= 2
        condition.unlock()
        Thread.sleep(forTimeInterval: seconds)
        condition.lock()
        fits = fits && inUse <= 2
        inUse -= cores
        condition.unlock()
        return fits
    }

    /// True once `count` callers have arrived, false after 5 s without them.
    func arriveAndWait(for count: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        arrived += 1
        condition.broadcast()
        let deadline = Date().addingTimeInterval(5)
        while arrived < count { if !condition.wait(until: deadline) { return false } }
        return true
    }
}
