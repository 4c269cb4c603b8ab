internal import CPNG

/// PNG through libpng's simplified png_image API (8-bit gray or RGB; alpha is dropped, 16-bit is reduced).
enum PNGCodec {
    static func isPNG(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 8 && Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    }

    private static func message(_ image: png_image) -> String {
        withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    private static func begin(_ bytes: UnsafeRawBufferPointer, name: String) throws -> png_image {
        var image = yolofuse_png_image_new()
        guard png_image_begin_read_from_memory(&image, bytes.baseAddress, bytes.count) != 0 else {
            let reason = message(image)
            png_image_free(&image)
            throw ImageError("\(name): corrupt PNG (\(reason))")
        }
        return image
    }

    static func header(_ bytes: UnsafeRawBufferPointer, name: String) throws -> (width: Int, height: Int, gray: Bool) {
        var image = try begin(bytes, name: name)
        defer { png_image_free(&image) }
        return (Int(image.width), Int(image.height), image.format & UInt32(PNG_FORMAT_FLAG_COLOR) == 0)
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, name: String) throws -> Image {
        var image = try begin(bytes, name: name)
        let gray = image.format & UInt32(PNG_FORMAT_FLAG_COLOR) == 0
        image.format = gray ? UInt32(PNG_FORMAT_GRAY) : UInt32(PNG_FORMAT_RGB)
        let format: Image.Format = gray ? .gray : .rgb
        var pixels = [UInt8](repeating: 0, count: yolofuse_png_image_size(&image))
        let ok = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        guard ok != 0 else {
            let reason = message(image)
            png_image_free(&image)
            throw ImageError("\(name): corrupt or truncated PNG (\(reason))")
        }
        return Image(width: Int(image.width), height: Int(image.height), format: format, pixels: pixels)
    }

    static func encode(_ source: Image) throws -> [UInt8] {
        var image = yolofuse_png_image_new()
        image.width = UInt32(source.width)
        image.height = UInt32(source.height)
        image.format = source.format == .gray ? UInt32(PNG_FORMAT_GRAY) : UInt32(PNG_FORMAT_RGB)
        var size = 0
        let sized = source.pixels.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, 0, nil) }
        guard sized != 0 else { throw ImageError("PNG encoding failed (\(message(image)))") }
        var output = [UInt8](repeating: 0, count: size)
        let written = output.withUnsafeMutableBytes { out in
            source.pixels.withUnsafeBytes { png_image_write_to_memory(&image, out.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
        }
        guard written != 0 else { throw ImageError("PNG encoding failed (\(message(image)))") }
        return Array(output.prefix(size))
    }
}
