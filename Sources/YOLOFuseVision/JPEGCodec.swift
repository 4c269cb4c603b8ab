internal import CTurboJPEG

/// JPEG through libjpeg-turbo's TurboJPEG API.
enum JPEGCodec {
    static func isJPEG(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF
    }

    /// Width, height and whether the file is gray, from the header alone.
    static func header(_ bytes: UnsafeRawBufferPointer, name: String) throws -> (width: Int, height: Int, gray: Bool) {
        guard let handle = tjInitDecompress() else { throw ImageError("\(name): cannot start the JPEG decoder") }
        defer { tjDestroy(handle) }
        return try header(bytes, name: name, handle: handle)
    }

    private static func header(_ bytes: UnsafeRawBufferPointer, name: String, handle: tjhandle) throws -> (width: Int, height: Int, gray: Bool) {
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        guard tjDecompressHeader3(handle, base, UInt(bytes.count), &width, &height, &subsampling, &colorspace) == 0 else {
            throw ImageError("\(name): corrupt JPEG header (\(String(cString: tjGetErrorStr2(handle))))")
        }
        guard colorspace != Int32(TJCS_CMYK.rawValue), colorspace != Int32(TJCS_YCCK.rawValue) else {
            throw ImageError("\(name): CMYK JPEGs are not supported; save it as RGB")
        }
        return (Int(width), Int(height), colorspace == Int32(TJCS_GRAY.rawValue))
    }

    /// Decodes the whole file. With `fitting`, large images are decoded at the smallest DCT scale of 1/2, 1/4
    /// or 1/8 that still has every pixel a letterbox of that size takes from the full image: less work for
    /// camera-sized frames, and no loss in what the model sees. Only these scales: libjpeg-turbo decodes the
    /// others (3/8, 5/8, ...) with plain C transforms, and a 1080p frame at 3/8 took as long as at full size
    /// where 1/2 took a fifth less.
    static func decode(_ bytes: UnsafeRawBufferPointer, name: String, fitting: (width: Int, height: Int)?) throws -> Image {
        guard let handle = tjInitDecompress() else { throw ImageError("\(name): cannot start the JPEG decoder") }
        defer { tjDestroy(handle) }
        let (width, height, gray) = try header(bytes, name: name, handle: handle)
        var scaledWidth = width, scaledHeight = height
        if let fitting {
            // The letterbox scales the image by this; any decode at least this large loses nothing.
            let needed = min(Double(fitting.width) / Double(width), Double(fitting.height) / Double(height))
            var count: Int32 = 0
            if needed < 1, let factors = tjGetScalingFactors(&count) {
                for factor in UnsafeBufferPointer(start: factors, count: Int(count)) where factor.num == 1 && factor.denom > 1 {
                    guard Double(factor.num) / Double(factor.denom) >= needed else { continue }
                    let w = (width * Int(factor.num) + Int(factor.denom) - 1) / Int(factor.denom)
                    let h = (height * Int(factor.num) + Int(factor.denom) - 1) / Int(factor.denom)
                    if w * h < scaledWidth * scaledHeight {
                        scaledWidth = w
                        scaledHeight = h
                    }
                }
            }
        }
        let format: Image.Format = gray ? .gray : .rgb
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let byteCount = scaledWidth * scaledHeight * format.rawValue
        // Not zero-filled first: the decoder writes every byte, and a failed decode throws the buffer away.
        let pixels = try [UInt8](unsafeUninitializedCapacity: byteCount) { out, initialized in
            let status = tjDecompress2(handle, base, UInt(bytes.count), out.baseAddress, Int32(scaledWidth), 0, Int32(scaledHeight),
                                       Int32(gray ? TJPF_GRAY.rawValue : TJPF_RGB.rawValue), 0)
            // A warning means a damaged file decoded in part (a truncated upload): refuse it rather than guess.
            guard status == 0 else {
                throw ImageError("\(name): corrupt or truncated JPEG (\(String(cString: tjGetErrorStr2(handle))))")
            }
            initialized = byteCount
        }
        return Image(width: scaledWidth, height: scaledHeight, format: format, pixels: pixels)
    }

    static func encode(_ image: Image, quality: Int) throws -> [UInt8] {
        guard let handle = tjInitCompress() else { throw ImageError("cannot start the JPEG encoder") }
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            tjCompress2(handle, pixels.baseAddress, Int32(image.width), 0, Int32(image.height),
                        Int32(image.format == .gray ? TJPF_GRAY.rawValue : TJPF_RGB.rawValue), &buffer, &size,
                        Int32(image.format == .gray ? TJSAMP_GRAY.rawValue : TJSAMP_420.rawValue), Int32(quality), 0)
        }
        defer { if let buffer { tjFree(buffer) } }
        guard status == 0, let buffer else { throw ImageError("JPEG encoding failed (\(String(cString: tjGetErrorStr2(handle))))") }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
    }
}
