internal import YOLOFuseONNX
import YOLOFuseTensor
import Foundation

/// MatMul with NumPy semantics (batch dimensions broadcast; rank >= 2 on both sides).
struct MatMulOp: Operator {
    let node: Node
    init(node: Node, opset: Int) throws { self.node = node; try Attributes(node: node).allow([]) }

    func shapes(_ a: Shape, _ b: Shape) throws -> (batch: Shape, m: Int, k: Int, n: Int) {
        guard a.rank >= 2, b.rank >= 2 else { throw GraphError(node: node, "only rank >= 2 operands are supported (\(a), \(b))") }
        let (m, k, k2, n) = (a.dims[a.rank - 2], a.dims[a.rank - 1], b.dims[b.rank - 2], b.dims[b.rank - 1])
        guard k == k2, let batch = Broadcasting.shape([Shape(Array(a.dims.dropLast(2))), Shape(Array(b.dims.dropLast(2)))]) else {
            throw GraphError(node: node, "cannot multiply \(a) by \(b)")
        }
        return (batch, m, k, n)
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
        let a = try requiredInput(inputs, 0, node: node), b = try requiredInput(inputs, 1, node: node)
        let s = try shapes(a.shape, b.shape)
        return [TensorType(.float32, Shape(s.batch.dims + [s.m, s.n]))]
    }

    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor] {
        let a = inputs[0]!, b = inputs[1]!
        let s = try shapes(a.shape, b.shape)
        let output = Tensor(zeros: .float32, shape: Shape(s.batch.dims + [s.m, s.n]))
        let x = a.floatPointer(), w = b.floatPointer(), y = output.floatPointer()
        let aBatch = Shape(Array(a.shape.dims.dropLast(2))), bBatch = Shape(Array(b.shape.dims.dropLast(2)))
        Broadcasting.forEach(output: s.batch, inputs: [aBatch, bBatch]) { index, offsets in
            let xa = x + offsets[0] * s.m * s.k, wb = w + offsets[1] * s.k * s.n, yo = y + index * s.m * s.n
            for i in 0..<s.m {
                for j in 0..<s.n {
                    var sum: Float = 0
                    for p in 0..<s.k { sum += xa[i * s.k + p] * wb[p * s.n + j] }
                    yo[i * s.n + j] = sum
                }
            }
        }
        return [output]
    }
}

/// Softmax: over one axis from opset 13, over the flattened trailing block [axis, rank) before it.
struct SoftmaxOp: Operator {
    let node: Node
    let opset: Int
    let axis: Int

    init(node: Node, opset: Int) throws {
        self.node = node
        self.opset = opset
        let attributes = Attributes(node: node)
        axis = try attributes.int("axis", default: opset >= 13 ? -1 : 1)
        try attributes.allow(["axis"])
    }

    /// (outer, length, inner): softmax runs over `length` elements spaced `inner` apart.
    func layout(_ shape: Shape) throws -> (Int, Int, Int) {
        let a = try normalizedAxis(axis, rank: shape.rank, node: node)
        if opset >= 13 {
            return (shape.dims[..<a].reduce(1, *), shape.dims[a], shape.dims[(a + 1)...].reduce(1, *))
        }
        return (shape.dims[..<a].reduce(1, *), shape.dims[a...].reduce(1, *), 1)
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
        let input = try requiredInput(inputs, 0, node: node)
        _ = try layout(input.shape)
        return [input]
    }

    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor] {
        let input = inputs[0]!
        let (outer, length, inner) = try layout(input.shape)
        let output = Tensor(zeros: .float32, shape: input.shape)
        let x = input.floatPointer(), y = output.floatPointer()
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * length * inner + i
                var peak = -Float.infinity
                for j in 0..<length { peak = Swift.max(peak, x[base + j * inner]) }
                var total: Float = 0
                for j in 0..<length { let e = Foundation.exp(x[base + j * inner] - peak); y[base + j * inner] = e; total += e }
                for j in 0..<length { y[base + j * inner] /= total }
            }
        }
        return [output]
    }
}
