internal import YOLOFuseONNX
import YOLOFuseTensor

/// Shape(x) with the opset-15 start/end attributes.
struct ShapeOp: Operator {
    let node: Node
    let start: Int
    let end: Int?

    init(node: Node, opset: Int) throws {
        self.node = node
        let attributes = Attributes(node: node)
        start = try attributes.int("start", default: 0)
        end = node.attributes["end"] == nil ? nil : try attributes.int("end")
        try attributes.allow(["start", "end"])
    }

    func dims(of shape: Shape) -> [Int64] {
        let rank = shape.rank
        func clamp(_ v: Int) -> Int { Swift.min(Swift.max(v < 0 ? v + rank : v, 0), rank) }
        let lower = clamp(start), upper = clamp(end ?? rank)
        return lower < upper ? shape.dims[lower..<upper].map { Int64($0) } : []
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
        [TensorType(.int64, Shape([dims(of: try requiredInput(inputs, 0, node: node).shape).count]))]
    }

    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor] {
        let values = dims(of: inputs[0]!.shape)
        return [Tensor(int64s: values, shape: Shape([values.count]))]
    }
}

/// The ops that only relabel a tensor's shape: Reshape, Flatten, Squeeze, Unsqueeze (and Identity-like moves).
struct ReshapeOp: Operator {
    enum Kind: String { case Reshape, Flatten, Squeeze, Unsqueeze }
    let node: Node
    let kind: Kind
    let opset: Int
    let allowZero: Bool
    let axisAttribute: Int
    let axesAttribute: [Int]?

    init(node: Node, opset: Int) throws {
        self.node = node
        self.opset = opset
        kind = Kind(rawValue: node.opType)!
        let attributes = Attributes(node: node)
        allowZero = try attributes.int("allowzero", default: 0) != 0
        axisAttribute = try attributes.int("axis", default: 1)
        axesAttribute = try attributes.ints("axes")
        switch kind {
        case .Reshape: try attributes.allow(["allowzero"])
        case .Flatten: try attributes.allow(["axis"])
        case .Squeeze, .Unsqueeze: try attributes.allow(["axes"])
        }
    }

    func outputShape(_ input: Shape, constants: [Tensor?]) throws -> Shape {
        switch kind {
        case .Reshape:
            let requested = try constantInput(constants, 1, node: node, what: "the target shape").int64s.map { Int($0) }
            var dims = requested.enumerated().map { axis, dim in
                dim == 0 && !allowZero ? (axis < input.rank ? input.dims[axis] : 0) : dim
            }
            if let inferred = dims.firstIndex(of: -1) {
                let known = dims.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
                guard known > 0, input.elementCount % known == 0 else {
                    throw GraphError(node: node, "cannot reshape \(input) to \(requested)")
                }
                dims[inferred] = input.elementCount / known
            }
            guard dims.allSatisfy({ $0 >= 0 }), dims.reduce(1, *) == input.elementCount else {
                throw GraphError(node: node, "cannot reshape \(input) (\(input.elementCount) elements) to \(requested)")
            }
            return Shape(dims)
        case .Flatten:
            let axis = axisAttribute < 0 ? axisAttribute + input.rank : axisAttribute
            guard axis >= 0, axis <= input.rank else { throw GraphError(node: node, "axis \(axisAttribute) out of range") }
            return Shape([input.dims[..<axis].reduce(1, *), input.dims[axis...].reduce(1, *)])
        case .Squeeze:
            let axes = try axesList(constants) ?? input.dims.indices.filter { input.dims[$0] == 1 }
            let normalized = try Set(axes.map { try normalizedAxis($0, rank: input.rank, node: node) })
            for axis in normalized where input.dims[axis] != 1 {
                throw GraphError(node: node, "cannot squeeze axis \(axis) of size \(input.dims[axis])")
            }
            return Shape(input.dims.enumerated().filter { !normalized.contains($0.offset) }.map(\.element))
        case .Unsqueeze:
            guard let axes = try axesList(constants) else { throw GraphError(node: node, "needs axes") }
            let rank = input.rank + axes.count
            let normalized = try Set(axes.map { try normalizedAxis($0, rank: rank, node: node) })
            var source = input.dims.makeIterator()
            return Shape((0..<rank).map { normalized.contains($0) ? 1 : source.next()! })
        }
    }

    private func axesList(_ constants: [Tensor?]) throws -> [Int]? {
        if opset >= 13, kind == .Squeeze || kind == .Unsqueeze {
            guard node.inputs.count > 1, !node.inputs[1].isEmpty else { return nil }
            return try constantInput(constants, 1, node: node, what: "axes").int64s.map { Int($0) }
        }
        return axesAttribute
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
        let input = try requiredInput(inputs, 0, node: node)
        return [TensorType(input.dataType, try outputShape(input.shape, constants: constants))]
    }

    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor] {
        [inputs[0]!.reshaped(try outputShape(inputs[0]!.shape, constants: inputs))]
    }
}

/// Constant: the value attribute (tensor or the scalar/list forms of opset 12+).
struct ConstantOp: Operator {
    let node: Node
    let value: Tensor

    init(node: Node, opset: Int) throws {
        self.node = node
        let attributes = Attributes(node: node)
        if let tensor = attributes.tensor("value") {
            value = tensor
        } else if case .float(let v)? = node.attributes["value_float"] {
            value = Tensor(floats: [v], shape: Shape([]))
        } else if case .int(let v)? = node.attributes["value_int"] {
            value = Tensor(int64s: [v], shape: Shape([]))
        } else if case .floats(let v)? = node.attributes["value_floats"] {
            value = Tensor(floats: v, shape: Shape([v.count]))
        } else if case .ints(let v)? = node.attributes["value_ints"] {
            value = Tensor(int64s: v, shape: Shape([v.count]))
        } else {
            throw GraphError(node: node, "has no supported value attribute")
        }
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
        [TensorType(value.dataType, value.shape)]
    }

    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor] { [value] }
}

