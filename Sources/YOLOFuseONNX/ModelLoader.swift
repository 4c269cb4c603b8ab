public import Foundation
internal import SwiftProtobuf
public import YOLOFuseTensor

/// Decodes ONNX ModelProto files into the engine's graph IR.
public enum ModelLoader {
    /// Loads a model file. External tensor data is read from files beside it.
    public static func load(contentsOf url: URL) throws -> Model {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw ModelLoadError("cannot read \(url.path): \(error.localizedDescription)")
        }
        return try decode(data, baseDirectory: url.deletingLastPathComponent())
    }

    /// Decodes model bytes. `baseDirectory` resolves external-data files; without it such models are refused.
    public static func decode(_ data: Data, baseDirectory: URL? = nil) throws -> Model {
        guard !data.isEmpty else { throw ModelLoadError("the model file is empty") }
        let proto: Onnx_ModelProto
        do { proto = try Onnx_ModelProto(serializedBytes: data) } catch {
            throw ModelLoadError("not a valid ONNX model (protobuf decoding failed: \(error))")
        }
        guard proto.hasGraph, !proto.graph.node.isEmpty else {
            throw ModelLoadError("not a valid ONNX model (no graph or no nodes)")
        }
        var opsets: [String: Int] = [:]
        for entry in proto.opsetImport { opsets[entry.domain] = Int(entry.version) }
        if opsets.isEmpty { throw ModelLoadError("the model declares no opset_import") }
        var metadata: [String: String] = [:]
        for entry in proto.metadataProps { metadata[entry.key] = entry.value }
        let graph = try convert(proto.graph, baseDirectory: baseDirectory)
        return Model(graph: graph, opsets: opsets, metadata: metadata, producerName: proto.producerName,
                     irVersion: Int(proto.irVersion))
    }

    private static func convert(_ graph: Onnx_GraphProto, baseDirectory: URL?) throws -> Graph {
        var initializers: [String: Tensor] = [:]
        for tensor in graph.initializer {
            initializers[tensor.name] = try convert(tensor, baseDirectory: baseDirectory)
        }
        let nodes = try graph.node.enumerated().map { index, node in
            try convert(node, index: index, baseDirectory: baseDirectory)
        }
        let inputs = graph.input.filter { initializers[$0.name] == nil }.map(convert)
        let outputs = graph.output.map(convert)
        return Graph(nodes: nodes, initializers: initializers, inputs: inputs, outputs: outputs)
    }

    private static func convert(_ info: Onnx_ValueInfoProto) -> ValueInfo {
        guard info.hasType, case .tensorType(let tensorType)? = info.type.value else {
            return ValueInfo(name: info.name, dataType: nil, dims: nil)
        }
        let dataType = Onnx_TensorProto.DataType(rawValue: Int(tensorType.elemType)).flatMap(engineType)
        let dims: [Dimension]? = tensorType.hasShape ? tensorType.shape.dim.map { dim in
            switch dim.value {
            case .dimValue(let value)?: .fixed(Int(value))
            case .dimParam(let name)?: .symbolic(name)
            case nil: .symbolic("")
            }
        } : nil
        return ValueInfo(name: info.name, dataType: dataType, dims: dims)
    }

    private static func convert(_ node: Onnx_NodeProto, index: Int, baseDirectory: URL?) throws -> Node {
        var attributes: [String: AttributeValue] = [:]
        let label = "node \(node.name.isEmpty ? "#\(index)" : node.name) (\(node.opType))"
        for attribute in node.attribute {
            switch attribute.type {
            case .int: attributes[attribute.name] = .int(attribute.i)
            case .float: attributes[attribute.name] = .float(attribute.f)
            case .string: attributes[attribute.name] = .string(String(decoding: attribute.s, as: UTF8.self))
            case .ints: attributes[attribute.name] = .ints(attribute.ints)
            case .floats: attributes[attribute.name] = .floats(attribute.floats)
            case .strings: attributes[attribute.name] = .strings(attribute.strings.map { String(decoding: $0, as: UTF8.self) })
            case .tensor: attributes[attribute.name] = .tensor(try convert(attribute.t, baseDirectory: baseDirectory))
            case .graph, .graphs: attributes[attribute.name] = .graph
            default:
                throw ModelLoadError("\(label): attribute '\(attribute.name)' has unsupported type \(attribute.type)")
            }
        }
        return Node(name: node.name, opType: node.opType, domain: node.domain, inputs: node.input,
                    outputs: node.output, attributes: attributes)
    }

    private static func engineType(_ type: Onnx_TensorProto.DataType) -> DataType? {
        switch type {
        case .float, .double, .float16: .float32
        case .int64: .int64
        case .int32, .int16, .int8, .uint16: .int32
        case .uint8: .uint8
        case .bool: .bool
        default: nil
        }
    }

    static func convert(_ proto: Onnx_TensorProto, baseDirectory: URL?) throws -> Tensor {
        let name = proto.name.isEmpty ? "an unnamed tensor" : "tensor '\(proto.name)'"
        guard proto.dims.allSatisfy({ $0 >= 0 }) else { throw ModelLoadError("\(name) has a negative dimension") }
        let shape = Shape(proto.dims.map { Int($0) })
        let count = shape.elementCount
        var raw = proto.rawData
        if proto.dataLocation == .external {
            raw = try externalBytes(proto, name: name, baseDirectory: baseDirectory)
        }
        func checked(_ found: Int, width: Int) throws {
            guard found == count * width else {
                throw ModelLoadError("\(name) holds \(found) bytes, shape \(shape) needs \(count * width)")
            }
        }
        /// raw_data already holds the engine's little-endian layout: one copy.
        func fromRaw(_ dataType: DataType) throws -> Tensor {
            try checked(raw.count, width: dataType.byteWidth)
            let tensor = Tensor(zeros: dataType, shape: shape)
            raw.withUnsafeBytes { tensor.storage.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            return tensor
        }
        guard let elementType = Onnx_TensorProto.DataType(rawValue: Int(proto.dataType)) else {
            throw ModelLoadError("\(name) has unknown element type \(proto.dataType)")
        }
        switch elementType {
        case .float:
            if raw.isEmpty {
                guard proto.floatData.count == count else { throw ModelLoadError("\(name): \(proto.floatData.count) floats for shape \(shape)") }
                return Tensor(floats: proto.floatData, shape: shape)
            }
            return try fromRaw(.float32)
        case .double:
            let values: [Double]
            if raw.isEmpty { values = proto.doubleData } else {
                try checked(raw.count, width: 8)
                values = raw.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
            }
            guard values.count == count else { throw ModelLoadError("\(name): \(values.count) doubles for shape \(shape)") }
            return Tensor(converting: values, to: .float32, shape: shape)
        case .float16:
            let bits: [UInt16]
            if raw.isEmpty { bits = proto.int32Data.map { UInt16(truncatingIfNeeded: $0) } } else {
                try checked(raw.count, width: 2)
                bits = raw.withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }
            }
            guard bits.count == count else { throw ModelLoadError("\(name): \(bits.count) halfs for shape \(shape)") }
            return Tensor(floats: bits.map(halfToFloat), shape: shape)
        case .int64:
            if raw.isEmpty {
                guard proto.int64Data.count == count else { throw ModelLoadError("\(name): \(proto.int64Data.count) int64s for shape \(shape)") }
                return Tensor(int64s: proto.int64Data, shape: shape)
            }
            return try fromRaw(.int64)
        case .int32, .int16, .int8, .uint16, .uint8, .bool:
            let values: [Double]
            if raw.isEmpty {
                values = proto.int32Data.map(Double.init)
            } else {
                switch elementType {
                case .int32: try checked(raw.count, width: 4); values = raw.withUnsafeBytes { $0.bindMemory(to: Int32.self).map(Double.init) }
                case .int16: try checked(raw.count, width: 2); values = raw.withUnsafeBytes { $0.bindMemory(to: Int16.self).map(Double.init) }
                case .uint16: try checked(raw.count, width: 2); values = raw.withUnsafeBytes { $0.bindMemory(to: UInt16.self).map(Double.init) }
                case .int8: try checked(raw.count, width: 1); values = raw.withUnsafeBytes { $0.bindMemory(to: Int8.self).map(Double.init) }
                default: try checked(raw.count, width: 1); values = raw.map(Double.init)
                }
            }
            guard values.count == count else { throw ModelLoadError("\(name): \(values.count) values for shape \(shape)") }
            return Tensor(converting: values, to: engineType(elementType)!, shape: shape)
        default:
            throw ModelLoadError("\(name) has unsupported element type \(elementType)")
        }
    }

    private static func externalBytes(_ proto: Onnx_TensorProto, name: String, baseDirectory: URL?) throws -> Data {
        var entries: [String: String] = [:]
        for entry in proto.externalData { entries[entry.key] = entry.value }
        guard let location = entries["location"] else { throw ModelLoadError("\(name) is external but names no location") }
        guard let baseDirectory else {
            throw ModelLoadError("\(name) keeps its data in external file '\(location)'; load the model from a file path so it can be found")
        }
        guard !location.hasPrefix("/"), !location.split(separator: "/").contains("..") else {
            throw ModelLoadError("\(name): external data location '\(location)' must stay inside the model's folder")
        }
        let url = baseDirectory.appendingPathComponent(location)
        guard let file = try? Data(contentsOf: url, options: .mappedIfSafe) else {
            throw ModelLoadError("\(name): cannot read external data file \(url.lastPathComponent)")
        }
        let offset = Int(entries["offset"] ?? "0") ?? -1
        let length = entries["length"].flatMap { Int($0) } ?? (file.count - max(offset, 0))
        guard offset >= 0, length >= 0, offset + length <= file.count else {
            throw ModelLoadError("\(name): external data range \(offset)+\(length) is outside \(url.lastPathComponent)")
        }
        return file.subdata(in: offset..<offset + length)
    }

    private static func halfToFloat(_ bits: UInt16) -> Float {
        let sign = UInt32(bits >> 15) << 31
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = UInt32(bits & 0x3FF)
        if exponent == 0 {
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | (mantissa << 13))
    }
}
