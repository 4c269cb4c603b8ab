import YOLOFuseTensor
internal import YOLOFuseONNX

/// Which kernels run a model.
public enum BackendKind: String, Sendable, CaseIterable {
    /// oneDNN primitives, with reference kernels for the few ops it does not take.
    case onednn
    /// Plain Swift for every op: the test oracle.
    case reference
}

/// The small contract every backend meets: compile a specialised graph into something that runs it.
protocol Backend: Sendable {
    func compile(_ graph: SpecializedGraph) throws -> any CompiledGraph
}

/// A graph ready to run at one set of input shapes. `run` is synchronous and is only called on engine threads;
/// implementations may serve several runs at once.
protocol CompiledGraph: AnyObject, Sendable {
    func run(_ inputs: [String: Tensor]) throws -> [String: Tensor]
    /// The kernel behind every step, in run order.
    var kernelNames: [String] { get }
}

/// Runs every node with its reference kernel, in order, allocating as it goes.
struct ReferenceBackend: Backend {
    func compile(_ graph: SpecializedGraph) throws -> any CompiledGraph { ReferenceGraph(graph: graph) }
}

final class ReferenceGraph: CompiledGraph {
    // Immutable after init; each run keeps its values in a local dictionary.
    let graph: SpecializedGraph

    init(graph: SpecializedGraph) { self.graph = graph }

    var kernelNames: [String] { graph.nodes.map { "reference \($0.node.opType)" } }

    func run(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        var values = graph.constants
        for (name, tensor) in inputs { values[name] = tensor }
        for planned in graph.nodes {
            let outputs = try planned.op.evaluate(planned.node.inputs.map { $0.isEmpty ? nil : values[$0] })
            for (name, tensor) in zip(planned.node.outputs, outputs) where !name.isEmpty { values[name] = tensor }
        }
        return Dictionary(uniqueKeysWithValues: graph.outputs.map { ($0, values[$0]!) })
    }
}
