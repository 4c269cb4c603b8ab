public import Foundation
public import YOLOFuseVision
import YOLOFuseEngine

/// An image pair as uploaded: encoded JPEG or PNG bytes, with names for error messages.
public struct EncodedPair: Sendable {
    public var rgb: Data?
    public var ir: Data?
    public var rgbName: String
    public var irName: String

    public init(rgb: Data?, ir: Data?, rgbName: String = "rgb", irName: String = "ir") {
        self.rgb = rgb
        self.ir = ir
        self.rgbName = rgbName
        self.irName = irName
    }
}

extension Detector {
    /// Decodes and detects. Large JPEGs are decoded at a reduced DCT scale that still covers the model's input
    /// (far less work for camera frames); boxes are reported in each file's full-resolution, upright pixels.
    public func detect(_ pairs: [EncodedPair], options: DetectionOptions = DetectionOptions(),
                       limits: ImageCodec.Limits = ImageCodec.Limits()) async throws -> [DetectionResult] {
        let target = (width: manifest.inputWidth, height: manifest.inputHeight)
        typealias Decoded = (image: Image, full: (width: Int, height: Int), scale: Double)
        // Every image is decoded by its own single-core job: RGB and IR of a pair on two cores at once.
        let start = ContinuousClock.now
        let images = try await withThrowingTaskGroup(of: (Int, Decoded?).self) { group in
            for (index, pair) in pairs.enumerated() {
                for (slot, data, name) in [(0, pair.rgb, pair.rgbName), (1, pair.ir, pair.irName)] {
                    group.addTask { [executor] in
                        guard let data else { return (2 * index + slot, nil) }
                        let decoded = try await executor.run(threads: 1) { () throws -> Decoded in
                            let full = try ImageCodec.uprightSize(data, name: name)
                            let image = try ImageCodec.decode(data, name: name, limits: limits, fitting: target)
                            return (image, full, Double(image.width) / Double(full.width))
                        }
                        return (2 * index + slot, decoded)
                    }
                }
            }
            var slots = [Decoded?](repeating: nil, count: 2 * pairs.count)
            for try await (slot, decoded) in group { slots[slot] = decoded }
            return slots
        }
        let decodeMs = (ContinuousClock.now - start).milliseconds / Double(max(pairs.count, 1))
        let frames = pairs.indices.map { index in
            let rgb = images[2 * index], ir = images[2 * index + 1]
            return (input: DetectionInput(rgb: rgb?.image, ir: ir?.image), rgbFull: rgb?.full, rgbScale: rgb?.scale ?? 1, irScale: ir?.scale ?? 1)
        }
        let decoded = (frames, decodeMs)
        var perPairOptions = options
        if let registration = options.registration, decoded.0.contains(where: { $0.rgbScale != 1 || $0.irScale != 1 }) {
            // The registration maps full-resolution IR pixels to full-resolution RGB pixels: rescale it for the
            // decoded sizes (all pairs of a call share one registration, and one camera pair's sizes).
            let first = decoded.0[0]
            perPairOptions.registration = try registration.scaled(source: first.irScale, destination: first.rgbScale)
        }
        var results = try await detect(decoded.0.map(\.input), options: perPairOptions)
        for index in results.indices {
            results[index].timings.decodeMs = decoded.1
            if let (width, height) = decoded.0[index].rgbFull.map({ ($0.width, $0.height) }), width != results[index].imageWidth {
                results[index] = results[index].rescaled(toWidth: width, height: height)
            }
        }
        return results
    }
}

extension DetectionResult {
    /// The same detections for the image at another resolution (after DCT-scaled decoding).
    public func rescaled(toWidth width: Int, height: Int) -> DetectionResult {
        let sx = Double(width) / Double(imageWidth), sy = Double(height) / Double(imageHeight)
        var copy = self
        copy.imageWidth = width
        copy.imageHeight = height
        copy.detections = detections.map { d in
            var scaled = d
            scaled.box = BoundingBox(x1: d.box.x1 * sx, y1: d.box.y1 * sy, x2: d.box.x2 * sx, y2: d.box.y2 * sy)
            return scaled
        }
        return copy
    }
}
