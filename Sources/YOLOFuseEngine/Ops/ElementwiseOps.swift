internal import YOLOFuseONNX
import YOLOFuseTensor
import Foundation

/// Unary float ops applied element by element.
struct UnaryOp: Operator {
    enum Kind: String, CaseIterable {
        case Sigmoid, Relu, Tanh, Exp, Log, Sqrt, Neg, Abs, Floor, Ceil, Reciprocal, LeakyRelu, HardSigmoid,
             HardSwish, Erf, Identity, Round
    }

    let node: Node
    let kind: Kind
    let alpha: Float
    let beta: Float

    init(node: Node, opset: Int) throws {
        self.node = node
        kind = Kind(rawValue: node.opType)!
        let attributes = Attributes(node: node)
        switch kind {
        case .LeakyRelu:
            alpha = try attributes.float("alpha", default: 0.01); beta = 0
            try attributes.allow(["alpha"])
        case .HardSigmoid:
            alpha = try attributes.float("alpha", default: 0.2); beta = try attributes.float("beta", default: 0.5)
            try attributes.allow(["alpha", "beta"])
        default:
            alpha = 0; beta = 0
            try attributes.allow([])
        }
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
        let input = try requiredInput(inputs, 0, node: node)
        if kind != .Identity && kind != .Neg && kind != .Abs && input.dataType != .float32 {
            throw GraphError(node: node, "expects float32 input, found \(input.dataType)")
        }
        return [input]
    }

    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor] {
        let input = inputs[0]!
        if kind == .Identity { return [input] }
        if input.dataType != .float32 {
            let values = input.doubles.map { kind == .Neg ? -$0 : Swift.abs($0) }
            return [Tensor(converting: values, to: input.dataType, shape: input.shape)]
        }
        let output = Tensor(zeros: .float32, shape: input.shape)
        let x = input.floatPointer(), y = output.floatPointer()
        let f = function
        for i in 0..<input.elementCount { y[i] = f(x[i]) }
        return [output]
    }

    var function: @Sendable (Float) -> Float {
        let alpha = alpha, beta = beta
        switch kind {
        case .Sigmoid: return { 1 / (1 + Foundation.exp(-$0)) }
        case .Relu: return { Swift.max($0, 0) }
        case .Tanh: return { Foundation.tanh($0) }
        case .Exp: return { Foundation.exp($0) }
        case .Log: return { Foundation.log($0) }
        case .Sqrt: return { $0.squareRoot() }
        case .Neg: return { -$0 }
        case .Abs: return { Swift.abs($0) }
        case .Floor: return { $0.rounded(.down) }
        case .Ceil: return { $0.rounded(.up) }
        case .Round: return { $0.rounded(.toNearestOrEven) }
        case .Reciprocal: return { 1 / $0 }
        case .LeakyRelu: return { $0 >= 0 ? $0 : alpha * $0 }
        case .HardSigmoid: return { Swift.max(0, Swift.min(1, alpha * $0 + beta)) }
        case .HardSwish: return { $0 * Swift.max(0, Swift.min(1, $0 / 6 + 0.5)) }
        case .Erf: return { Foundation.erf($0) }
        case .Identity: return { $0 }
        }
    }
}

/// Clip with min/max as attributes (opset < 11) or optional inputs (opset >= 11).
struct ClipOp: Operator {
    let node: Node
    let minAttribute: Float
    let maxAttribute: Float

    init(node: Node, opset: Int) throws {
        self.node = node
        let attributes = Attributes(node: node)
        minAttribute = try attributes.float("min", default: -.greatestFiniteMagnitude)
        maxAttribute = try attributes.float("max", default: .greatestFiniteMagnitude)
        try attributes.allow(["min", "max"])
    }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
        [try requiredInput(inputs, 0, node: node)]
    }

    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor] {
        let low = inputs.count > 1 ? inputs[1].map { $0.doubles[0] } ?? Double(minAttribute) : Double(minAttribute)
        let high = inputs.count > 2 ? inputs[2].map { $0.doubles[0] } ?? Double(maxAttribute) : Double(maxAttribute)
        let input = inputs[0]!
        return [Tensor(converting: input.doubles.map { Swift.min(Swift.max($0, low), high) }, to: input.dataType, shape: input.shape)]
    }
}

/// Broadcasting binary ops (arithmetic and comparisons) and the variadic Max/Min/Sum with two or more inputs.
struct BinaryOp: Operator {
    enum Kind: String, CaseIterable {
        case Add, Sub, Mul, Div, Pow, Mod, Equal, Less, Greater, LessOrEqual, GreaterOrEqual, Max, Min, Sum, And, Or
    }

    let node: Node
    let kind: Kind
    let fmod: Bool

    init(node: Node, opset: Int) throws {
        self.node = node
        kind = Kind(rawValue: node.opType)!
        let attributes = Attributes(node: node)
        fmod = try attributes.int("fmod", default: 0) != 0
        try attributes.allow(kind == .Mod ? ["fmod"] : [])
        if node.inputs.count < 2 && ![.Max, .Min, .Sum].contains(kind) {
            throw GraphError(node: node, "needs two inputs")
        }
    }

