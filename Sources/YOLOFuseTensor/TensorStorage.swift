/// A 64-byte aligned, zero-initialised byte buffer.
///
/// `@unchecked Sendable`: the buffer is written only by the code that creates a tensor (or by the engine into
/// buffers it owns exclusively for one run); once a tensor is handed to another thread it is only read.
public final class TensorStorage: @unchecked Sendable {
    public let byteCount: Int
    public let pointer: UnsafeMutableRawPointer
    private let owned: Bool

    public static let alignment = 64

    /// - Parameter zeroed: false for buffers the caller fills completely (skips a pass over the memory).
    public init(byteCount: Int, zeroed: Bool = true) {
        self.byteCount = byteCount
        owned = true
        pointer = LargeBufferCache.shared.take(byteCount)
            ?? UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: Self.alignment)
        if zeroed { pointer.initializeMemory(as: UInt8.self, repeating: 0, count: max(byteCount, 1)) }
    }

    /// A view of memory owned elsewhere (an engine's arena during one run); the owner keeps it alive.
    public init(borrowing pointer: UnsafeMutableRawPointer, byteCount: Int) {
        self.byteCount = byteCount
        self.pointer = pointer
        owned = false
    }

    deinit { if owned { LargeBufferCache.shared.keep(pointer, bytes: byteCount) } }
}
