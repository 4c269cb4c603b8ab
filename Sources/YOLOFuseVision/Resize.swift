extension Image {
    /// Bilinear resize (OpenCV INTER_LINEAR convention), for bringing an IR frame to the RGB frame's size.
    public func resized(width newWidth: Int, height newHeight: Int) -> Image {
        if newWidth == width && newHeight == height { return self }
        let xs = Letterbox.taps(source: width, destination: newWidth)
        let ys = Letterbox.taps(source: height, destination: newHeight)
        let c = channels
        var out = [UInt8](repeating: 0, count: newWidth * newHeight * c)
        pixels.withUnsafeBufferPointer { src in
            for (y, ty) in ys.enumerated() {
                let r0 = ty.index * width * c, r1 = min(ty.index + 1, height - 1) * width * c
                for (x, tx) in xs.enumerated() {
                    let a = tx.index * c, b = min(tx.index + 1, width - 1) * c
                    for k in 0..<c {
                        let top = Float(src[r0 + a + k]) * (1 - tx.weight) + Float(src[r0 + b + k]) * tx.weight
                        let bottom = Float(src[r1 + a + k]) * (1 - tx.weight) + Float(src[r1 + b + k]) * tx.weight
                        out[(y * newWidth + x) * c + k] = UInt8(min(255, max(0, (top * (1 - ty.weight) + bottom * ty.weight).rounded())))
                    }
                }
            }
        }
        return Image(width: newWidth, height: newHeight, format: format, pixels: out)
    }
}
