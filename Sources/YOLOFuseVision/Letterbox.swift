import Foundation

/// Ultralytics' LetterBox: aspect-preserving resize into the model's input, centred, padded with gray 114.
/// The same geometry maps boxes back to the original image.
public struct Letterbox: Sendable, Equatable {
    public static let padValue: UInt8 = 114

    public let sourceWidth: Int
    public let sourceHeight: Int
    /// The model input size.
    public let width: Int
    public let height: Int
    /// Size of the resized image inside the padding.
    public let resizedWidth: Int
    public let resizedHeight: Int
    public let left: Int
    public let top: Int
    public let scale: Double

    /// - Parameters:
    ///   - minimalPadding: pad only up to a multiple of `stride` (Ultralytics' `auto`, for dynamic-size models)
    ///     instead of to the full target size.
    public init(sourceWidth: Int, sourceHeight: Int, targetWidth: Int, targetHeight: Int, minimalPadding: Bool = false, stride: Int = 32) {
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        let r = min(Double(targetHeight) / Double(sourceHeight), Double(targetWidth) / Double(sourceWidth))
        scale = r
        // Python's round() (half to even) on these products, as the reference implementation does.
        resizedWidth = Int((Double(sourceWidth) * r).rounded(.toNearestOrEven))
        resizedHeight = Int((Double(sourceHeight) * r).rounded(.toNearestOrEven))
        var dw = Double(targetWidth - resizedWidth), dh = Double(targetHeight - resizedHeight)
        if minimalPadding {
            dw = dw.truncatingRemainder(dividingBy: Double(stride))
            dh = dh.truncatingRemainder(dividingBy: Double(stride))
        }
        dw /= 2
        dh /= 2
        left = Int((dw - 0.1).rounded(.toNearestOrEven))
        top = Int((dh - 0.1).rounded(.toNearestOrEven))
        width = resizedWidth + left + Int((dw + 0.1).rounded(.toNearestOrEven))
        height = resizedHeight + top + Int((dh + 0.1).rounded(.toNearestOrEven))
    }

    /// A box (x1, y1, x2, y2) in model-input pixels mapped to original-image pixels, clipped to the image.
    public func toSource(_ box: (Double, Double, Double, Double)) -> (Double, Double, Double, Double) {
        func clip(_ v: Double, _ limit: Int) -> Double { min(max(v, 0), Double(limit)) }
        return (clip((box.0 - Double(left)) / scale, sourceWidth), clip((box.1 - Double(top)) / scale, sourceHeight),
                clip((box.2 - Double(left)) / scale, sourceWidth), clip((box.3 - Double(top)) / scale, sourceHeight))
    }

