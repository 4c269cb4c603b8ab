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
}
