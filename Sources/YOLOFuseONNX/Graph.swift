public import YOLOFuseTensor

/// One dimension of a declared graph input or output: a number, or a name such as "batch" for dynamic axes.
public enum Dimension: Hashable, Sendable, CustomStringConvertible {
    case fixed(Int)
    case symbolic(String)

    public var description: String {
        switch self {
        case .fixed(let value): String(value)
        case .symbolic(let name): name.isEmpty ? "?" : name
        }
    }
}

/// A declared graph input or output.
public struct ValueInfo: Hashable, Sendable {
    public var name: String
    public var dataType: DataType?
    public var dims: [Dimension]?

    public init(name: String, dataType: DataType?, dims: [Dimension]?) {
        self.name = name
        self.dataType = dataType
        self.dims = dims
    }
}

public enum AttributeValue: Sendable {
    case int(Int64)
    case float(Float)
    case string(String)
    case ints([Int64])
    case floats([Float])
    case strings([String])
    case tensor(Tensor)
    /// Subgraphs (If, Loop, Scan) are kept only so the op check can name them; detection exports have none.
    case graph
}

/// One ONNX node. Optional inputs that are left out are empty strings, as in ONNX.
public struct Node: Sendable {
    public var name: String
    public var opType: String
    public var domain: String
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: AttributeValue]

    public init(name: String, opType: String, domain: String = "", inputs: [String], outputs: [String],
                attributes: [String: AttributeValue] = [:]) {
        self.name = name
        self.opType = opType
        self.domain = domain
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    /// "name (OpType)" for error messages; unnamed nodes are named by their first output.
    public var label: String { "\(name.isEmpty ? (outputs.first ?? "?") : name) (\(opType))" }
}

/// A model's computation graph in topological order.
public struct Graph: Sendable {
    public var nodes: [Node]
    public var initializers: [String: Tensor]
    /// Inputs the caller feeds (initializers listed as inputs by old exporters are left out).
    public var inputs: [ValueInfo]
    public var outputs: [ValueInfo]

    public init(nodes: [Node], initializers: [String: Tensor], inputs: [ValueInfo], outputs: [ValueInfo]) {
        self.nodes = nodes
        self.initializers = initializers
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// A decoded ONNX model.
public struct Model: Sendable {
    public var graph: Graph
    /// Opset version per domain; "" is the default ONNX domain.
    public var opsets: [String: Int]
    /// metadata_props, kept for the model manifest (Ultralytics writes names, imgsz, stride there).
    public var metadata: [String: String]
    public var producerName: String
    public var irVersion: Int

    public init(graph: Graph, opsets: [String: Int], metadata: [String: String], producerName: String, irVersion: Int) {
        self.graph = graph
        self.opsets = opsets
        self.metadata = metadata
        self.producerName = producerName
        self.irVersion = irVersion
    }

    public var defaultOpset: Int { opsets[""] ?? opsets["ai.onnx"] ?? 1 }
}
