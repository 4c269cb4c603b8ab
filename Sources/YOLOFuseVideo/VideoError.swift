/// A video that cannot be read or written; the message names the file and FFmpeg's reason.
public struct VideoError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
