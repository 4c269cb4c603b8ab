import Foundation

/// Idle tensor buffers of a few megabytes, kept for the next tensor of the same size. A server allocates the
/// same sizes on every request (the model's input batch, its outputs); fresh memory of that size is mapped and
/// page-faulted in each time, and leaving it to malloc's heaps instead fragments them until resident memory
/// grows by hundreds of megabytes. A small bounded cache gets neither.
/// `@unchecked Sendable`: the idle lists are only touched under `lock`.
package final class LargeBufferCache: @unchecked Sendable {
    package static let shared = LargeBufferCache(idleLimit: 96 << 20)
    /// Sizes worth keeping: smaller ones come cheaply from malloc; larger ones are rare (arenas have their pool).
    package static let cachedSizes = (256 << 10)...(32 << 20)

    private let lock = NSLock()
    private let idleLimit: Int
    private var idle: [Int: [UnsafeMutableRawPointer]] = [:]
    /// Idle buffers, oldest first: the first to go when the limit is passed.
    private var order: [(bytes: Int, pointer: UnsafeMutableRawPointer)] = []
    private var idleTotal = 0

    /// Bytes held by idle buffers.
    package var idleBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return idleTotal
    }

    package init(idleLimit: Int) { self.idleLimit = idleLimit }

    /// An idle buffer of exactly `bytes`, if one is kept.
    package func take(_ bytes: Int) -> UnsafeMutableRawPointer? {
        guard Self.cachedSizes.contains(bytes) else { return nil }
        lock.lock()
        defer { lock.unlock() }
        guard let pointer = idle[bytes]?.popLast() else { return nil }
        if idle[bytes]!.isEmpty { idle[bytes] = nil }
        order.removeAll { $0.pointer == pointer }
        idleTotal -= bytes
        return pointer
    }

    /// Keeps a buffer for reuse, or frees it; past the limit the oldest idle buffers are freed.
    package func keep(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        guard Self.cachedSizes.contains(bytes), bytes <= idleLimit else { pointer.deallocate(); return }
        var evicted: [UnsafeMutableRawPointer] = []
        lock.lock()
        idle[bytes, default: []].append(pointer)
        order.append((bytes, pointer))
        idleTotal += bytes
        while idleTotal > idleLimit {
            let oldest = order.removeFirst()
            idle[oldest.bytes]!.removeAll { $0 == oldest.pointer }
            if idle[oldest.bytes]!.isEmpty { idle[oldest.bytes] = nil }
            idleTotal -= oldest.bytes
            evicted.append(oldest.pointer)
        }
        lock.unlock()
        for buffer in evicted { buffer.deallocate() }
    }
}
