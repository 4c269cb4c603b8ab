/// A dense row-major tensor: element type, shape and the bytes that hold it.
public struct Tensor: Sendable, CustomStringConvertible {
    public let dataType: DataType
    public let shape: Shape
    public let storage: TensorStorage

    /// A zero-filled tensor.
    public init(zeros dataType: DataType, shape: Shape) {
        self.dataType = dataType
        self.shape = shape
        storage = TensorStorage(byteCount: shape.elementCount * dataType.byteWidth)
    }

    /// A tensor whose bytes the caller writes in full before reading any (no zeroing pass).
    public init(uninitialized dataType: DataType, shape: Shape) {
        self.dataType = dataType
        self.shape = shape
        storage = TensorStorage(byteCount: shape.elementCount * dataType.byteWidth, zeroed: false)
    }

    public init(dataType: DataType, shape: Shape, storage: TensorStorage) {
        precondition(storage.byteCount >= shape.elementCount * dataType.byteWidth, "storage too small for shape")
        self.dataType = dataType
        self.shape = shape
        self.storage = storage
    }

    public init(floats: [Float], shape: Shape) {
        precondition(floats.count == shape.elementCount, "\(floats.count) values for shape \(shape)")
        self.init(zeros: .float32, shape: shape)
        floats.withUnsafeBytes { storage.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    public init(int64s: [Int64], shape: Shape) {
        precondition(int64s.count == shape.elementCount, "\(int64s.count) values for shape \(shape)")
        self.init(zeros: .int64, shape: shape)
        int64s.withUnsafeBytes { storage.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    public var elementCount: Int { shape.elementCount }
    public var byteCount: Int { elementCount * dataType.byteWidth }

    public func floatPointer() -> UnsafeMutablePointer<Float> {
        precondition(dataType == .float32, "expected float32, found \(dataType)")
        return storage.pointer.assumingMemoryBound(to: Float.self)
    }

    public var floats: [Float] {
        precondition(dataType == .float32, "expected float32, found \(dataType)")
        return Array(UnsafeBufferPointer(start: floatPointer(), count: elementCount))
    }

    /// Integer view of any integer or boolean tensor, widened to Int64 (shape arithmetic reads these).
    public var int64s: [Int64] {
        let raw = storage.pointer
        switch dataType {
        case .int64: return Array(UnsafeBufferPointer(start: raw.assumingMemoryBound(to: Int64.self), count: elementCount))
        case .int32: return UnsafeBufferPointer(start: raw.assumingMemoryBound(to: Int32.self), count: elementCount).map(Int64.init)
        case .bool, .uint8: return UnsafeBufferPointer(start: raw.assumingMemoryBound(to: UInt8.self), count: elementCount).map(Int64.init)
        case .float32: return UnsafeBufferPointer(start: raw.assumingMemoryBound(to: Float.self), count: elementCount).map { Int64($0) }
        }
    }

    /// Numeric view of any tensor as Double, for element-wise reference arithmetic on mixed types.
    public var doubles: [Double] {
        if dataType == .float32 { return floats.map(Double.init) }
        return int64s.map(Double.init)
    }

    /// A tensor of `dataType` holding `values` (converted, truncating toward zero for integers).
    public init(converting values: [Double], to dataType: DataType, shape: Shape) {
        self.init(zeros: dataType, shape: shape)
        let raw = storage.pointer
        switch dataType {
        case .float32:
            let out = raw.assumingMemoryBound(to: Float.self)
            for i in values.indices { out[i] = Float(values[i]) }
        case .int64:
            let out = raw.assumingMemoryBound(to: Int64.self)
            for i in values.indices { out[i] = Self.clampedInt64(values[i]) }
        case .int32:
            let out = raw.assumingMemoryBound(to: Int32.self)
            for i in values.indices { out[i] = Int32(clamping: Self.clampedInt64(values[i])) }
        case .bool:
            let out = raw.assumingMemoryBound(to: UInt8.self)
            for i in values.indices { out[i] = values[i] != 0 ? 1 : 0 }
        case .uint8:
            let out = raw.assumingMemoryBound(to: UInt8.self)
            for i in values.indices { out[i] = UInt8(clamping: Int(values[i])) }
        }
    }

    /// Doubles beyond Int64's range (ONNX writes INT64_MAX as "to the end") saturate instead of trapping.
    static func clampedInt64(_ value: Double) -> Int64 {
        if value.isNaN { return 0 }
        if value >= 9.2e18 { return .max }
        if value <= -9.2e18 { return .min }
        return Int64(value.rounded(.towardZero))
    }

    /// The same bytes seen with another shape of equal element count.
    public func reshaped(_ newShape: Shape) -> Tensor {
        precondition(newShape.elementCount == shape.elementCount, "cannot reshape \(shape) to \(newShape)")
        return Tensor(dataType: dataType, shape: newShape, storage: storage)
    }

    public var description: String { "Tensor<\(dataType)>\(shape)" }
}
