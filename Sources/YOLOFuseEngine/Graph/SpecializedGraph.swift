internal import YOLOFuseONNX
import YOLOFuseTensor

/// A node that still depends on the run's input data, with every type known.
struct PlannedNode: Sendable {
    let node: Node
    let op: any Operator
    let inputTypes: [TensorType?]
    let outputTypes: [TensorType]
    /// Inputs whose values are known before the run (initializers and folded subgraphs).
    let constants: [Tensor?]
}

/// The graph specialised to concrete input shapes: constant subgraphs folded away (the dynamic-shape
/// arithmetic of dynamic exports disappears here), every remaining value with a static type.
struct SpecializedGraph: Sendable {
    var inputs: [(name: String, type: TensorType)]
    var nodes: [PlannedNode]
    var constants: [String: Tensor]
    var types: [String: TensorType]
    var outputs: [String]

    /// Folds and types `graph` for the given input shapes.
    init(graph: Graph, operators: [any Operator], inputShapes: [String: Shape]) throws {
        var constants = graph.initializers
        var types: [String: TensorType] = [:]
        for (name, tensor) in constants { types[name] = TensorType(tensor.dataType, tensor.shape) }
        inputs = []
        for input in graph.inputs {
            guard let shape = inputShapes[input.name] else { throw GraphError("no shape given for input '\(input.name)'") }
            let type = TensorType(input.dataType ?? .float32, shape)
            types[input.name] = type
            inputs.append((input.name, type))
        }
        var nodes: [PlannedNode] = []
        for (node, op) in zip(graph.nodes, operators) {
            let inputTypes: [TensorType?] = try node.inputs.map { name in
                if name.isEmpty { return nil }
                guard let type = types[name] else { throw GraphError(node: node, "input '\(name)' is produced by no earlier node") }
                return type
            }
            let known: [Tensor?] = node.inputs.map { $0.isEmpty ? nil : constants[$0] }
            let allKnown = zip(node.inputs, known).allSatisfy { $0.0.isEmpty || $0.1 != nil }
            if let shapeOp = op as? ShapeOp, let inputType = inputTypes.first ?? nil {
                // Shapes are known once input sizes are: this is what lets dynamic exports fold.
                let dims = shapeOp.dims(of: inputType.shape)
                constants[node.outputs[0]] = Tensor(int64s: dims, shape: Shape([dims.count]))
                types[node.outputs[0]] = TensorType(.int64, Shape([dims.count]))
                continue
            }
            if allKnown {
                let outputs = try op.evaluate(known)
                for (name, value) in zip(node.outputs, outputs) where !name.isEmpty {
                    constants[name] = value
                    types[name] = TensorType(value.dataType, value.shape)
                }
                continue
            }
            let outputTypes = try op.outputTypes(inputTypes, constants: known)
            for (name, type) in zip(node.outputs, outputTypes) where !name.isEmpty { types[name] = type }
            nodes.append(PlannedNode(node: node, op: op, inputTypes: inputTypes, outputTypes: outputTypes, constants: known))
        }
        outputs = graph.outputs.map(\.name)
        for name in outputs where types[name] == nil { throw GraphError("graph output '\(name)' is never produced") }
        self.types = types
        self.nodes = nodes
        // Keep only the constants still read at run time.
        var used = Set(outputs)
        for planned in nodes { used.formUnion(planned.node.inputs) }
        self.constants = constants.filter { used.contains($0.key) }
        removeDeadNodes()
    }

    /// Drops nodes none of whose outputs reach a graph output.
    private mutating func removeDeadNodes() {
        var live = Set(outputs)
        var kept: [PlannedNode] = []
        for planned in nodes.reversed() where planned.node.outputs.contains(where: live.contains) {
            kept.append(planned)
            live.formUnion(planned.node.inputs.filter { !$0.isEmpty })
        }
        nodes = kept.reversed()
    }

    /// How many nodes read each value (graph outputs count as one reader).
    func readerCounts() -> [String: Int] {
        var counts: [String: Int] = [:]
        for planned in nodes { for name in planned.node.inputs where !name.isEmpty { counts[name, default: 0] += 1 } }
        for name in outputs { counts[name, default: 0] += 1 }
        return counts
    }
}
