internal import CDNNL
internal import CKernels
import Foundation
internal import YOLOFuseONNX
import YOLOFuseTensor

/// Some channels of a planar (NCHW) value: all of it, or a channel range read in place (a Split or Slice output,
/// or one part of a concatenation that is never copied together).
struct PlanarSegment: Equatable {
    /// The stored value (its root).
    var value: String
    var firstChannel: Int
    var channels: Int
    /// Channels of the stored value, which set the distance between images.
    var storedChannels: Int
}

/// A convolution with few channels on planar maps, by our own kernel (`Sources/CKernels/planar_convolution.c`).
/// oneDNN keeps channels innermost and vectorises over them, so 3 to 16 channels leave most of each vector empty
/// (mid fusion's stems and first C3k2 blocks ran at about 36 to 46 GFLOP/s); vectorising along the row
/// instead fills every lane, and planar maps make a Split or a channel Concat a matter of pointers.
struct PlanarConvolution {
    let images: Int
    let inHeight: Int, inWidth: Int
    let outChannels: Int, outHeight: Int, outWidth: Int
    let kernelHeight: Int, kernelWidth: Int, stride: Int, padTop: Int, padLeft: Int
    let packedWeights: Tensor
    let bias: Tensor?
    let swish: Bool
    /// Output (and residual) NHWC, for readers that want it; otherwise planar.
    let outputNHWC: Bool

    /// Where a segment's bytes are during a run.
    struct Source {
        let location: ValueLocation
        let segment: PlanarSegment
    }

    func run(inputs: [(pointer: UnsafePointer<Float>, segment: PlanarSegment)], residual: (pointer: UnsafePointer<Float>, segment: PlanarSegment)?,
             output: UnsafeMutablePointer<Float>) {
        let inPlane = inHeight * inWidth, outPlane = outHeight * outWidth
        let segments = inputs.map { input in
            yf_planar_segment(base: input.pointer + input.segment.firstChannel * inPlane, channels: input.segment.channels,
                              image_stride: input.segment.storedChannels * inPlane)
        }
        let rows = images * outHeight
        let work = rows * outWidth * outChannels * segments.reduce(0) { $0 + $1.channels } * kernelHeight * kernelWidth
        packedWeights.storage.pointer.withMemoryRebound(to: Float.self, capacity: packedWeights.elementCount) { weights in
            segments.withUnsafeBufferPointer { segmentBuffer in
                var params = yf_planar_conv_params(
                    segments: segmentBuffer.baseAddress, segment_count: segments.count, in_height: inHeight, in_width: inWidth,
                    out_channels: outChannels, out_height: outHeight, out_width: outWidth, kernel_height: kernelHeight,
                    kernel_width: kernelWidth, stride: stride, pad_top: padTop, pad_left: padLeft, weights: weights,
                    bias: bias.map { UnsafePointer($0.storage.pointer.assumingMemoryBound(to: Float.self)) }, swish: swish ? 1 : 0,
                    output: output, output_image_stride: outChannels * outPlane, output_nhwc: outputNHWC ? 1 : 0,
                    residual: residual.map { $0.pointer + $0.segment.firstChannel * outPlane },
                    residual_image_stride: (residual?.segment.storedChannels ?? outChannels) * outPlane)
                // Below about 2^18 multiply-adds the hand-off to the team costs more than it saves.
                guard work >= 1 << 18 else { yf_planar_conv(&params, 0, rows); return }
                withUnsafePointer(to: &params) { shared in
                    OpenMPTeam.parallel { thread, threadCount in
                        yf_planar_conv(shared, rows * thread / threadCount, rows * (thread + 1) / threadCount)
                    }
                }
            }
        }
    }
}

extension DNNLCompiler {
    /// YOLOFUSE_PLANAR=0 leaves every convolution to oneDNN (for comparisons).
    static let planarEnabled = ProcessInfo.processInfo.environment["YOLOFUSE_PLANAR"] != "0"
    /// The kernel is written for AVX-512; elsewhere oneDNN's kernels are the better choice.
    static let planarAvailable = yf_planar_supported() != 0

