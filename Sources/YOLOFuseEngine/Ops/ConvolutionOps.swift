internal import YOLOFuseONNX
import YOLOFuseTensor

/// Window geometry shared by Conv and MaxPool (2-D, NCHW), with ONNX defaults and auto_pad resolved.
struct Window2D: Hashable {
    var kernel: [Int]
    var strides: [Int]
    var dilations: [Int]
    /// top, left, bottom, right
    var pads: [Int]
    var ceilMode = false

    init(node: Node, kernel: [Int]) throws {
        let attributes = Attributes(node: node)
        guard kernel.count == 2 else { throw GraphError(node: node, "only 2-D windows are supported, kernel is \(kernel)") }
        self.kernel = kernel
        strides = try attributes.ints("strides") ?? [1, 1]
        dilations = try attributes.ints("dilations") ?? [1, 1]
        pads = try attributes.ints("pads") ?? [0, 0, 0, 0]
        let autoPad = try attributes.string("auto_pad", default: "NOTSET")
        guard strides.count == 2, dilations.count == 2, pads.count == 4, strides.allSatisfy({ $0 > 0 }), dilations.allSatisfy({ $0 > 0 }) else {
            throw GraphError(node: node, "strides, dilations or pads do not describe a 2-D window")
        }
        guard ["NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"].contains(autoPad) else {
            throw GraphError(node: node, "auto_pad '\(autoPad)' is unsupported")
        }
        if autoPad == "VALID" { pads = [0, 0, 0, 0] }
        self.autoPad = autoPad
    }

    private var autoPad: String

    /// Output spatial size for an input of `height` x `width`; SAME padding is resolved here.
    mutating func outputSize(height: Int, width: Int) -> (Int, Int)? {
        let inputs = [height, width]
        var out = [0, 0]
        for axis in 0..<2 {
            let extent = dilations[axis] * (kernel[axis] - 1) + 1
            if autoPad.hasPrefix("SAME") {
                out[axis] = (inputs[axis] + strides[axis] - 1) / strides[axis]
                let total = Swift.max(0, (out[axis] - 1) * strides[axis] + extent - inputs[axis])
                let small = total / 2, large = total - small
                pads[axis] = autoPad == "SAME_UPPER" ? small : large
                pads[axis + 2] = autoPad == "SAME_UPPER" ? large : small
            } else {
                let span = inputs[axis] + pads[axis] + pads[axis + 2] - extent
                if span < 0 { return nil }
                out[axis] = (ceilMode ? (span + strides[axis] - 1) / strides[axis] : span / strides[axis]) + 1
                // ceil_mode must not start a window entirely in the end padding.
                if ceilMode && (out[axis] - 1) * strides[axis] >= inputs[axis] + pads[axis] { out[axis] -= 1 }
            }
        }
        return (out[0], out[1])
    }
}

/// Conv (2-D, grouped, with optional bias).
struct ConvOp: Operator {
    let node: Node
    let kernelAttribute: [Int]?
    let group: Int

    init(node: Node, opset: Int) throws {
        self.node = node
        let attributes = Attributes(node: node)
        kernelAttribute = try attributes.ints("kernel_shape")
        group = try attributes.int("group", default: 1)
        try attributes.allow(["kernel_shape", "group", "strides", "dilations", "pads", "auto_pad"])
    }

    /// The window with auto_pad resolved for `input`, and the output type.
    func geometry(_ input: Shape, weight: Shape) throws -> (Window2D, Shape) {
        guard input.rank == 4, weight.rank == 4 else {
            throw GraphError(node: node, "only 2-D convolution on NCHW input is supported (input \(input), weight \(weight))")
        }
        var window = try Window2D(node: node, kernel: kernelAttribute ?? Array(weight.dims[2...]))
        guard window.kernel == Array(weight.dims[2...]) else { throw GraphError(node: node, "kernel_shape disagrees with the weight") }
        guard group > 0, input.dims[1] == weight.dims[1] * group, weight.dims[0] % group == 0 else {
            throw GraphError(node: node, "input has \(input.dims[1]) channels, weight \(weight) with group \(group) expects \(weight.dims[1] * group)")
        }
        guard let (oh, ow) = window.outputSize(height: input.dims[2], width: input.dims[3]) else {
            throw GraphError(node: node, "input \(input) is smaller than the kernel")
        }
        return (window, Shape([input.dims[0], weight.dims[0], oh, ow]))
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
        let input = try requiredInput(inputs, 0, node: node), weight = try requiredInput(inputs, 1, node: node)
        if inputs.count > 2, let bias = inputs[2], bias.shape != Shape([weight.shape.dims[0]]) {
            throw GraphError(node: node, "bias \(bias.shape) does not match \(weight.shape.dims[0]) output channels")
        }
        return [TensorType(.float32, try geometry(input.shape, weight: weight.shape).1)]
    }

    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor] {
        let input = inputs[0]!, weight = inputs[1]!
        let bias = inputs.count > 2 ? inputs[2] : nil
        let (window, outShape) = try geometry(input.shape, weight: weight.shape)
        let output = Tensor(zeros: .float32, shape: outShape)
        let x = input.floatPointer(), w = weight.floatPointer(), y = output.floatPointer()
        let b = bias?.floatPointer()
        let (n, c, h, wd) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (k, oh, ow) = (outShape[1], outShape[2], outShape[3])
        let (kh, kw) = (window.kernel[0], window.kernel[1])
        let cg = c / group, kg = k / group
        for batch in 0..<n {
            for oc in 0..<k {
                let g = oc / kg
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var sum: Float = b?[oc] ?? 0
                        for ic in 0..<cg {
                            let channel = g * cg + ic
                            for ky in 0..<kh {
                                let iy = oy * window.strides[0] - window.pads[0] + ky * window.dilations[0]
                                if iy < 0 || iy >= h { continue }
                                for kx in 0..<kw {
                                    let ix = ox * window.strides[1] - window.pads[1] + kx * window.dilations[1]
                                    if ix < 0 || ix >= wd { continue }
                                    sum += x[((batch * c + channel) * h + iy) * wd + ix] * w[((oc * cg + ic) * kh + ky) * kw + kx]
                                }
                            }
                        }
                        y[((batch * k + oc) * oh + oy) * ow + ox] = sum
                    }
                }
            }
        }
        return [output]
    }
}