    /// Writes the letterboxed image as planar float channels scaled to [0, 1] (the models' input). `image` may
    /// be any size of the source's aspect ratio (an IR frame of a lower resolution): it is resized straight into
    /// the letterbox, never through the source size. A gray image fills `grayPlanes` planes with its values.
    public func render(_ image: Image, into planes: UnsafeMutablePointer<Float>, grayPlanes: Int = 3) {
        let planeSize = width * height
        let channels = image.channels
        let outputPlanes = image.format == .gray ? grayPlanes : 3
        fillPadding(planes, planes: outputPlanes)
        if image.width == resizedWidth && image.height == resizedHeight {
            return copyUnscaled(image, into: planes, outputPlanes: outputPlanes)
        }
        // Source offsets and weights per output column, as flat arrays the inner loops read without checks.
        let xs = Self.taps(source: image.width, destination: resizedWidth)
        let ys = Self.taps(source: image.height, destination: resizedHeight)
        let firstOffsets = xs.map { Int32($0.index * channels) }
        let secondOffsets = xs.map { Int32(min($0.index + 1, image.width - 1) * channels) }
        let weights = xs.map(\.weight)
        // Two passes: each source row is interpolated horizontally once (cached while consecutive output rows
        // share it) into one row per channel, then output rows blend two such rows straight into the planes.
        let columns = resizedWidth
        let rowLength = columns * channels
        let sourceLength = image.width * channels
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * rowLength + sourceLength)
        defer { scratch.deallocate() }
        var upper = scratch, lower = scratch + rowLength
        // A source row converted to floats in one vectorized pass, so the gathering loops below load floats
        // instead of converting every tap's byte on its own.
        let sourceFloats = scratch + 2 * rowLength
        var cachedUpper = -1, cachedLower = -1
        image.pixels.withUnsafeBufferPointer { pixels in
            firstOffsets.withUnsafeBufferPointer { first in
                secondOffsets.withUnsafeBufferPointer { second in
                    weights.withUnsafeBufferPointer { weight in
                        func horizontal(_ sourceRow: Int, into out: UnsafeMutablePointer<Float>) {
                            let bytes = pixels.baseAddress! + sourceRow * sourceLength
                            for i in 0..<sourceLength { sourceFloats[i] = Float(bytes[i]) }
                            let row = UnsafePointer(sourceFloats)
                            if channels == 1 {
                                for x in 0..<columns {
                                    let p = row[Int(first[x])], q = row[Int(second[x])]
                                    out[x] = p + (q - p) * weight[x]
                                }
                            } else {
                                let green = out + columns, blue = out + 2 * columns
                                for x in 0..<columns {
                                    let a = row + Int(first[x]), b = row + Int(second[x]), w = weight[x]
                                    out[x] = a[0] + (b[0] - a[0]) * w
                                    green[x] = a[1] + (b[1] - a[1]) * w
                                    blue[x] = a[2] + (b[2] - a[2]) * w
                                }
                            }
                        }
                        for (y, tap) in ys.enumerated() {
                            let next = min(tap.index + 1, image.height - 1)
                            if cachedUpper != tap.index {
                                if cachedLower == tap.index {
                                    swap(&upper, &lower)
                                    cachedLower = -1
                                } else {
                                    horizontal(tap.index, into: upper)
                                }
                                cachedUpper = tap.index
                            }
                            if cachedLower != next { horizontal(next, into: lower); cachedLower = next }
                            let w = tap.weight
                            let outRow = (top + y) * width + left
                            for channel in 0..<channels {
                                let u = upper + channel * columns, l = lower + channel * columns
                                let out = planes + channel * planeSize + outRow
                                for x in 0..<columns {
                                    // Rounded to 8 bits like the reference's uint8 resize, then scaled.
                                    out[x] = roundedLevel(u[x] + (l[x] - u[x]) * w)
                                }
                            }
                            // A gray frame's values go to the other planes as they are.
                            if channels == 1 {
                                for plane in 1..<max(outputPlanes, 1) { (planes + plane * planeSize + outRow).update(from: planes + outRow, count: columns) }
                            }
                        }
                    }
                }
            }
        }
    }

    /// An image already at the letterbox's inner size (a 640x512 thermal frame into a 640 model): every tap of
    /// the resize would land on a pixel with weight 0, so the pixels are converted and spread over the planes.
    private func copyUnscaled(_ image: Image, into planes: UnsafeMutablePointer<Float>, outputPlanes: Int) {
        let planeSize = width * height
        let columns = resizedWidth
        image.pixels.withUnsafeBufferPointer { pixels in
            for y in 0..<resizedHeight {
                let row = pixels.baseAddress! + y * columns * image.channels
                let outRow = (top + y) * width + left
                if image.channels == 1 {
                    let first = planes + outRow
                    for x in 0..<columns { first[x] = Float(row[x]) * (1 / 255) }
                    for plane in 1..<max(outputPlanes, 1) { (planes + plane * planeSize + outRow).update(from: first, count: columns) }
                } else {
                    for plane in 0..<3 {
                        let out = planes + plane * planeSize + outRow
                        for x in 0..<columns { out[x] = Float(row[x * 3 + plane]) * (1 / 255) }
                    }
                }
            }
        }
    }

    /// Writes the pad value around the image area only (the image rows are written by the caller).
    func fillPadding(_ planes: UnsafeMutablePointer<Float>, planes count: Int) {
        let pad = Float(Self.padValue) / 255
        let planeSize = width * height
        let right = width - left - resizedWidth
        for plane in 0..<count {
            let base = planes + plane * planeSize
            base.update(repeating: pad, count: top * width)
            let bottom = top + resizedHeight
            (base + bottom * width).update(repeating: pad, count: (height - bottom) * width)
            for row in top..<bottom {
                (base + row * width).update(repeating: pad, count: left)
                (base + row * width + left + resizedWidth).update(repeating: pad, count: right)
            }
        }
    }

    /// Bilinear source taps with pixel centres aligned (OpenCV's INTER_LINEAR convention).
    static func taps(source: Int, destination: Int) -> [(index: Int, weight: Float)] {
        let ratio = Double(source) / Double(destination)
        return (0..<destination).map { d in
            let position = (Double(d) + 0.5) * ratio - 0.5
            var index = Int(position.rounded(.down))
            var weight = Float(position - Double(index))
            if index < 0 { index = 0; weight = 0 }
            if index >= source - 1 { index = source - 1; weight = 0 }
            return (index, weight)
        }
    }
}

/// An interpolated 0...255 value rounded half up to a whole level (OpenCV's fixed-point resize rounds so), then
/// scaled to 0...1. floor(v + 0.5) by adding and subtracting 2^23 (round to nearest) and stepping down where that
/// rounded up: plain float arithmetic the compiler vectorizes, where `Int32(_:)` checks every lane for overflow
/// and `rounded(.down)` calls libm on baseline x86-64. Exact for 0 <= v < 2^22.
@inline(__always)
func roundedLevel(_ value: Float) -> Float {
    let shifted = value + 0.5
    let nearest = (shifted + 8_388_608) - 8_388_608
    return (nearest > shifted ? nearest - 1 : nearest) * (1 / 255)
}
