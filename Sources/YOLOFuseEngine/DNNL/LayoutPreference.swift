internal import YOLOFuseONNX
import YOLOFuseTensor

/// Which layout each 4-D value should be produced in, decided by who reads it: values that feed convolutions,
/// pooling or resampling (directly or through layout-agnostic ops) are kept NHWC; values read only by shape ops,
/// the detection head's flattening, or graph outputs are produced plain, so no reorder is needed in between.
struct LayoutPreference {
    private var memo: [String: Layout] = [:]
    private let readers: [String: [(node: Int, input: Int)]]
    private let graph: SpecializedGraph

    init(graph: SpecializedGraph) {
        self.graph = graph
        var readers: [String: [(node: Int, input: Int)]] = [:]
        for (index, planned) in graph.nodes.enumerated() {
            for (slot, name) in planned.node.inputs.enumerated() where !name.isEmpty { readers[name, default: []].append((index, slot)) }
        }
        self.readers = readers
    }

    mutating func layout(for value: String) -> Layout {
        if let known = memo[value] { return known }
        memo[value] = .plain  // breaks cycles; graphs are acyclic, but be safe
        guard let type = graph.types[value], type.shape.rank == 4, !graph.outputs.contains(value) else { return .plain }
        var result = Layout.plain
        for reader in readers[value] ?? [] {
            let planned = graph.nodes[reader.node]
            switch planned.node.opType {
            case "Conv", "MaxPool", "Resize":
                if reader.input == 0 { result = .nhwc }
            case "Concat", "Split", "Slice", "Add", "Sub", "Mul", "Div", "Max", "Min", "Sigmoid", "Relu", "LeakyRelu", "Tanh", "Exp", "Sqrt", "Abs", "Neg":
                for output in planned.node.outputs where !output.isEmpty && layout(for: output) == .nhwc { result = .nhwc }
            default:
                break
            }
            if result == .nhwc { break }
        }
        memo[value] = result
        return result
    }
}
