/// A fixed-width bitmap font for labels on annotated images, scaled by whole pixels.
public enum BitmapFont {
    /// Size of `text` drawn at `scale`.
    public static func size(of text: String, scale: Int) -> (width: Int, height: Int) {
        (text.unicodeScalars.count * glyphWidth * scale, glyphHeight * scale)
    }

    static func glyph(_ scalar: Unicode.Scalar) -> [UInt8] {
        let code = Int(scalar.value)
        return (32...126).contains(code) ? glyphs[code - 32] : glyphs[Int(("?" as Unicode.Scalar).value) - 32]
    }
}

extension Image {
    /// Fills a rectangle (clipped to the image) with an RGB colour.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, color: (UInt8, UInt8, UInt8)) {
        precondition(format == .rgb, "draw on an RGB image")
        let x0 = max(0, x), y0 = max(0, y), x1 = min(width, x + w), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        let imageWidth = width
        pixels.withUnsafeMutableBufferPointer { p in
            for row in y0..<y1 {
                for column in x0..<x1 {
                    let i = (row * imageWidth + column) * 3
                    p[i] = color.0; p[i + 1] = color.1; p[i + 2] = color.2
                }
            }
        }
    }

    /// Outlines a box `thickness` pixels wide, inside its edges.
    public mutating func strokeRectangle(_ box: BoundingBox, thickness: Int, color: (UInt8, UInt8, UInt8)) {
        let x = Int(box.x1.rounded()), y = Int(box.y1.rounded())
        let w = max(1, Int(box.x2.rounded()) - x), h = max(1, Int(box.y2.rounded()) - y)
        let t = max(1, min(thickness, min(w, h)))
        fill(x: x, y: y, width: w, height: t, color: color)
        fill(x: x, y: y + h - t, width: w, height: t, color: color)
        fill(x: x, y: y, width: t, height: h, color: color)
        fill(x: x + w - t, y: y, width: t, height: h, color: color)
    }

    /// Draws `text` with its top-left corner at (x, y).
    public mutating func drawText(_ text: String, x: Int, y: Int, scale: Int, color: (UInt8, UInt8, UInt8)) {
        var cursor = x
        for scalar in text.unicodeScalars {
            let glyph = BitmapFont.glyph(scalar)
            for (row, bits) in glyph.enumerated() where bits != 0 {
                for column in 0..<BitmapFont.glyphWidth where bits & (0x80 >> UInt8(column)) != 0 {
                    fill(x: cursor + column * scale, y: y + row * scale, width: scale, height: scale, color: color)
                }
            }
            cursor += BitmapFont.glyphWidth * scale
        }
    }

    /// Two images of equal height side by side (RGB and IR views of the annotated scene).
    public static func sideBySide(_ left: Image, _ right: Image) -> Image {
        let a = left.toRGB(), b = right.toRGB().resized(width: right.width * left.height / max(right.height, 1), height: left.height)
        var out = [UInt8](repeating: 0, count: (a.width + b.width) * a.height * 3)
        for row in 0..<a.height {
            let target = row * (a.width + b.width) * 3
            out.replaceSubrange(target..<target + a.width * 3, with: a.pixels[(row * a.width * 3)..<((row + 1) * a.width * 3)])
            out.replaceSubrange(target + a.width * 3..<target + (a.width + b.width) * 3, with: b.pixels[(row * b.width * 3)..<((row + 1) * b.width * 3)])
        }
        return Image(width: a.width + b.width, height: a.height, format: .rgb, pixels: out)
    }
}
