internal import YOLOFuseONNX
public import YOLOFuseTensor

/// Element type and shape of a value flowing through a graph.
public struct TensorType: Hashable, Sendable, CustomStringConvertible {
    public var dataType: DataType
    public var shape: Shape

    public init(_ dataType: DataType, _ shape: Shape) {
        self.dataType = dataType
        self.shape = shape
    }

    public var description: String { "\(dataType)\(shape)" }
}

/// An ONNX operator: attributes parsed once at load, shape inference, and the plain-Swift reference kernel.
/// The reference kernels cover every op; they are the test oracle and they evaluate constant subgraphs.
protocol Operator: Sendable {
    /// Output types from input types (nil for an absent optional input) and whichever inputs are constants.
    func outputTypes(_ inputs: [TensorType?], constants: [Tensor?]) throws -> [TensorType]
    /// Computes the outputs (absent optional inputs are nil).
    func evaluate(_ inputs: [Tensor?]) throws -> [Tensor]
}

/// A failure while checking or planning a node; the message names the node and what is wrong with it.
public struct GraphError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
    init(node: Node, _ problem: String) { self.description = "node \(node.label): \(problem)" }
}

/// Attribute access with ONNX defaults and errors that name the node.
struct Attributes {
    let node: Node

    func int(_ name: String, default value: Int? = nil) throws -> Int {
        switch node.attributes[name] {
        case .int(let v)?: return Int(v)
        case nil: if let value { return value }; throw GraphError(node: node, "missing attribute '\(name)'")
        default: throw GraphError(node: node, "attribute '\(name)' must be an int")
        }
    }

    func float(_ name: String, default value: Float) throws -> Float {
        switch node.attributes[name] {
        case .float(let v)?: return v
        case nil: return value
        default: throw GraphError(node: node, "attribute '\(name)' must be a float")
        }
    }

    func string(_ name: String, default value: String) throws -> String {
        switch node.attributes[name] {
        case .string(let v)?: return v
        case nil: return value
        default: throw GraphError(node: node, "attribute '\(name)' must be a string")
        }
    }

    func ints(_ name: String) throws -> [Int]? {
        switch node.attributes[name] {
        case .ints(let v)?: return v.map { Int($0) }
        case .int(let v)?: return [Int(v)]
        case nil: return nil
        default: throw GraphError(node: node, "attribute '\(name)' must be a list of ints")
        }
    }

    func floats(_ name: String) throws -> [Float]? {
        switch node.attributes[name] {
        case .floats(let v)?: return v
        case nil: return nil
        default: throw GraphError(node: node, "attribute '\(name)' must be a list of floats")
        }
    }

    func tensor(_ name: String) -> Tensor? {
        if case .tensor(let t)? = node.attributes[name] { return t }
        return nil
    }

    /// Rejects attributes the implementation does not know, so nothing is silently ignored.
    func allow(_ names: Set<String>) throws {
        for key in node.attributes.keys where !names.contains(key) {
            throw GraphError(node: node, "unsupported attribute '\(key)'")
        }
    }
}

/// Normalises a possibly negative axis for a tensor of `rank`.
func normalizedAxis(_ axis: Int, rank: Int, node: Node) throws -> Int {
    let value = axis < 0 ? axis + rank : axis
    guard value >= 0, value < max(rank, 1) else { throw GraphError(node: node, "axis \(axis) is out of range for rank \(rank)") }
    return value
}

/// Requires an input to be present and known at plan time (shape-bearing inputs such as Reshape's shape).
func constantInput(_ constants: [Tensor?], _ index: Int, node: Node, what: String) throws -> Tensor {
    guard index < constants.count, let value = constants[index] else {
        throw GraphError(node: node, "\(what) must be known before the run (it depends on input data, which is unsupported)")
    }
    return value
}

func requiredInput(_ inputs: [TensorType?], _ index: Int, node: Node) throws -> TensorType {
    guard index < inputs.count, let value = inputs[index] else { throw GraphError(node: node, "input \(index) is missing") }
    return value
}