    /// The rule: a 2-D convolution with one group, no dilation, the same stride 1 or 2 both ways, at most 32
    /// output channels and at most 144 (16 x 3 x 3) input channels times kernel taps. Beyond that oneDNN's
    /// kernels fill their vectors and win.
    func planarQualifies(_ planned: PlannedNode) -> Bool {
        guard Self.planarEnabled, Self.planarAvailable, planned.node.opType == "Conv", let op = planned.op as? ConvOp,
              op.group == 1, planned.node.inputs.count < 3 || planned.node.inputs[2].isEmpty || constants[planned.node.inputs[2]] != nil,
              let weight = constants[planned.node.inputs[1]], weight.dataType == .float32, weight.shape.rank == 4,
              let inType = types[planned.node.inputs[0]], inType.dataType == .float32, inType.shape.rank == 4,
              let (window, outShape) = try? op.geometry(inType.shape, weight: weight.shape) else { return false }
        let (kernelHeight, kernelWidth) = (weight.shape.dims[2], weight.shape.dims[3])
        return window.dilations == [1, 1] && window.strides[0] == window.strides[1] && (1...2).contains(window.strides[0])
            && kernelWidth <= Int(YF_PLANAR_MAX_KERNEL) && outShape.dims[1] <= 32
            && inType.shape.dims[1] * kernelHeight * kernelWidth <= 144
    }

    /// Which convolutions run planar and which values are planar, decided before lowering in one pass over the
    /// nodes: graph inputs are planar; so are channel slices and channel concatenations of planar values (kept
    /// as segments, not copied), and the outputs (after SiLU and residual) of qualifying convolutions that read
    /// a planar value.
    func planPlanar() -> (convolutions: Set<Int>, planar: Set<String>) {
        var planar = Set(graph.inputs.filter { $0.type.shape.rank == 4 && $0.type.dataType == .float32 }.map(\.name))
        var convolutions = Set<Int>()
        for (index, planned) in graph.nodes.enumerated() {
            let node = planned.node
            switch node.opType {
            case "Split", "Slice":
                if planar.contains(node.inputs[0]), channelRanges(planned) != nil { planar.formUnion(node.outputs.filter { !$0.isEmpty }) }
            case "Concat" where planned.outputTypes[0].shape.rank == 4:
                let inputs = node.inputs.filter { !$0.isEmpty }
                if let op = planned.op as? ConcatOp, (try? normalizedAxis(op.axis, rank: 4, node: node)) == 1, inputs.allSatisfy(planar.contains) {
                    planar.insert(node.outputs[0])
                }
            case "Conv" where planar.contains(node.inputs[0]) && !node.inputs.dropFirst().contains(node.inputs[0]):
                guard planarQualifies(planned) else { continue }
                convolutions.insert(index)
                planar.insert(fusedEpilogue(ofConvolution: index, outputShape: planned.outputTypes[0].shape).output)
            default:
                break
            }
        }
        return (convolutions, planar)
    }

    /// The channel range of each output of a Split or unit-step Slice along axis 1 of a 4-D value (nothing cut
    /// along any other axis), or nil.
    func channelRanges(_ planned: PlannedNode) -> [(first: Int, count: Int)]? {
        guard let inType = types[planned.node.inputs[0]] ?? graph.types[planned.node.inputs[0]], inType.shape.rank == 4 else { return nil }
        if let split = planned.op as? SplitOp {
            guard (try? normalizedAxis(split.axis, rank: 4, node: planned.node)) == 1,
                  let sizes = try? split.sizes(inType.shape, constants: planned.constants) else { return nil }
            var first = 0
            return sizes.map { size in defer { first += size }; return (first, size) }
        }
        guard let slice = planned.op as? SliceOp, let view = try? slice.resolve(inType.shape, constants: planned.constants),
              view.strides == inType.shape.strides, view.offset >= 0 else { return nil }
        let plane = inType.shape.dims[2] * inType.shape.dims[3]
        let dims = view.shape.dims, full = inType.shape.dims
        guard dims[0] == full[0], dims[2] == full[2], dims[3] == full[3], view.offset % plane == 0, view.offset / plane < full[1] else { return nil }
        return [(view.offset / plane, dims[1])]
    }

    /// The stored segments that make up planar value `name`.
    func planarSegments(_ name: String) -> [PlanarSegment] {
        if let segments = planarViews[name] { return segments }
        let channels = types[name]!.shape.dims[1]
        return [PlanarSegment(value: root(name), firstChannel: 0, channels: channels, storedChannels: channels)]
    }

    /// Records the outputs of a channel Split or Slice of a planar value as ranges of it, with no step.
    mutating func lowerPlanarSlices(_ planned: PlannedNode) -> Bool {
        let input = planned.node.inputs[0]
        guard planarPlan.planar.contains(input), layout(input) == .plain, let ranges = channelRanges(planned),
              let parent = planarSegments(input).only else { return false }
        let inType = types[input]!
        for (name, range) in zip(planned.node.outputs, ranges) where !name.isEmpty {
            var dims = inType.shape.dims
            dims[1] = range.count
            types[name] = TensorType(.float32, Shape(dims))
            layouts[name] = .plain
            planarViews[name] = [PlanarSegment(value: parent.value, firstChannel: parent.firstChannel + range.first,
                                               channels: range.count, storedChannels: parent.storedChannels)]
        }
        return true
    }

