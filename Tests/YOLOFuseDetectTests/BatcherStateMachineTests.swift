import Testing
import YOLOFuseDetect

@Suite struct BatcherStateMachineTests {
    typealias Machine = BatcherStateMachine<Int>
    let start = ContinuousClock.now

    func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    func machine(batch: Int = 4, delay: Int = 5, queue: Int = 10) -> Machine {
        Machine(configuration: .init(maxBatchSize: batch, maxQueueDelay: .milliseconds(delay), maxQueueLength: queue))
    }

    @Test func aLoneRequestWaitsForItsDeadlineThenRuns() {
        var m = machine()
        let first = m.submit(1, now: at(0))
        #expect(first == .wait(wakeAt: at(5)))
        let second = m.submit(2, now: at(1))
        #expect(second == .wait(wakeAt: nil))  // the timer is already armed
        let fired = m.deadlinePassed(at: at(5))
        #expect(fired == .run([1, 2]))
        #expect(m.isRunning)
        let done = m.batchFinished(at: at(9))
        #expect(done == .none)
    }

    @Test func batchesOverlapUpToTheConcurrencyLimit() {
        var m = Machine(configuration: .init(maxBatchSize: 1, maxQueueDelay: .milliseconds(5), maxQueueLength: 10, maxConcurrentBatches: 2))
        #expect(m.submit(1, now: at(0)) == .run([1]))
        #expect(m.submit(2, now: at(0)) == .run([2]))  // a second batch starts beside the first
        #expect(m.runningBatches == 2)
        #expect(m.submit(3, now: at(1)) == .wait(wakeAt: nil))  // both slots taken: it waits, with no timer
        #expect(m.deadlinePassed(at: at(9)) == .none)
        #expect(m.batchFinished(at: at(10)) == .run([3]))  // a slot frees: the waiting request takes it
        #expect(m.runningBatches == 2)
        #expect(m.batchFinished(at: at(11)) == .none)
        #expect(m.batchFinished(at: at(12)) == .none)
        #expect(!m.isRunning)
    }

    @Test func aFreeSlotArmsATimerForTheNextBatch() {
        var m = Machine(configuration: .init(maxBatchSize: 4, maxQueueDelay: .milliseconds(5), maxQueueLength: 10, maxConcurrentBatches: 2))
        #expect(m.submit(1, now: at(0)) == .wait(wakeAt: at(5)))
        #expect(m.deadlinePassed(at: at(5)) == .run([1]))
        // One batch runs and one slot is free: the next request waits for company only until its own deadline.
        #expect(m.submit(2, now: at(6)) == .wait(wakeAt: at(11)))
        #expect(m.deadlinePassed(at: at(11)) == .run([2]))
        #expect(m.runningBatches == 2)
    }

    @Test func aFullBatchRunsAtOnce() {
        var m = machine(batch: 3)
        _ = m.submit(1, now: at(0))
        _ = m.submit(2, now: at(0))
        let third = m.submit(3, now: at(0))
        #expect(third == .run([1, 2, 3]))
        // The timer armed for request 1 fires with nothing left to do.
        let fired = m.deadlinePassed(at: at(5))
        #expect(fired == .none)
    }

    @Test func requestsArrivingDuringARunFormTheNextBatch() {
        var m = machine(batch: 2)
        _ = m.submit(1, now: at(0))
        let full = m.submit(2, now: at(0))
        #expect(full == .run([1, 2]))
        // While it runs nothing starts, however many arrive.
        for (id, time) in [(3, 1), (4, 2), (5, 3)] {
            let action = m.submit(id, now: at(time))
            #expect(action == .wait(wakeAt: nil))
        }
        // Request 1's timer fires during the run: nothing to do yet.
        let stale = m.deadlinePassed(at: at(5))
        #expect(stale == .none)
        let second = m.batchFinished(at: at(6))
        #expect(second == .run([3, 4]))  // 3 and 4 are due (and a full batch anyway)
        // 5 has waited 4 of its 5 ms when the second batch ends at 7 ms: a timer for its deadline.
        let third = m.batchFinished(at: at(7))
        #expect(third == .wait(wakeAt: at(8)))
        let last = m.deadlinePassed(at: at(8))
        #expect(last == .run([5]))
    }

    @Test func aFullQueueRefusesAtOnce() {
        var m = machine(batch: 32, queue: 2)
        _ = m.submit(1, now: at(0))
        _ = m.submit(2, now: at(0))
        let third = m.submit(3, now: at(0))
        #expect(third == .reject)
        #expect(m.queued == 2)
    }

    @Test func cancelledRequestsNeverRun() {
        var m = machine()
        _ = m.submit(1, now: at(0))
        _ = m.submit(2, now: at(1))
        let cancelled = m.cancel(1), again = m.cancel(1)
        #expect(cancelled && !again)
        let early = m.deadlinePassed(at: at(5))
        #expect(early == .wait(wakeAt: at(6)))  // 2's own deadline
        let fired = m.deadlinePassed(at: at(6))
        #expect(fired == .run([2]))
        let late = m.cancel(2)
        #expect(!late)  // already running
    }

    @Test func configurationIsClamped() {
        let configuration = Machine.Configuration(maxBatchSize: 100, maxQueueDelay: .zero, maxQueueLength: 0)
        #expect(configuration.maxBatchSize == 32 && configuration.maxQueueLength == 1)
        var m = Machine(configuration: .init(maxBatchSize: 8, maxQueueDelay: .zero, maxQueueLength: 4))
        let first = m.submit(1, now: at(0))
        #expect(first == .wait(wakeAt: at(0)))  // no delay: due as soon as the timer fires
        let fired = m.deadlinePassed(at: at(0))
        #expect(fired == .run([1]))
    }
}
