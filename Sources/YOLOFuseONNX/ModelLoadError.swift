/// Why a model file could not be loaded. The message names the file part, node or tensor at fault.
public struct ModelLoadError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) { self.description = description }
}
