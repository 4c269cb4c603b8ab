public import Foundation

/// Reads and writes NumPy `.npy` files (format 1.0 to 3.0, little-endian, C order).
public enum NumPyFile {
    public struct FormatError: Error, CustomStringConvertible {
        public let description: String
    }

    private static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    public static func read(_ url: URL) throws -> Tensor {
        let data = try Data(contentsOf: url)
        do { return try decode(data) } catch let error as FormatError {
            throw FormatError(description: "\(url.path): \(error.description)")
        }
    }

    public static func decode(_ data: Data) throws -> Tensor {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw FormatError(description: "not a .npy file") }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        } else if major == 2 || major == 3 {
            guard bytes.count >= 12 else { throw FormatError(description: "truncated header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        } else {
            throw FormatError(description: "unsupported .npy version \(major)")
        }
        guard headerStart + headerLength <= bytes.count,
              let header = String(bytes: bytes[headerStart..<headerStart + headerLength], encoding: .utf8)
        else { throw FormatError(description: "truncated header") }

        guard let descr = field("descr", in: header) else { throw FormatError(description: "header has no descr") }
        let dataType: DataType
        switch descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\" ")) {
        case "<f4": dataType = .float32
        case "<i8": dataType = .int64
        case "<i4": dataType = .int32
        case "|u1": dataType = .uint8
        case "|b1": dataType = .bool
        case let other: throw FormatError(description: "unsupported dtype \(other); use float32 (<f4)")
        }
        if let order = field("fortran_order", in: header), order.contains("True") {
            throw FormatError(description: "Fortran-order arrays are not supported")
        }
        guard let shapeText = field("shape", in: header) else { throw FormatError(description: "header has no shape") }
        let dims = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let parsed = dims.compactMap { Int($0) }
        guard parsed.count == dims.count, parsed.allSatisfy({ $0 >= 0 }) else {
            throw FormatError(description: "bad shape \(shapeText)")
        }
        let shape = Shape(parsed)
        let payloadStart = headerStart + headerLength
        let needed = shape.elementCount * dataType.byteWidth
        guard bytes.count - payloadStart >= needed else {
            throw FormatError(description: "expected \(needed) data bytes for shape \(shape), found \(bytes.count - payloadStart)")
        }
        let tensor = Tensor(zeros: dataType, shape: shape)
        bytes.withUnsafeBytes { tensor.storage.pointer.copyMemory(from: $0.baseAddress! + payloadStart, byteCount: needed) }
        return tensor
    }

    public static func encode(_ tensor: Tensor) -> Data {
        let descr: String
        switch tensor.dataType {
        case .float32: descr = "<f4"
        case .int64: descr = "<i8"
        case .int32: descr = "<i4"
        case .uint8: descr = "|u1"
        case .bool: descr = "|b1"
        }
        let dims = tensor.shape.dims.map(String.init)
        let shapeText = dims.count == 1 ? "(\(dims[0]),)" : "(" + dims.joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data(magic + [1, 0])
        let length = header.utf8.count
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.append(Data(bytes: tensor.storage.pointer, count: tensor.byteCount))
        return data
    }

    public static func write(_ tensor: Tensor, to url: URL) throws {
        try encode(tensor).write(to: url)
    }

    private static func field(_ key: String, in header: String) -> String? {
        guard let keyRange = header.range(of: "'\(key)':") else { return nil }
        let rest = header[keyRange.upperBound...].drop(while: { $0 == " " })
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { return nil }
            return String(rest[...close])
        }
        let end = rest.firstIndex(of: ",") ?? rest.endIndex
        return String(rest[..<end])
    }
}
