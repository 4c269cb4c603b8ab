/// Element types the engine stores. Models compute in float32; integer and boolean tensors carry shapes,
/// indices and masks, which constant folding usually removes before a run.
public enum DataType: String, Sendable, Hashable, CustomStringConvertible {
    case float32, int64, int32, bool, uint8

    public var byteWidth: Int {
        switch self {
        case .float32, .int32: 4
        case .int64: 8
        case .bool, .uint8: 1
        }
    }

    public var description: String { rawValue }
}
