import Foundation
import YOLOFuseTensor

/// Activation memory shared by every compiled graph of the process. A run borrows one buffer for its arena and
/// scratchpad and gives it back at the end, so memory grows with the number of runs in flight (at most a few,
/// one per engine thread) rather than with the number of loaded models and input shapes.
/// `@unchecked Sendable`: the idle list is only touched under `lock`.
final class ArenaPool: @unchecked Sendable {
    static let shared = ArenaPool(maxIdle: 2)

    private let lock = NSLock()
    private var idle: [TensorStorage] = []
    private let maxIdle: Int

    init(maxIdle: Int) { self.maxIdle = maxIdle }

    /// A buffer of at least `bytes`: the smallest idle one that fits, else a new one.
    func acquire(_ bytes: Int) -> TensorStorage {
        lock.lock()
        let fitting = idle.indices.filter { idle[$0].byteCount >= bytes }.min { idle[$0].byteCount < idle[$1].byteCount }
        let reused = fitting.map { idle.remove(at: $0) }
        lock.unlock()
        if let reused { return reused }
        let buffer = TensorStorage(byteCount: max(bytes, 64), zeroed: false)
        #if DEBUG
        // Debug builds poison fresh buffers (NaN in float32), so a graph that read memory it never wrote fails tests.
        buffer.pointer.initializeMemory(as: UInt8.self, repeating: 0xFF, count: buffer.byteCount)
        #endif
        return buffer
    }

    /// Takes a buffer back; past `maxIdle`, the smallest idle buffers are freed.
    func release(_ buffer: TensorStorage) {
        lock.lock()
        idle.append(buffer)
        if idle.count > maxIdle {
            idle.sort { $0.byteCount > $1.byteCount }
            idle.removeLast(idle.count - maxIdle)
        }
        lock.unlock()
    }

    /// Bytes held by idle buffers (for tests and diagnostics).
    var idleBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return idle.reduce(0) { $0 + $1.byteCount }
    }
}
