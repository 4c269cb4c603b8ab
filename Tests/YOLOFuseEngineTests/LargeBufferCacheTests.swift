import Testing
import YOLOFuseTensor

@Suite("Idle tensor buffers")
struct LargeBufferCacheTests {
    static func buffer(_ bytes: Int) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: TensorStorage.alignment)
    }

    @Test func aKeptBufferServesTheNextRequestOfItsSizeOnly() {
        let cache = LargeBufferCache(idleLimit: 4 << 20)
        let first = Self.buffer(1 << 20)
        cache.keep(first, bytes: 1 << 20)
        #expect(cache.idleBytes == 1 << 20)
        #expect(cache.take(2 << 20) == nil)
        #expect(cache.take(1 << 20) == first)
        #expect(cache.take(1 << 20) == nil)
        #expect(cache.idleBytes == 0)
        first.deallocate()
    }

    @Test func idleMemoryStaysUnderTheLimitOldestFirst() {
        let cache = LargeBufferCache(idleLimit: 1 << 20)
        let buffers = (0..<3).map { _ in Self.buffer(512 << 10) }
        for buffer in buffers { cache.keep(buffer, bytes: 512 << 10) }
        #expect(cache.idleBytes == 1 << 20)
        // The oldest went first; the two newest are kept (newest handed out first).
        #expect(cache.take(512 << 10) == buffers[2])
        #expect(cache.take(512 << 10) == buffers[1])
        #expect(cache.take(512 << 10) == nil)
        buffers[1].deallocate()
        buffers[2].deallocate()
    }

    @Test func smallAndHugeBuffersAreNotKept() {
        let cache = LargeBufferCache(idleLimit: 256 << 20)
        cache.keep(Self.buffer(4096), bytes: 4096)
        cache.keep(Self.buffer(64 << 20), bytes: 64 << 20)
        #expect(cache.idleBytes == 0)
    }

    @Test func aReusedBufferIsZeroedWhenAsked() {
        let bytes = 1 << 20
        do {
            let dirty = TensorStorage(byteCount: bytes, zeroed: false)
            dirty.pointer.initializeMemory(as: UInt8.self, repeating: 0xFF, count: bytes)
        }
        let clean = TensorStorage(byteCount: bytes)
        let values = UnsafeBufferPointer(start: clean.pointer.assumingMemoryBound(to: UInt8.self), count: bytes)
        #expect(values.allSatisfy { $0 == 0 })
    }
}
