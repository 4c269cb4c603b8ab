/// Maps IR pixels onto the RGB frame: a 3x3 homography or a 2x3 affine transform, row-major, taking IR pixel
/// coordinates (x, y, 1) to RGB pixel coordinates.
public struct Registration: Sendable, Equatable, Codable {
    public let matrix: [Double]  // 9 values, row-major

    public init(homography: [Double]) throws {
        guard homography.count == 9, homography.allSatisfy(\.isFinite) else {
            throw ImageError("registration: a homography needs 9 finite numbers, got \(homography.count)")
        }
        matrix = homography
        guard inverse() != nil else { throw ImageError("registration: the matrix is singular") }
    }

    public init(affine: [Double]) throws {
        guard affine.count == 6 else { throw ImageError("registration: an affine transform needs 6 numbers, got \(affine.count)") }
        try self.init(homography: affine + [0, 0, 1])
    }

    /// 6 numbers (affine) or 9 (homography).
    public init(values: [Double]) throws {
        if values.count == 6 { try self.init(affine: values) } else { try self.init(homography: values) }
    }

    /// The same mapping for images resampled by these factors (IR by `source`, RGB by `destination`).
    public func scaled(source: Double, destination: Double) throws -> Registration {
        let m = matrix
        // diag(d, d, 1) * M * diag(1/s, 1/s, 1)
        return try Registration(homography: [
            m[0] * destination / source, m[1] * destination / source, m[2] * destination,
            m[3] * destination / source, m[4] * destination / source, m[5] * destination,
            m[6] / source, m[7] / source, m[8],
        ])
    }

    public func inverse() -> [Double]? {
        let m = matrix
        let det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6])
        guard abs(det) > 1e-12 else { return nil }
        return [
            (m[4] * m[8] - m[5] * m[7]) / det, (m[2] * m[7] - m[1] * m[8]) / det, (m[1] * m[5] - m[2] * m[4]) / det,
            (m[5] * m[6] - m[3] * m[8]) / det, (m[0] * m[8] - m[2] * m[6]) / det, (m[2] * m[3] - m[0] * m[5]) / det,
            (m[3] * m[7] - m[4] * m[6]) / det, (m[1] * m[6] - m[0] * m[7]) / det, (m[0] * m[4] - m[1] * m[3]) / det,
        ]
    }

    /// The IR image warped into an RGB frame of `width` x `height` (bilinear; outside the IR view is black,
    /// which reads as cold in thermal).
    public func warp(_ ir: Image, width: Int, height: Int) -> Image {
        let h = inverse()!
        let c = ir.channels
        var out = [UInt8](repeating: 0, count: width * height * c)
        ir.pixels.withUnsafeBufferPointer { src in
            for y in 0..<height {
                for x in 0..<width {
                    let (fx, fy) = (Double(x), Double(y))
                    let w = h[6] * fx + h[7] * fy + h[8]
                    guard abs(w) > 1e-12 else { continue }
                    let sx = (h[0] * fx + h[1] * fy + h[2]) / w, sy = (h[3] * fx + h[4] * fy + h[5]) / w
                    guard sx >= 0, sy >= 0, sx <= Double(ir.width - 1), sy <= Double(ir.height - 1) else { continue }
                    let x0 = Int(sx), y0 = Int(sy)
                    let x1 = min(x0 + 1, ir.width - 1), y1 = min(y0 + 1, ir.height - 1)
                    let ax = sx - Double(x0), ay = sy - Double(y0)
                    for k in 0..<c {
                        let v00 = Double(src[(y0 * ir.width + x0) * c + k]), v01 = Double(src[(y0 * ir.width + x1) * c + k])
                        let v10 = Double(src[(y1 * ir.width + x0) * c + k]), v11 = Double(src[(y1 * ir.width + x1) * c + k])
                        let v = (v00 * (1 - ax) + v01 * ax) * (1 - ay) + (v10 * (1 - ax) + v11 * ax) * ay
                        out[(y * width + x) * c + k] = UInt8(min(255, max(0, v.rounded())))
                    }
                }
            }
        }
        return Image(width: width, height: height, format: ir.format, pixels: out)
    }
}

/// An RGB and an IR image of one scene, brought to the same frame.
public enum ImagePair {
    /// Brings `ir` onto `rgb`'s frame: through `registration` when given; otherwise the two must share an
    /// aspect ratio (to 1 %) and IR is scaled to the RGB size. Any other mismatch is an error naming both sizes.
    public static func align(rgb: Image, ir: Image, registration: Registration? = nil) throws -> Image {
        if let registration { return registration.warp(ir, width: rgb.width, height: rgb.height) }
        try checkAspect(rgb: rgb, ir: ir)
        return ir.resized(width: rgb.width, height: rgb.height)
    }

    /// Refuses pairs whose frames differ in aspect ratio by more than 1 % (such cameras need a registration).
    public static func checkAspect(rgb: Image, ir: Image) throws {
        guard abs(rgb.aspectRatio / ir.aspectRatio - 1) <= 0.01 else {
            throw ImageError("the RGB image is \(rgb.width)x\(rgb.height) and the IR image \(ir.width)x\(ir.height): their aspect ratios differ, so a registration (homography or affine) is needed to pair them")
        }
    }
}
