internal import YOLOFuseONNX

/// Every ONNX op the engine runs, with the opset versions its implementation follows.
/// Ranges start where the op's current semantics begin; a model outside them fails at load with the node named.
enum OperatorRegistry {
    struct Entry: Sendable {
        let opsets: ClosedRange<Int>
        let make: @Sendable (Node, Int) throws -> any Operator
    }

    static let supportedOpsets: ClosedRange<Int> = 7...21

    static let entries: [String: Entry] = {
        var table: [String: Entry] = [:]
        func add(_ names: [String], _ opsets: ClosedRange<Int>, _ make: @escaping @Sendable (Node, Int) throws -> any Operator) {
            for name in names { table[name] = Entry(opsets: opsets, make: make) }
        }
        add(UnaryOp.Kind.allCases.map(\.rawValue), 6...21) { try UnaryOp(node: $0, opset: $1) }
        add(BinaryOp.Kind.allCases.map(\.rawValue), 7...21) { try BinaryOp(node: $0, opset: $1) }
        add(["Clip"], 6...21) { try ClipOp(node: $0, opset: $1) }
        add(["Where"], 9...21) { try WhereOp(node: $0, opset: $1) }
        add(["Conv"], 1...21) { try ConvOp(node: $0, opset: $1) }
        add(["MaxPool"], 8...21) { try MaxPoolOp(node: $0, opset: $1) }
        add(["BatchNormalization"], 9...21) { try BatchNormalizationOp(node: $0, opset: $1) }
        add(["MatMul"], 9...21) { try MatMulOp(node: $0, opset: $1) }
        add(["Softmax"], 1...21) { try SoftmaxOp(node: $0, opset: $1) }
        add(["Concat"], 4...21) { try ConcatOp(node: $0, opset: $1) }
        add(["Split"], 2...21) { try SplitOp(node: $0, opset: $1) }
        add(["Slice"], 1...21) { try SliceOp(node: $0, opset: $1) }
        add(["Transpose"], 1...21) { try TransposeOp(node: $0, opset: $1) }
        add(["Resize"], 10...21) { try ResizeOp(node: $0, opset: $1) }
        add(["Reshape"], 5...21) { try ReshapeOp(node: $0, opset: $1) }
        add(["Flatten", "Squeeze", "Unsqueeze"], 1...21) { try ReshapeOp(node: $0, opset: $1) }
        add(["Shape"], 1...21) { try ShapeOp(node: $0, opset: $1) }
        add(["Gather"], 1...21) { try GatherOp(node: $0, opset: $1) }
        add(["Range"], 11...21) { try RangeOp(node: $0, opset: $1) }
        add(["Cast"], 6...21) { try CastOp(node: $0, opset: $1) }
        add(["Expand"], 8...21) { try ExpandOp(node: $0, opset: $1) }
        add(["ConstantOfShape"], 9...21) { try ConstantOfShapeOp(node: $0, opset: $1) }
        add(["Constant"], 1...21) { try ConstantOp(node: $0, opset: $1) }
        return table
    }()

    /// Builds the operator for `node`, or explains why it cannot run.
    static func make(_ node: Node, opset: Int) throws -> any Operator {
        guard node.domain.isEmpty || node.domain == "ai.onnx" else {
            throw GraphError(node: node, "domain '\(node.domain)' is unsupported (only the default ONNX domain)")
        }
        guard let entry = entries[node.opType] else { throw GraphError(node: node, "op type \(node.opType) is unsupported") }
        guard entry.opsets.contains(opset) else {
            throw GraphError(node: node, "\(node.opType) at opset \(opset) is unsupported (supported: \(entry.opsets.lowerBound)-\(entry.opsets.upperBound))")
        }
        return try entry.make(node, opset)
    }
}
