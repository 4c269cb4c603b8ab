internal import CDNNL
internal import CKernels
import Foundation
internal import YOLOFuseONNX
import YOLOFuseTensor

/// The epilogue of a Winograd convolution: oneDNN's Winograd kernels write nChw16c and take no SiLU or binary
/// post-op, so one pass applies the SiLU and the residual Add, and moves the result to NHWC unless every reader
/// is another Winograd convolution (which reads nChw16c as it is).
struct WinogradEpilogue {
    let images: Int
    let channels: Int
    /// Height times width.
    let pixels: Int
    let swish: Bool
    /// Output (and residual) in NHWC; otherwise nChw16c like the input.
    let toNHWC: Bool

    func run(blocked: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?) {
        let total = images * pixels
        guard total * channels >= 1 << 15 else {
            yf_winograd_epilogue(blocked, output, residual, channels, pixels, 0, total, swish ? 1 : 0, toNHWC ? 1 : 0)
            return
        }
        OpenMPTeam.parallel { thread, threadCount in
            yf_winograd_epilogue(blocked, output, residual, channels, pixels,
                                 total * thread / threadCount, total * (thread + 1) / threadCount, swish ? 1 : 0, toNHWC ? 1 : 0)
        }
    }
}

extension DNNLCompiler {
    /// YOLOFUSE_WINOGRAD=0 lowers every convolution as direct (for comparisons).
    static let winogradEnabled = ProcessInfo.processInfo.environment["YOLOFUSE_WINOGRAD"] != "0"

    /// Whether oneDNN has a Winograd kernel on this CPU (its kernels need AVX-512).
    static let winogradAvailable: Bool =
        (try? winogradPrimitive(input: Shape([1, 32, 8, 8]), output: Shape([1, 32, 8, 8]), weight: Shape([32, 32, 3, 3]),
                                withBias: false, padLeft: [1, 1], padRight: [1, 1])) != nil

    /// A Winograd convolution primitive on nChw16c, or nil where oneDNN has none for this shape; with the
    /// descriptors of its source, destination and bias.
    static func winogradPrimitive(input: Shape, output: Shape, weight: Shape, withBias: Bool, padLeft: [Int64], padRight: [Int64])
        throws -> (primitive: DNNLPrimitive, src: dnnl_memory_desc_t, dst: dnnl_memory_desc_t, bias: dnnl_memory_desc_t)? {
        var src = try memoryDescriptor(input, layout: .channelBlocks16)
        var dst = try memoryDescriptor(output, layout: .channelBlocks16)
        var weightsAny = dnnl_memory_desc_t()
        try dnnlCheck(dnnl_memory_desc_init_by_tag(&weightsAny, 4, weight.dims.map { Int64($0) }, dnnl_f32, dnnl_format_tag_any), "weights descriptor")
        var biasMD = try memoryDescriptor(Shape([output.dims[1]]))
        var descriptor = dnnl_convolution_desc_t()
        let status = withUnsafePointer(to: &biasMD) { biasPointer in
            dnnl_convolution_forward_desc_init(&descriptor, dnnl_forward_inference, dnnl_convolution_winograd, &src, &weightsAny,
                                               withBias ? biasPointer : nil, &dst, [1, 1], padLeft, padRight)
        }
        guard status == dnnl_success,
              let primitive = try? DNNLPrimitive(&descriptor, attributes: DNNLAttributes(), what: "Winograd convolution") else { return nil }
        return (primitive, src, dst, biasMD)
    }