    var isComparison: Bool { [.Equal, .Less, .Greater, .LessOrEqual, .GreaterOrEqual, .And, .Or].contains(kind) }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
        let types = try inputs.indices.map { try requiredInput(inputs, $0, node: node) }
        guard let shape = Broadcasting.shape(types.map(\.shape)) else {
            throw GraphError(node: node, "cannot broadcast shapes \(types.map(\.shape.description).joined(separator: " and "))")
        }
        let dataType = types[0].dataType
        if kind != .Pow, let other = types.first(where: { $0.dataType != dataType }) {
            throw GraphError(node: node, "mixes element types \(dataType) and \(other.dataType)")
        }
        return [TensorType(isComparison ? .bool : dataType, shape)]
    }

    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor] {
        let tensors = inputs.map { $0! }
        var result = tensors[0]
        for next in tensors.dropFirst() { result = try apply(result, next) }
        return [result]
    }

    private func apply(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard let shape = Broadcasting.shape([a.shape, b.shape]) else {
            throw GraphError(node: node, "cannot broadcast \(a.shape) and \(b.shape)")
        }
        let outType: DataType = isComparison ? .bool : a.dataType
        if a.dataType == .float32 && b.dataType == .float32 && !isComparison {
            let output = Tensor(zeros: .float32, shape: shape)
            let x = a.floatPointer(), y = b.floatPointer(), z = output.floatPointer()
            let op = floatFunction
            if a.shape == b.shape {
                for i in 0..<shape.elementCount { z[i] = op(x[i], y[i]) }
            } else {
                Broadcasting.forEach(output: shape, inputs: [a.shape, b.shape]) { i, offsets in
                    z[i] = op(x[offsets[0]], y[offsets[1]])
                }
            }
            return output
        }
        let x = a.doubles, y = b.doubles
        var values = [Double](repeating: 0, count: shape.elementCount)
        let integral = a.dataType != .float32
        Broadcasting.forEach(output: shape, inputs: [a.shape, b.shape]) { i, offsets in
            values[i] = doubleFunction(x[offsets[0]], y[offsets[1]], integral: integral)
        }
        return Tensor(converting: values, to: outType, shape: shape)
    }

    private var floatFunction: (Float, Float) -> Float {
        switch kind {
        case .Add, .Sum: return (+)
        case .Sub: return (-)
        case .Mul: return (*)
        case .Div: return (/)
        case .Pow: return { Foundation.pow($0, $1) }
        case .Max: return { Swift.max($0, $1) }
        case .Min: return { Swift.min($0, $1) }
        case .Mod: return { Foundation.fmod($0, $1) }
        default: return { _, _ in 0 }
        }
    }

    private func doubleFunction(_ x: Double, _ y: Double, integral: Bool) -> Double {
        switch kind {
        case .Add, .Sum: return x + y
        case .Sub: return x - y
        case .Mul: return x * y
        // Integer division truncates toward zero in ONNX Runtime (C semantics).
        case .Div: return integral ? (y == 0 ? 0 : (x / y).rounded(.towardZero)) : x / y
        case .Pow: return Foundation.pow(x, y)
        case .Mod:
            if y == 0 { return 0 }
            if fmod || !integral { return Foundation.fmod(x, y) }
            let r = Foundation.fmod(x, y)
            return (r != 0 && (r < 0) != (y < 0)) ? r + y : r
        case .Max: return Swift.max(x, y)
        case .Min: return Swift.min(x, y)
        case .Equal: return x == y ? 1 : 0
        case .Less: return x < y ? 1 : 0
        case .Greater: return x > y ? 1 : 0
        case .LessOrEqual: return x <= y ? 1 : 0
        case .GreaterOrEqual: return x >= y ? 1 : 0
        case .And: return (x != 0 && y != 0) ? 1 : 0
        case .Or: return (x != 0 || y != 0) ? 1 : 0
        }
    }
}

/// Where(condition, x, y) with broadcasting.
struct WhereOp: Operator {
    let node: Node
    init(node: Node, opset: Int) throws { self.node = node; try Attributes(node: node).allow([]) }

    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType] {
        let types = try (0..<3).map { try requiredInput(inputs, $0, node: node) }
        guard let shape = Broadcasting.shape(types.map(\.shape)) else { throw GraphError(node: node, "cannot broadcast inputs") }
        return [TensorType(types[1].dataType, shape)]
    }

    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor] {
        let c = inputs[0]!.doubles, x = inputs[1]!.doubles, y = inputs[2]!.doubles
        let shape = Broadcasting.shape(inputs.map { $0!.shape })!
        var values = [Double](repeating: 0, count: shape.elementCount)
        Broadcasting.forEach(output: shape, inputs: inputs.map { $0!.shape }) { i, o in
            values[i] = c[o[0]] != 0 ? x[o[1]] : y[o[2]]
        }
        return [Tensor(converting: values, to: inputs[1]!.dataType, shape: shape)]
    }
}
