/// Why a run was refused: the caller's inputs do not fit the model. The message says exactly what differs.
public struct InferenceError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
