import Synchronization
import Testing
import YOLOFuseDetect

@Suite struct InOrderPipelineTests {
    /// Later items finish first (their work is shorter), yet results come out in the order read, with never more
    /// than `inFlight` running.
    @Test(arguments: [1, 2, 3])
    func resultsComeOutInOrderWithABoundedNumberInFlight(inFlight: Int) async throws {
        let running = Mutex((now: 0, peak: 0))
        var consumed: [Int] = []
        var source = (0..<12).makeIterator()
        try await InOrderPipeline.run(inFlight: inFlight, next: { source.next() }, work: { item in
            running.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
            try await Task.sleep(for: .milliseconds(2 * (12 - item)))
            running.withLock { $0.now -= 1 }
            return item * 10
        }, consume: { item, output in
            #expect(output == item * 10)
            consumed.append(item)
        })
        #expect(consumed == Array(0..<12))
        let peak = running.withLock { $0.peak }
        #expect(peak <= inFlight)
        #expect(inFlight == 1 || peak > 1)
    }

    struct Failure: Error {}

    @Test func aFailingItemEndsTheRunWithItsError() async throws {
        var consumed: [Int] = []
        await #expect(throws: Failure.self) {
            try await InOrderPipeline.run(Array(0..<6), inFlight: 2, work: { item in
                if item == 3 { throw Failure() }
                return item
            }, consume: { item, _ in consumed.append(item) })
        }
        #expect(!consumed.contains(3) && consumed.allSatisfy { $0 < 3 })
    }
}
