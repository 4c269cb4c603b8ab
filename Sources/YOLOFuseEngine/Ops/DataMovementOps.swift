internal import YOLOFuseONNX
import YOLOFuseTensor

struct ConcatOp: Operator {
    let node: Node
    let axis: Int

    init(node: Node, opset: Int) throws {
        self.node = node
        let attributes = Attributes(node: node)
        axis = try attributes.int("axis")
        try attributes.allow(["axis"])
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
        let types = inputs.compactMap { $0 }
        guard let first = types.first else { throw GraphError(node: node, "has no inputs") }
        let a = try normalizedAxis(axis, rank: first.shape.rank, node: node)
        var dims = first.shape.dims
        dims[a] = 0
        for type in types {
            guard type.shape.rank == first.shape.rank, type.dataType == first.dataType,
                  (0..<first.shape.rank).allSatisfy({ $0 == a || type.shape.dims[$0] == first.shape.dims[$0] })
            else { throw GraphError(node: node, "inputs \(types.map(\.description)) cannot be concatenated on axis \(axis)") }
            dims[a] += type.shape.dims[a]
        }
        return [TensorType(first.dataType, Shape(dims))]
    }

    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor] {
        let tensors = inputs.compactMap { $0 }
        let outType = try outputTypes(tensors.map { TensorType($0.dataType, $0.shape) }, constants: [])[0]
        let a = try normalizedAxis(axis, rank: outType.shape.rank, node: node)
        let output = Tensor(zeros: outType.dataType, shape: outType.shape)
        let width = outType.dataType.byteWidth
        let outer = outType.shape.dims[..<a].reduce(1, *)
        let rowBytes = outType.shape.dims[a...].reduce(1, *) * width
        var column = 0
        for tensor in tensors {
            let chunk = tensor.shape.dims[a...].reduce(1, *) * width
            for o in 0..<outer {
                (output.storage.pointer + o * rowBytes + column).copyMemory(from: tensor.storage.pointer + o * chunk, byteCount: chunk)
            }
            column += chunk
        }
        return [output]
    }
}

struct SplitOp: Operator {
    let node: Node
    let opset: Int
    let axis: Int
    let splitAttribute: [Int]?
    let numOutputs: Int?

    init(node: Node, opset: Int) throws {
        self.node = node
        self.opset = opset
        let attributes = Attributes(node: node)
        axis = try attributes.int("axis", default: 0)
        splitAttribute = try attributes.ints("split")
        numOutputs = node.attributes["num_outputs"] == nil ? nil : try attributes.int("num_outputs")
        try attributes.allow(["axis", "split", "num_outputs"])
    }

    func sizes(_ input: Shape, constants: [Tensor?]) throws -> [Int] {
        let a = try normalizedAxis(axis, rank: input.rank, node: node)
        let total = input.dims[a]
        var sizes: [Int]
        if opset >= 13, node.inputs.count > 1, !node.inputs[1].isEmpty {
            sizes = try constantInput(constants, 1, node: node, what: "split sizes").int64s.map { Int($0) }
        } else if let splitAttribute {
            sizes = splitAttribute
        } else {
            let parts = numOutputs ?? node.outputs.count
            let chunk = (total + parts - 1) / parts
            sizes = (0..<parts).map { Swift.min(chunk, Swift.max(total - $0 * chunk, 0)) }
        }
        guard sizes.count == node.outputs.count, sizes.reduce(0, +) == total, sizes.allSatisfy({ $0 >= 0 }) else {
            throw GraphError(node: node, "split sizes \(sizes) do not divide axis \(a) of \(input) into \(node.outputs.count) outputs")
        }
        return sizes
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
        let input = try requiredInput(inputs, 0, node: node)
        let a = try normalizedAxis(axis, rank: input.shape.rank, node: node)
        return try sizes(input.shape, constants: constants).map { size in
            var dims = input.shape.dims
            dims[a] = size
            return TensorType(input.dataType, Shape(dims))
        }
    }

    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor] {
        let input = inputs[0]!
        let a = try normalizedAxis(axis, rank: input.shape.rank, node: node)
        var start = 0
        return try sizes(input.shape, constants: inputs).map { size in
            var dims = input.shape.dims
            dims[a] = size
            defer { start += size }
            return stridedCopy(input, offset: start * input.shape.strides[a], strides: input.shape.strides, shape: Shape(dims))
        }
    }
}

struct SliceOp: Operator {
    let node: Node
    let opset: Int
    let attributeStarts: [Int]?
    let attributeEnds: [Int]?
    let attributeAxes: [Int]?