    /// The rule for Winograd: 3x3, stride 1, no dilation, one group, 32 or more input and output channels in
    /// whole blocks of 16, and at least 256 output pixels over the batch unless both sides have 128 channels or
    /// more. It takes about half the time of a direct convolution there (F(2,3) and F(4,3) need 2.25x to 4x fewer
    /// multiplications), with results within about 1e-6 of it relative (`bench/dnnl_conv_probe.c`). Below 32
    /// channels the input reorder and the epilogue cost more than the algorithm saves; on one 10x10 map (a
    /// 320-pixel input's P5) its tiles are mostly padding and it only breaks even up to 64 channels.
    func winogradQualifies(_ op: ConvOp, weight: Shape, window: Window2D, input: Shape, output: Shape) -> Bool {
        let (inChannels, outChannels) = (input.dims[1], output.dims[1])
        let pixels = output.dims[0] * output.dims[2] * output.dims[3]
        return Self.winogradEnabled && Self.winogradAvailable && op.group == 1 && weight.rank == 4 && weight.dims[2...] == [3, 3]
            && window.strides == [1, 1] && window.dilations == [1, 1]
            && inChannels % 16 == 0 && outChannels % 16 == 0 && inChannels >= 32 && outChannels >= 32
            && (pixels >= 256 || min(inChannels, outChannels) >= 128)
    }

    /// Whether every reader of `value` is a convolution, after `index`, that will run as Winograd on it.
    func onlyWinogradReaders(of value: String, after index: Int) -> Bool {
        guard !graph.outputs.contains(value), let count = readers[value], count > 0 else { return false }
        let readerIndices = graph.nodes.indices.filter { graph.nodes[$0].node.inputs.contains(value) }
        return readerIndices.count == count && readerIndices.allSatisfy { reader in
            let node = graph.nodes[reader].node
            guard reader > index, let op = graph.nodes[reader].op as? ConvOp, node.inputs[0] == value,
                  !node.inputs.dropFirst().contains(value), let weight = constants[node.inputs[1]], weight.dataType == .float32,
                  let inType = types[value], let (window, outShape) = try? op.geometry(inType.shape, weight: weight.shape) else { return false }
            return winogradQualifies(op, weight: weight.shape, window: window, input: inType.shape, output: outShape)
        }
    }

    /// Lowers a convolution with Winograd's algorithm when `winogradQualifies`. Returns false, adding nothing,
    /// when it does not, or when oneDNN declines this shape.
    /// - Parameter residual: the value the fused Add brings in, not yet in any particular layout.
    mutating func lowerWinogradConv(_ node: Node, index: Int, op: ConvOp, weight: Tensor, bias: String?, window: Window2D,
                                    input inShape: Shape, output outShape: Shape, swish: Bool, residual: String?,
                                    into output: String) throws -> Bool {
        guard weight.dataType == .float32,
              winogradQualifies(op, weight: weight.shape, window: window, input: inShape, output: outShape) else { return false }
        let (padLeft, padRight) = Self.padding(window, input: inShape, output: outShape)
        guard let (primitive, src, dst, biasMD) = try Self.winogradPrimitive(input: inShape, output: outShape, weight: weight.shape,
                                                                           withBias: bias != nil, padLeft: padLeft, padRight: padRight)
        else { return false }

        let blockedInput = root(try ensure(node.inputs[0], .channelBlocks16))
        let (packedMD, packedName) = try packWeights(weight, dims: weight.shape.dims, for: primitive, hint: node.inputs[1])
        let outputLayout: Layout = onlyWinogradReaders(of: output, after: index) ? .channelBlocks16 : .nhwc
        let needsEpilogue = swish || residual != nil || outputLayout == .nhwc
        let convOutput = needsEpilogue ? newValue(TensorType(.float32, outShape), layout: .channelBlocks16, hint: output) : output
        var args: [(argument: Int32, descriptor: dnnl_memory_desc_t, value: String)] = [
            (DNNLArgument.src, src, blockedInput), (DNNLArgument.weights, packedMD, packedName),
        ]
        if let bias { args.append((DNNLArgument.bias, biasMD, bias)) }
        args.append((DNNLArgument.dst, dst, convOutput))
        steps.append(.primitive(primitive, args))

        types[output] = TensorType(.float32, outShape)
        layouts[output] = outputLayout
        if needsEpilogue {
            let epilogue = WinogradEpilogue(images: outShape.dims[0], channels: outShape.dims[1], pixels: outShape.dims[2] * outShape.dims[3],
                                            swish: swish, toNHWC: outputLayout == .nhwc)
            let residualValue = try residual.map { root(try ensure($0, outputLayout)) }
            steps.append(.winogradEpilogue(epilogue, input: convOutput, residual: residualValue, output: output))
        }
        return true
    }
}
