public import Foundation

/// Reads and writes JPEG and PNG images with the checks a service needs on untrusted uploads.
public enum ImageCodec {
    public struct Limits: Sendable {
        /// Largest accepted image, checked from the header before any pixel is decoded.
        public var maxPixels: Int

        public init(maxPixels: Int = 64_000_000) { self.maxPixels = maxPixels }
    }

    public enum FileFormat: String, Sendable { case jpeg, png }

    /// Format and size from the header alone.
    public static func probe(_ data: Data, name: String) throws -> (format: FileFormat, width: Int, height: Int) {
        try data.withUnsafeBytes { bytes in
            if JPEGCodec.isJPEG(bytes) {
                let header = try JPEGCodec.header(bytes, name: name)
                return (.jpeg, header.width, header.height)
            }
            if PNGCodec.isPNG(bytes) {
                let header = try PNGCodec.header(bytes, name: name)
                return (.png, header.width, header.height)
            }
            if bytes.isEmpty { throw ImageError("\(name): the image is empty") }
            throw ImageError("\(name): not a JPEG or PNG image")
        }
    }

    /// Width and height as decoding would return them at full scale (EXIF rotation applied), from headers only.
    public static func uprightSize(_ data: Data, name: String) throws -> (width: Int, height: Int) {
        let (format, width, height) = try probe(data, name: name)
        let turned = format == .jpeg && data.withUnsafeBytes { ExifOrientation.read(jpeg: $0).rawValue >= 5 }
        return turned ? (height, width) : (width, height)
    }

    /// Decodes a JPEG or PNG, applying EXIF orientation. With `fitting` (a model's input size), large JPEGs are
    /// decoded at a reduced DCT scale that still covers what a letterbox of that size takes.
    public static func decode(_ data: Data, name: String, limits: Limits = Limits(), fitting: (width: Int, height: Int)? = nil) throws -> Image {
        let (format, width, height) = try probe(data, name: name)
        guard width > 0, height > 0 else { throw ImageError("\(name): the image has no pixels (\(width)x\(height))") }
        guard width * height <= limits.maxPixels else {
            throw ImageError("\(name): \(width)x\(height) is \(width * height) pixels, over the limit of \(limits.maxPixels)")
        }
        return try data.withUnsafeBytes { bytes in
            switch format {
            case .png:
                return try PNGCodec.decode(bytes, name: name)
            case .jpeg:
                let orientation = ExifOrientation.read(jpeg: bytes)
                // Scale against the upright size: a rotated image swaps which side must stay large.
                let target = fitting.map { orientation.rawValue >= 5 ? (width: $0.height, height: $0.width) : $0 }
                return orientation.apply(to: try JPEGCodec.decode(bytes, name: name, fitting: target))
            }
        }
    }

    public static func read(_ url: URL, limits: Limits = Limits(), fitting: (width: Int, height: Int)? = nil) throws -> Image {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw ImageError("\(url.path): cannot read the file") }
        return try decode(data, name: url.path, limits: limits, fitting: fitting)
    }

    public static func encodeJPEG(_ image: Image, quality: Int = 90) throws -> Data { Data(try JPEGCodec.encode(image, quality: quality)) }
    public static func encodePNG(_ image: Image) throws -> Data { Data(try PNGCodec.encode(image)) }
}
