/// An 8-bit image, interleaved rows without padding: gray (1 channel) or RGB (3 channels).
public struct Image: Sendable, Equatable {
    public enum Format: Int, Sendable {
        case gray = 1
        case rgb = 3
    }

    public let width: Int
    public let height: Int
    public let format: Format
    public var pixels: [UInt8]

    public init(width: Int, height: Int, format: Format, pixels: [UInt8]) {
        precondition(pixels.count == width * height * format.rawValue, "pixel count does not match \(width)x\(height)x\(format.rawValue)")
        self.width = width
        self.height = height
        self.format = format
        self.pixels = pixels
    }

    /// A solid image.
    public init(width: Int, height: Int, format: Format, fill: UInt8 = 0) {
        self.init(width: width, height: height, format: format, pixels: [UInt8](repeating: fill, count: width * height * format.rawValue))
    }

    public var channels: Int { format.rawValue }
    public var aspectRatio: Double { Double(width) / Double(height) }

    /// Gray images become RGB with the value in all three channels (thermal cameras' 8-bit output).
    public func toRGB() -> Image {
        guard format == .gray else { return self }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) { let v = pixels[i]; out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v }
        return Image(width: width, height: height, format: .rgb, pixels: out)
    }
}
