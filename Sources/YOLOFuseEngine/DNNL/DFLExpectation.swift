internal import CKernels
internal import YOLOFuseONNX
import YOLOFuseTensor

/// DFL decoding of a YOLOv8 / YOLO11 head in one pass: each box side's distance is the expectation of a softmax
/// over `bins` distance bins. Exports spell it Reshape, Transpose, Softmax over the bins, and a 1x1 Conv with
/// one output channel; lowered op by op that is a transpose, a softmax between two reorders (its axis is not
/// innermost) and a convolution, four passes over the head's largest tensor.
struct DFLExpectation {
    /// Images times box sides.
    let rows: Int
    let bins: Int
    let anchors: Int
    /// The Conv's weight per bin (the bin index in exports) and its bias.
    let weights: [Float]
    let bias: Float

    /// `input` is [rows, bins, anchors] (the Transpose's input), `output` [rows, anchors] (the Conv's output).
    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        weights.withUnsafeBufferPointer { weights in
            guard rows * bins * anchors >= 1 << 15 else {
                yf_dfl_expectation(input, output, rows, bins, anchors, 0, anchors, weights.baseAddress, bias)
                return
            }
            // Threads take anchor ranges in whole 16-lane blocks.
            let blocks = (anchors + 15) / 16
            OpenMPTeam.parallel { thread, threadCount in
                let begin = min(anchors, blocks * thread / threadCount * 16)
                let end = min(anchors, blocks * (thread + 1) / threadCount * 16)
                yf_dfl_expectation(input, output, rows, bins, anchors, begin, end, weights.baseAddress, bias)
            }
        }
    }
}

extension DNNLCompiler {
    /// Lowers a Transpose together with the Softmax and Conv after it when they are DFL decoding
    /// exactly (see `DFLExpectation`). Returns false, lowering nothing, for any other shape of graph.
    mutating func lowerDFLExpectation(_ planned: PlannedNode) throws -> Bool {
        let transpose = planned.node
        guard let op = planned.op as? TransposeOp, let inType = types[transpose.inputs[0]], inType.dataType == .float32,
              inType.shape.rank == 4, try op.permutation(rank: 4) == [0, 2, 1, 3] else { return false }
        let dims = inType.shape.dims  // [images, sides, bins, anchors]
        guard let softmaxIndex = onlyReader(of: transpose.outputs[0]), let softmax = graph.nodes[softmaxIndex].op as? SoftmaxOp,
              try softmax.layout(Shape([dims[0], dims[2], dims[1], dims[3]])) == (dims[0], dims[2], dims[1] * dims[3]) else { return false }
        let softmaxOutput = graph.nodes[softmaxIndex].node.outputs[0]
        guard let convIndex = onlyReader(of: softmaxOutput), let conv = graph.nodes[convIndex].op as? ConvOp, conv.group == 1 else { return false }
        let convNode = graph.nodes[convIndex].node
        // A 1x1 kernel with an output the size of its input: no stride, no padding.
        guard convNode.inputs[0] == softmaxOutput, let weight = constants[convNode.inputs[1]], weight.dataType == .float32,
              weight.shape.dims == [1, dims[2], 1, 1],
              graph.nodes[convIndex].outputTypes.first?.shape.dims == [dims[0], 1, dims[1], dims[3]] else { return false }
        var bias: Float = 0
        if convNode.inputs.count > 2 && !convNode.inputs[2].isEmpty {
            guard let tensor = constants[convNode.inputs[2]], tensor.dataType == .float32, tensor.elementCount == 1 else { return false }
            bias = tensor.floats[0]
        }
        let input = root(try ensure(transpose.inputs[0], .plain))
        let output = convNode.outputs[0]
        types[output] = graph.nodes[convIndex].outputTypes[0]
        layouts[output] = .plain
        skipped.formUnion([softmaxIndex, convIndex])
        let kernel = DFLExpectation(rows: dims[0] * dims[1], bins: dims[2], anchors: dims[3], weights: weight.floats, bias: bias)
        steps.append(.dfl(kernel, input: input, output: output))
        return true
    }
}
