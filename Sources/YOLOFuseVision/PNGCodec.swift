internal import CPNG

/// PNG through libpng's simplified png_image API (8-bit gray or RGB; alpha is dropped, 16-bit is reduced).
enum PNGCodec {
    static func isPNG(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 8 && Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    }

    private static func message(_ image: UnsafePointer<png_image>) -> String {
        withUnsafeBytes(of: image.pointee.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// Opens the PNG and hands the reader to `body`. libpng keeps a pointer to the png_image it was given
    /// (its error handler writes there), so the struct lives at one heap address for the whole read.
    private static func reading<T>(_ bytes: UnsafeRawBufferPointer, name: String, _ body: (UnsafeMutablePointer<png_image>) throws -> T) throws -> T {
        let image = UnsafeMutablePointer<png_image>.allocate(capacity: 1)
        image.initialize(to: yolofuse_png_image_new())
        defer {
            png_image_free(image)
            image.deallocate()
        }
        guard png_image_begin_read_from_memory(image, bytes.baseAddress, bytes.count) != 0 else {
            throw ImageError("\(name): corrupt PNG (\(message(image)))")
        }
        return try body(image)
    }

    static func header(_ bytes: UnsafeRawBufferPointer, name: String) throws -> (width: Int, height: Int, gray: Bool) {
        try reading(bytes, name: name) { image in
            (Int(image.pointee.width), Int(image.pointee.height), image.pointee.format & UInt32(PNG_FORMAT_FLAG_COLOR) == 0)
        }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, name: String) throws -> Image {
        try reading(bytes, name: name) { image in
            let gray = image.pointee.format & UInt32(PNG_FORMAT_FLAG_COLOR) == 0
            image.pointee.format = gray ? UInt32(PNG_FORMAT_GRAY) : UInt32(PNG_FORMAT_RGB)
            var pixels = [UInt8](repeating: 0, count: yolofuse_png_image_size(image))
            let ok = pixels.withUnsafeMutableBytes { png_image_finish_read(image, nil, $0.baseAddress, 0, nil) }
            guard ok != 0 else { throw ImageError("\(name): corrupt or truncated PNG (\(message(image)))") }
            return Image(width: Int(image.pointee.width), height: Int(image.pointee.height), format: gray ? .gray : .rgb, pixels: pixels)
        }
    }

    static func encode(_ source: Image) throws -> [UInt8] {
        let image = UnsafeMutablePointer<png_image>.allocate(capacity: 1)
        image.initialize(to: yolofuse_png_image_new())
        defer {
            png_image_free(image)
            image.deallocate()
        }
        image.pointee.width = UInt32(source.width)
        image.pointee.height = UInt32(source.height)
        image.pointee.format = source.format == .gray ? UInt32(PNG_FORMAT_GRAY) : UInt32(PNG_FORMAT_RGB)
        var size = 0
        let sized = source.pixels.withUnsafeBytes { png_image_write_to_memory(image, nil, &size, 0, $0.baseAddress, 0, nil) }
        guard sized != 0 else { throw ImageError("PNG encoding failed (\(message(image)))") }
        var output = [UInt8](repeating: 0, count: size)
        let written = output.withUnsafeMutableBytes { out in
            source.pixels.withUnsafeBytes { png_image_write_to_memory(image, out.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
        }
        guard written != 0 else { throw ImageError("PNG encoding failed (\(message(image)))") }
        return Array(output.prefix(size))
    }
}
