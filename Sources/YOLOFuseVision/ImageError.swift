/// Why an image could not be read or written. The message names the image (file or form field) and the reason.
public struct ImageError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
