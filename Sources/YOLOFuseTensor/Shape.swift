/// The dimensions of a dense tensor, outermost first (row-major, as ONNX defines them).
public struct Shape: Hashable, Sendable, CustomStringConvertible {
    public var dims: [Int]

    public init(_ dims: [Int]) { self.dims = dims }

    public var rank: Int { dims.count }
    public var elementCount: Int { dims.reduce(1, *) }
    public subscript(axis: Int) -> Int { dims[axis] }

    /// Row-major strides in elements.
    public var strides: [Int] {
        var result = [Int](repeating: 1, count: dims.count)
        var running = 1
        for axis in stride(from: dims.count - 1, through: 0, by: -1) {
            result[axis] = running
            running *= dims[axis]
        }
        return result
    }

    public var description: String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }
}
