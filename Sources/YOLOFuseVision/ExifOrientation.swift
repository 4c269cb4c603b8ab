/// The EXIF orientation of a JPEG (tag 0x0112): how the stored pixels must be turned to stand upright.
public enum ExifOrientation: Int, Sendable {
    case up = 1, upMirrored, down, downMirrored, leftMirrored, right, rightMirrored, left

    /// Reads the orientation from a JPEG's APP1 Exif segment; `.up` when there is none or it is unreadable.
    static func read(jpeg bytes: UnsafeRawBufferPointer) -> ExifOrientation {
        var position = 2
        while position + 4 <= bytes.count, bytes[position] == 0xFF {
            let marker = bytes[position + 1]
            let length = Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
            if marker == 0xDA || length < 2 { break }  // start of scan: no more metadata
            let segment = position + 4
            if marker == 0xE1, segment + 6 <= bytes.count, Array(bytes[segment..<segment + 6]) == Array("Exif\0\0".utf8) {
                return orientation(tiff: segment + 6, end: min(bytes.count, position + 2 + length), bytes: bytes) ?? .up
            }
            position += 2 + length
        }
        return .up
    }

    private static func orientation(tiff: Int, end: Int, bytes: UnsafeRawBufferPointer) -> ExifOrientation? {
        guard tiff + 8 <= end else { return nil }
        let little = bytes[tiff] == 0x49
        func u16(_ at: Int) -> Int? {
            guard at + 2 <= end else { return nil }
            return little ? Int(bytes[at]) | Int(bytes[at + 1]) << 8 : Int(bytes[at]) << 8 | Int(bytes[at + 1])
        }
        func u32(_ at: Int) -> Int? {
            guard let a = u16(at), let b = u16(at + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard let ifd = u32(tiff + 4), let count = u16(tiff + ifd) else { return nil }
        for entry in 0..<count {
            let at = tiff + ifd + 2 + entry * 12
            guard let tag = u16(at) else { return nil }
            if tag == 0x0112, let value = u16(at + 8) { return ExifOrientation(rawValue: value) }
        }
        return nil
    }

    /// The image turned upright.
    func apply(to image: Image) -> Image {
        if self == .up { return image }
        let (w, h, c) = (image.width, image.height, image.channels)
        let swaps = rawValue >= 5
        let (ow, oh) = swaps ? (h, w) : (w, h)
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { src in
            for y in 0..<oh {
                for x in 0..<ow {
                    // Source pixel for output (x, y), per the EXIF definitions of each orientation.
                    let (sx, sy): (Int, Int) = switch self {
                    case .up: (x, y)
                    case .upMirrored: (w - 1 - x, y)
                    case .down: (w - 1 - x, h - 1 - y)
                    case .downMirrored: (x, h - 1 - y)
                    case .leftMirrored: (y, x)
                    case .right: (y, h - 1 - x)
                    case .rightMirrored: (w - 1 - y, h - 1 - x)
                    case .left: (w - 1 - y, x)
                    }
                    for k in 0..<c { out[(y * ow + x) * c + k] = src[(sy * w + sx) * c + k] }
                }
            }
        }
        return Image(width: ow, height: oh, format: image.format, pixels: out)
    }
}