    init(node: Node, opset: Int) throws {
        self.node = node
        self.opset = opset
        let attributes = Attributes(node: node)
        attributeStarts = try attributes.ints("starts")
        attributeEnds = try attributes.ints("ends")
        attributeAxes = try attributes.ints("axes")
        try attributes.allow(opset < 10 ? ["starts", "ends", "axes"] : [])
    }

    /// Per-axis start, step and count of the slice, resolved against the input shape.
    func resolve(_ input: Shape, constants: [Tensor?]) throws -> (offset: Int, strides: [Int], shape: Shape) {
        let starts: [Int], ends: [Int], axes: [Int], steps: [Int]
        if opset < 10 {
            guard let s = attributeStarts, let e = attributeEnds else { throw GraphError(node: node, "needs starts and ends") }
            starts = s; ends = e; axes = attributeAxes ?? Array(0..<s.count); steps = Array(repeating: 1, count: s.count)
        } else {
            func clampedInts(_ index: Int, _ what: String) throws -> [Int] {
                try constantInput(constants, index, node: node, what: what).int64s.map { Int(clamping: $0) }
            }
            starts = try clampedInts(1, "starts")
            ends = try clampedInts(2, "ends")
            axes = node.inputs.count > 3 && !node.inputs[3].isEmpty ? try clampedInts(3, "axes") : Array(0..<starts.count)
            steps = node.inputs.count > 4 && !node.inputs[4].isEmpty ? try clampedInts(4, "steps") : Array(repeating: 1, count: starts.count)
        }
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else {
            throw GraphError(node: node, "starts, ends, axes and steps differ in length")
        }
        var dims = input.dims
        let baseStrides = input.strides
        var strides = baseStrides
        var offset = 0
        for k in axes.indices {
            let axis = try normalizedAxis(axes[k], rank: input.rank, node: node)
            let size = input.dims[axis], step = steps[k]
            guard step != 0 else { throw GraphError(node: node, "step is zero") }
            func clamp(_ value: Int, low: Int, high: Int) -> Int {
                let v = value < 0 ? (value < -size ? low : value + size) : value
                return Swift.min(Swift.max(v, low), high)
            }
            let start = step > 0 ? clamp(starts[k], low: 0, high: size) : clamp(starts[k], low: -1, high: size - 1)
            let end = step > 0 ? clamp(ends[k], low: 0, high: size) : clamp(ends[k], low: -1, high: size - 1)
            let count = step > 0 ? Swift.max(0, (end - start + step - 1) / step) : Swift.max(0, (start - end - step - 1) / -step)
            dims[axis] = count
            strides[axis] = baseStrides[axis] * step
            offset += start * baseStrides[axis]
        }
        return (offset, strides, Shape(dims))
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
        let input = try requiredInput(inputs, 0, node: node)
        return [TensorType(input.dataType, try resolve(input.shape, constants: constants).shape)]
    }

    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor] {
        let input = inputs[0]!
        let view = try resolve(input.shape, constants: inputs)
        return [stridedCopy(input, offset: view.offset, strides: view.strides, shape: view.shape)]
    }
}

struct TransposeOp: Operator {
    let node: Node
    let perm: [Int]?

    init(node: Node, opset: Int) throws {
        self.node = node
        let attributes = Attributes(node: node)
        perm = try attributes.ints("perm")
        try attributes.allow(["perm"])
    }

    func permutation(rank: Int) throws -> [Int] {
        let p = perm ?? Array((0..<rank).reversed())
        guard p.count == rank, Set(p) == Set(0..<rank) else { throw GraphError(node: node, "perm \(p) is not a permutation of rank \(rank)") }
        return p
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
        let input = try requiredInput(inputs, 0, node: node)
        let p = try permutation(rank: input.shape.rank)
        return [TensorType(input.dataType, Shape(p.map { input.shape.dims[$0] }))]
    }

    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor] {
        let input = inputs[0]!
        let p = try permutation(rank: input.shape.rank)
        let strides = input.shape.strides
        return [stridedCopy(input, offset: 0, strides: p.map { strides[$0] }, shape: Shape(p.map { input.shape.dims[$0] }))]
    }
}

/// Resize, nearest-neighbour modes (what YOLO exporters write for Upsample), every coordinate transform.
struct ResizeOp: Operator {
    let node: Node
    let opset: Int
    let coordinateMode: String
    let nearestMode: String

