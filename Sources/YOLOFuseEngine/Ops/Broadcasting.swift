internal import YOLOFuseONNX
import YOLOFuseTensor

/// NumPy-style multidirectional broadcasting, as ONNX element-wise ops define it.
enum Broadcasting {
    static func shape(_ shapes: [Shape]) -> Shape? {
        let rank = shapes.map(\.rank).max() ?? 0
        var dims = [Int](repeating: 1, count: rank)
        for shape in shapes {
            let offset = rank - shape.rank
            for (axis, dim) in shape.dims.enumerated() {
                let current = dims[offset + axis]
                if current == 1 { dims[offset + axis] = dim } else if dim != 1 && dim != current { return nil }
            }
        }
        return Shape(dims)
    }

    /// Element strides of `shape` read as `output` (0 along broadcast axes).
    static func strides(of shape: Shape, in output: Shape) -> [Int] {
        let offset = output.rank - shape.rank
        let own = shape.strides
        return (0..<output.rank).map { axis in
            axis < offset ? 0 : (shape.dims[axis - offset] == 1 ? 0 : own[axis - offset])
        }
    }

    /// Calls `body(outputIndex, sourceOffsets)` for every output element in row-major order.
    static func forEach(output: Shape, inputs: [Shape], _ body: (Int, [Int]) -> Void) {
        let count = output.elementCount
        if count == 0 { return }
        let strides = inputs.map { Self.strides(of: $0, in: output) }
        var index = [Int](repeating: 0, count: output.rank)
        var offsets = [Int](repeating: 0, count: inputs.count)
        for linear in 0..<count {
            body(linear, offsets)
            var axis = output.rank - 1
            while axis >= 0 {
                index[axis] += 1
                for k in offsets.indices { offsets[k] += strides[k][axis] }
                if index[axis] < output.dims[axis] { break }
                for k in offsets.indices { offsets[k] -= strides[k][axis] * index[axis] }
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