    /// Records a channel Concat of planar values as the list of their segments, with no step.
    mutating func lowerPlanarConcat(_ planned: PlannedNode) -> Bool {
        let out = planned.node.outputs[0]
        let inputs = planned.node.inputs.filter { !$0.isEmpty }
        guard planarPlan.planar.contains(out), inputs.allSatisfy({ layout($0) == .plain }) else { return false }
        var segments: [PlanarSegment] = []
        for segment in inputs.flatMap(planarSegments) {
            // Neighbouring ranges of one stored value (a C3k2's two split halves) read as one.
            if let last = segments.last, last.value == segment.value, last.firstChannel + last.channels == segment.firstChannel {
                segments[segments.count - 1].channels += segment.channels
            } else {
                segments.append(segment)
            }
        }
        types[out] = planned.outputTypes[0]
        layouts[out] = .plain
        planarViews[out] = segments
        return true
    }

    /// Copies a planar view's segments into a value of its own, for a reader that is not a planar convolution.
    mutating func materializePlanarView(_ name: String) {
        guard let segments = planarViews.removeValue(forKey: name) else { return }
        let shape = types[name]!.shape
        let plane = shape.dims[2] * shape.dims[3] * 4
        let copy = ConcatCopy(chunkBytes: segments.map { $0.channels * plane }, rows: shape.dims[0],
                              sourceOffsets: segments.map { $0.firstChannel * plane }, sourceRowBytes: segments.map { $0.storedChannels * plane })
        steps.append(.concat(copy, inputs: segments.map(\.value), output: name))
    }

    /// Lowers convolution `index`, which the plan runs planar, with its SiLU and residual folded in.
    mutating func lowerPlanarConv(_ planned: PlannedNode, index: Int, op: ConvOp, weight: Tensor, bias: String?, window: Window2D,
                                  output outShape: Shape, swish: Bool, residual: String?, into output: String) throws {
        let inType = types[planned.node.inputs[0]]!
        let (outChannels, inChannels) = (weight.shape.dims[0], weight.shape.dims[1])
        let (kernelHeight, kernelWidth) = (weight.shape.dims[2], weight.shape.dims[3])
        let packed = Tensor(zeros: .float32, shape: Shape([yf_planar_packed_count(outChannels, inChannels, kernelHeight, kernelWidth)]))
        weight.storage.pointer.withMemoryRebound(to: Float.self, capacity: weight.elementCount) { source in
            packed.storage.pointer.withMemoryRebound(to: Float.self, capacity: packed.elementCount) { target in
                yf_planar_pack_weights(source, target, outChannels, inChannels, kernelHeight, kernelWidth)
            }
        }
        // Planar output where a planar step reads it or the residual is a planar range; NHWC where only
        // oneDNN's kernels do.
        let residualIsView = residual.map { planarViews[$0] != nil } ?? false
        let outputLayout: Layout = residualIsView || hasPlanarReader(output) || preference.layout(for: output) != .nhwc ? .plain : .nhwc
        var residualSegment: PlanarSegment?
        if let residual {
            // A residual made of several ranges is copied out whole by `ensure`.
            if outputLayout == .plain, layout(residual) == .plain, let segment = planarSegments(residual).only {
                residualSegment = segment
            } else {
                let stored = root(try ensure(residual, outputLayout))
                residualSegment = PlanarSegment(value: stored, firstChannel: 0, channels: outChannels, storedChannels: outChannels)
            }
        }
        let convolution = PlanarConvolution(
            images: inType.shape.dims[0], inHeight: inType.shape.dims[2], inWidth: inType.shape.dims[3],
            outChannels: outChannels, outHeight: outShape.dims[2], outWidth: outShape.dims[3],
            kernelHeight: kernelHeight, kernelWidth: kernelWidth, stride: window.strides[0], padTop: window.pads[0], padLeft: window.pads[1],
            packedWeights: packed, bias: bias.flatMap { constants[$0] }, swish: swish, outputNHWC: outputLayout == .nhwc)
        types[output] = TensorType(.float32, outShape)
        layouts[output] = outputLayout
        steps.append(.planarConv(convolution, inputs: planarSegments(planned.node.inputs[0]), residual: residualSegment, output: output))
    }

    /// Whether a step that reads planar values (a planar convolution, a planar slice or concatenation) reads `value`.
    func hasPlanarReader(_ value: String) -> Bool {
        graph.outputs.contains(value) || graph.nodes.enumerated().contains { index, planned in
            guard planned.node.inputs.contains(value) else { return false }
            if planarPlan.convolutions.contains(index) { return planned.node.inputs[0] == value }
            return planned.node.outputs.contains { planarPlan.planar.contains($0) }
        }
    }
}

extension Array {
    /// The element of a one-element array.
    var only: Element? { count == 1 ? first : nil }
}