    init(node: Node, opset: Int) throws {
        self.node = node
        self.opset = opset
        let attributes = Attributes(node: node)
        let mode = try attributes.string("mode", default: "nearest")
        guard mode == "nearest" else { throw GraphError(node: node, "mode '\(mode)' is unsupported (only nearest)") }
        coordinateMode = try attributes.string("coordinate_transformation_mode", default: opset >= 11 ? "half_pixel" : "asymmetric")
        guard ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "tf_half_pixel_for_nn"].contains(coordinateMode) else {
            throw GraphError(node: node, "coordinate_transformation_mode '\(coordinateMode)' is unsupported")
        }
        nearestMode = try attributes.string("nearest_mode", default: opset >= 11 ? "round_prefer_floor" : "floor")
        guard ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"].contains(nearestMode) else {
            throw GraphError(node: node, "nearest_mode '\(nearestMode)' is unsupported")
        }
        if try attributes.int("antialias", default: 0) != 0 { throw GraphError(node: node, "antialias is unsupported") }
        if node.attributes["axes"] != nil { throw GraphError(node: node, "the axes attribute is unsupported") }
        try attributes.allow(["mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a", "exclude_outside",
                              "extrapolation_value", "antialias", "keep_aspect_ratio_policy"])
    }

    /// Output shape and per-axis scale (output / input, as the coordinate transform uses it).
    func plan(_ input: Shape, constants: [Tensor?]) throws -> (Shape, [Double]) {
        let scalesIndex = opset >= 11 ? 2 : 1
        if opset >= 11, node.inputs.count > 3, !node.inputs[3].isEmpty {
            let sizes = try constantInput(constants, 3, node: node, what: "sizes").int64s.map { Int($0) }
            guard sizes.count == input.rank else { throw GraphError(node: node, "sizes \(sizes) do not match rank \(input.rank)") }
            return (Shape(sizes), zip(sizes, input.dims).map { Double($0) / Double(Swift.max($1, 1)) })
        }
        let scales = try constantInput(constants, scalesIndex, node: node, what: "scales").doubles
        guard scales.count == input.rank, scales.allSatisfy({ $0 > 0 }) else {
            throw GraphError(node: node, "scales \(scales) do not fit input rank \(input.rank)")
        }
        return (Shape(zip(input.dims, scales).map { Int((Double($0) * $1).rounded(.down)) }), scales)
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
        let input = try requiredInput(inputs, 0, node: node)
        return [TensorType(input.dataType, try plan(input.shape, constants: constants).0)]
    }

    /// The source index each output index along one axis reads.
    func sourceIndices(outSize: Int, inSize: Int, scale: Double) -> [Int] {
        (0..<outSize).map { x in
            let xd = Double(x)
            let original: Double
            switch coordinateMode {
            case "asymmetric": original = xd / scale
            case "align_corners": original = outSize == 1 ? 0 : xd * Double(inSize - 1) / Double(outSize - 1)
            case "pytorch_half_pixel": original = outSize > 1 ? (xd + 0.5) / scale - 0.5 : 0
            case "tf_half_pixel_for_nn": original = (xd + 0.5) / scale
            default: original = (xd + 0.5) / scale - 0.5
            }
            let index: Double
            switch nearestMode {
            case "floor": index = original.rounded(.down)
            case "ceil": index = original.rounded(.up)
            case "round_prefer_ceil": index = (original + 0.5).rounded(.down)
            default: index = original == original.rounded(.down) + 0.5 ? original.rounded(.down) : original.rounded()
            }
            return Swift.min(Swift.max(Int(index), 0), inSize - 1)
        }
    }

    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor] {
        let input = inputs[0]!
        let (outShape, scales) = try plan(input.shape, constants: inputs)
        let maps = (0..<input.shape.rank).map { sourceIndices(outSize: outShape.dims[$0], inSize: input.shape.dims[$0], scale: scales[$0]) }
        let output = Tensor(zeros: input.dataType, shape: outShape)
        let width = input.dataType.byteWidth
        let inStrides = input.shape.strides
        var index = [Int](repeating: 0, count: outShape.rank)
        for linear in 0..<outShape.elementCount {
            var source = 0
            for axis in 0..<outShape.rank { source += maps[axis][index[axis]] * inStrides[axis] }
            (output.storage.pointer + linear * width).copyMemory(from: input.storage.pointer + source * width, byteCount: width)
            var axis = outShape.rank - 1
            while axis >= 0 { index[axis] += 1; if index[axis] < outShape.dims[axis] { break }; index[axis] = 0; axis -= 1 }
        }
        return [output]
    }
}