/// ConstantOfShape(shape) filled with the value attribute (float 0 by default).
struct ConstantOfShapeOp: Operator {
    let node: Node
    let fill: Tensor

    init(node: Node, opset: Int) throws {
        self.node = node
        fill = Attributes(node: node).tensor("value") ?? Tensor(floats: [0], shape: Shape([1]))
        try Attributes(node: node).allow(["value"])
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
        let dims = try constantInput(constants, 0, node: node, what: "the shape").int64s.map { Int($0) }
        return [TensorType(fill.dataType, Shape(dims))]
    }

    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor] {
        let shape = Shape(inputs[0]!.int64s.map { Int($0) })
        return [Tensor(converting: [Double](repeating: fill.doubles.first ?? 0, count: shape.elementCount), to: fill.dataType, shape: shape)]
    }
}

/// Range(start, limit, delta).
struct RangeOp: Operator {
    let node: Node
    init(node: Node, opset: Int) throws { self.node = node; try Attributes(node: node).allow([]) }

    private func values(_ constants: [Tensor?]) throws -> (DataType, [Double]) {
        let start = try constantInput(constants, 0, node: node, what: "start")
        let limit = try constantInput(constants, 1, node: node, what: "limit").doubles[0]
        let delta = try constantInput(constants, 2, node: node, what: "delta").doubles[0]
        guard delta != 0 else { throw GraphError(node: node, "delta is zero") }
        let first = start.doubles[0]
        let count = Swift.max(Int(((limit - first) / delta).rounded(.up)), 0)
        return (start.dataType, (0..<count).map { first + Double($0) * delta })
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
        let (type, values) = try values(constants)
        return [TensorType(type, Shape([values.count]))]
    }

    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor] {
        let (type, values) = try values(inputs)
        return [Tensor(converting: values, to: type, shape: Shape([values.count]))]
    }
}

/// Cast(to).
struct CastOp: Operator {
    let node: Node
    let target: DataType

    init(node: Node, opset: Int) throws {
        self.node = node
        let attributes = Attributes(node: node)
        let to = try attributes.int("to")
        switch to {
        case 1, 10, 11: target = .float32
        case 7: target = .int64
        case 6: target = .int32
        case 9: target = .bool
        case 2: target = .uint8
        default: throw GraphError(node: node, "casting to ONNX type \(to) is unsupported")
        }
        try attributes.allow(["to", "saturate"])
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
        [TensorType(target, try requiredInput(inputs, 0, node: node).shape)]
    }

    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor] {
        let input = inputs[0]!
        if input.dataType == target { return [input] }
        return [Tensor(converting: input.doubles, to: target, shape: input.shape)]
    }
}

/// Expand(input, shape) with broadcasting.
struct ExpandOp: Operator {
    let node: Node
    init(node: Node, opset: Int) throws { self.node = node; try Attributes(node: node).allow([]) }

    private func shape(_ input: Shape, _ constants: [Tensor?]) throws -> Shape {
        let requested = Shape(try constantInput(constants, 1, node: node, what: "the shape").int64s.map { Int($0) })
        guard let result = Broadcasting.shape([input, requested]) else {
            throw GraphError(node: node, "cannot expand \(input) to \(requested)")
        }
        return result
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
        let input = try requiredInput(inputs, 0, node: node)
        return [TensorType(input.dataType, try shape(input.shape, constants))]
    }

    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor] {
        let input = inputs[0]!
        let output = try shape(input.shape, inputs)
        return [stridedCopy(input, offset: 0, strides: Broadcasting.strides(of: input.shape, in: output), shape: output)]
    }
}

/// Gather(data, indices, axis).
struct GatherOp: Operator {
    let node: Node
    let axis: Int

    init(node: Node, opset: Int) throws {
        self.node = node
        let attributes = Attributes(node: node)
        axis = try attributes.int("axis", default: 0)
        try attributes.allow(["axis"])
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
        let data = try requiredInput(inputs, 0, node: node), indices = try requiredInput(inputs, 1, node: node)
        let a = try normalizedAxis(axis, rank: data.shape.rank, node: node)
        let dims = Array(data.shape.dims[..<a]) + indices.shape.dims + Array(data.shape.dims[(a + 1)...])
        return [TensorType(data.dataType, Shape(dims))]
    }

    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor] {
        let data = inputs[0]!, indices = inputs[1]!
        let a = try normalizedAxis(axis, rank: data.shape.rank, node: node)
        let size = data.shape.dims[a]
        let outer = data.shape.dims[..<a].reduce(1, *), inner = data.shape.dims[(a + 1)...].reduce(1, *)
        let dims = Array(data.shape.dims[..<a]) + indices.shape.dims + Array(data.shape.dims[(a + 1)...])
        let output = Tensor(zeros: data.dataType, shape: Shape(dims))
        let width = data.dataType.byteWidth
        let picks = try indices.int64s.map { raw -> Int in
            let i = Int(raw) < 0 ? Int(raw) + size : Int(raw)
            guard i >= 0, i < size else { throw GraphError(node: node, "index \(raw) is out of range for axis size \(size)") }
            return i
        }
        var dst = output.storage.pointer
        for o in 0..<outer {
            for i in picks {
                dst.copyMemory(from: data.storage.pointer + ((o * size + i) * inner) * width, byteCount: inner * width)
                dst += inner * width
            }
        }
        return [output]
    }
}