struct MaxPoolOp: Operator {
    let node: Node
    let window: Window2D

    init(node: Node, opset: Int) throws {
        self.node = node
        let attributes = Attributes(node: node)
        guard let kernel = try attributes.ints("kernel_shape") else { throw GraphError(node: node, "needs kernel_shape") }
        var window = try Window2D(node: node, kernel: kernel)
        window.ceilMode = try attributes.int("ceil_mode", default: 0) != 0
        self.window = window
        if try attributes.int("storage_order", default: 0) != 0 { throw GraphError(node: node, "storage_order 1 is unsupported") }
        if node.outputs.count > 1, !node.outputs[1].isEmpty { throw GraphError(node: node, "the Indices output is unsupported") }
        try attributes.allow(["kernel_shape", "strides", "dilations", "pads", "auto_pad", "ceil_mode", "storage_order"])
    }

    func geometry(_ input: Shape) throws -> (Window2D, Shape) {
        guard input.rank == 4 else { throw GraphError(node: node, "only 2-D pooling on NCHW input is supported") }
        var resolved = window
        guard let (oh, ow) = resolved.outputSize(height: input.dims[2], width: input.dims[3]) else {
            throw GraphError(node: node, "input \(input) is smaller than the window")
        }
        return (resolved, Shape([input.dims[0], input.dims[1], oh, ow]))
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
        [TensorType(.float32, try geometry(try requiredInput(inputs, 0, node: node).shape).1)]
    }

    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor] {
        let input = inputs[0]!
        let (window, outShape) = try geometry(input.shape)
        let output = Tensor(zeros: .float32, shape: outShape)
        let x = input.floatPointer(), y = output.floatPointer()
        let (planes, h, w) = (input.shape[0] * input.shape[1], input.shape[2], input.shape[3])
        let (oh, ow) = (outShape[2], outShape[3])
        for p in 0..<planes {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var best = -Float.infinity
                    for ky in 0..<window.kernel[0] {
                        let iy = oy * window.strides[0] - window.pads[0] + ky * window.dilations[0]
                        if iy < 0 || iy >= h { continue }
                        for kx in 0..<window.kernel[1] {
                            let ix = ox * window.strides[1] - window.pads[1] + kx * window.dilations[1]
                            if ix < 0 || ix >= w { continue }
                            best = Swift.max(best, x[(p * h + iy) * w + ix])
                        }
                    }
                    y[(p * oh + oy) * ow + ox] = best
                }
            }
        }
        return [output]
    }
}

/// BatchNormalization in inference mode (exports usually fold it into Conv; unfused models still run).
struct BatchNormalizationOp: Operator {
    let node: Node
    let epsilon: Float

    init(node: Node, opset: Int) throws {
        self.node = node
        let attributes = Attributes(node: node)
        epsilon = try attributes.float("epsilon", default: 1e-5)
        if try attributes.int("training_mode", default: 0) != 0 { throw GraphError(node: node, "training_mode is unsupported") }
        try attributes.allow(["epsilon", "momentum", "training_mode", "spatial"])
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
        let input = try requiredInput(inputs, 0, node: node)
        guard input.shape.rank >= 2 else { throw GraphError(node: node, "input must have a channel axis") }
        for index in 1...4 where try requiredInput(inputs, index, node: node).shape.elementCount != input.shape.dims[1] {
            throw GraphError(node: node, "parameter \(index) does not have \(input.shape.dims[1]) channels")
        }
        return [input]
    }

    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor] {
        let input = inputs[0]!
        let (scale, bias, mean, variance) = (inputs[1]!.floats, inputs[2]!.floats, inputs[3]!.floats, inputs[4]!.floats)
        let output = Tensor(zeros: .float32, shape: input.shape)
        let x = input.floatPointer(), y = output.floatPointer()
        let channels = input.shape.dims[1], inner = input.shape.dims[2...].reduce(1, *)
        for i in 0..<input.elementCount {
            let c = (i / inner) % channels
            y[i] = (x[i] - mean[c]) / (variance[c] + epsilon).squareRoot() * scale[c] + bias[c]
        }
        return [output]
    }
}
