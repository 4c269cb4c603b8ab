internal import CDNNL
internal import CKernels
import Foundation
internal import YOLOFuseONNX
import YOLOFuseTensor

/// The epilogue of a Winograd convolution: oneDNN's Winograd kernels write nChw16c and take no SiLU or binary
/// post-op, so one pass moves their output to NHWC, applying the SiLU and the residual Add on the way.
struct UnblockEpilogue {
    let images: Int
    let channels: Int
    /// Height times width.
    let pixels: Int
    let swish: Bool

    func run(blocked: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?) {
        let total = images * pixels
        guard total * channels >= 1 << 15 else {
            yf_unblock_epilogue(blocked, output, residual, channels, pixels, 0, total, swish ? 1 : 0)
            return
        }
        OpenMPTeam.parallel { thread, threadCount in
            yf_unblock_epilogue(blocked, output, residual, channels, pixels,
                                total * thread / threadCount, total * (thread + 1) / threadCount, swish ? 1 : 0)
        }
    }
}

extension DNNLCompiler {
    /// YOLOFUSE_WINOGRAD=0 lowers every convolution as direct (for comparisons).
    static let winogradEnabled = ProcessInfo.processInfo.environment["YOLOFUSE_WINOGRAD"] != "0"

    /// Lowers a 3x3, stride 1 convolution with Winograd's algorithm when it qualifies: about half the time of a
    /// direct convolution at 32 channels and up (F(2,3) and F(4,3) need 2.25x to 4x fewer multiplications), with
    /// results within about 1e-6 of it relative. Below 32 channels the input reorder and the epilogue cost more
    /// than the algorithm saves. Returns false, adding nothing, when the convolution does not qualify or oneDNN
    /// has no Winograd kernel for it (no AVX-512, say).
    mutating func lowerWinogradConv(_ node: Node, weight: Tensor, bias: String?, window: Window2D, input inShape: Shape,
                                    output outShape: Shape, swish: Bool, residual: String?, into output: String) throws -> Bool {
        let (inChannels, outChannels) = (inShape.dims[1], outShape.dims[1])
        guard Self.winogradEnabled, weight.dataType == .float32, weight.shape.dims[2...] == [3, 3],
              window.strides == [1, 1], window.dilations == [1, 1],
              inChannels % 16 == 0, outChannels % 16 == 0, inChannels >= 32, outChannels >= 32 else { return false }
        var src = try memoryDescriptor(inShape, layout: .channelBlocks16)
        var dst = try memoryDescriptor(outShape, layout: .channelBlocks16)
        var weightsAny = dnnl_memory_desc_t()
        try dnnlCheck(dnnl_memory_desc_init_by_tag(&weightsAny, 4, weight.shape.dims.map { Int64($0) }, dnnl_f32, dnnl_format_tag_any), "weights descriptor")
        var biasMD = try memoryDescriptor(Shape([outChannels]))
        let (padLeft, padRight) = Self.padding(window, input: inShape, output: outShape)
        var descriptor = dnnl_convolution_desc_t()
        let status = withUnsafePointer(to: &biasMD) { biasPointer in
            dnnl_convolution_forward_desc_init(&descriptor, dnnl_forward_inference, dnnl_convolution_winograd, &src, &weightsAny,
                                               bias == nil ? nil : biasPointer, &dst, [1, 1], padLeft, padRight)
        }
        guard status == dnnl_success,
              let primitive = try? DNNLPrimitive(&descriptor, attributes: DNNLAttributes(), what: "Winograd convolution \(node.label)")
        else { return false }

        let blockedInput = root(try ensure(node.inputs[0], .channelBlocks16))
        let (packedMD, packedName) = try packWeights(weight, dims: weight.shape.dims, for: primitive, hint: node.inputs[1])
        let blockedOutput = newValue(TensorType(.float32, outShape), layout: .channelBlocks16, hint: output)
        var args: [(argument: Int32, descriptor: dnnl_memory_desc_t, value: String)] = [
            (DNNLArgument.src, src, blockedInput), (DNNLArgument.weights, packedMD, packedName),
        ]
        if let bias { args.append((DNNLArgument.bias, biasMD, bias)) }
        args.append((DNNLArgument.dst, dst, blockedOutput))
        steps.append(.primitive(primitive, args))

        types[output] = TensorType(.float32, outShape)
        layouts[output] = .nhwc
        let epilogue = UnblockEpilogue(images: outShape.dims[0], channels: outChannels, pixels: outShape.dims[2] * outShape.dims[3], swish: swish)
        steps.append(.unblock(epilogue, input: blockedOutput, residual: residual, output: output))
        return true
    }
}
