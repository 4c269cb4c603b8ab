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

/// A pair decoded for one detector, with what is needed to report its boxes in the files' own pixels.
public struct DecodedPair: Sendable {
    public var input: DetectionInput
    /// The RGB file's full upright size (nil without an RGB image).
    public var rgbSize: (width: Int, height: Int)?
    /// Decoded size over full size (DCT scaling), per modality.
    public var rgbScale: Double
    public var irScale: Double
    public var decodeMs: Double
}

extension Detector {
    /// Decodes pairs, each image by its own single-core job. Large JPEGs are decoded at a reduced DCT scale
    /// that still covers what the model's letterbox takes (far less work for camera frames).
    public func decode(_ pairs: [EncodedPair], limits: ImageCodec.Limits = ImageCodec.Limits()) async throws -> [DecodedPair] {
        let target = (width: manifest.inputWidth, height: manifest.inputHeight)
        typealias Decoded = (image: Image, full: (width: Int, height: Int), scale: Double)
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
        return pairs.indices.map { index in
            let rgb = images[2 * index], ir = images[2 * index + 1]
            return DecodedPair(input: DetectionInput(rgb: rgb?.image, ir: ir?.image), rgbSize: rgb?.full,
                               rgbScale: rgb?.scale ?? 1, irScale: ir?.scale ?? 1, decodeMs: decodeMs)
        }
    }

    /// The options for one decoded pair: a registration (full-resolution IR pixels to full-resolution RGB
    /// pixels) is rescaled for the decoded sizes.
    public func options(_ options: DetectionOptions, for pair: DecodedPair) throws -> DetectionOptions {
        guard let registration = options.registration, pair.rgbScale != 1 || pair.irScale != 1 else { return options }
        var adjusted = options
        adjusted.registration = try registration.scaled(source: pair.irScale, destination: pair.rgbScale)
        return adjusted
    }

    /// A result for a decoded pair, reported in the RGB file's own pixels, with the decode time.
    public func finish(_ result: DetectionResult, for pair: DecodedPair) -> DetectionResult {
        var finished = result
        if let size = pair.rgbSize, size.width != result.imageWidth { finished = result.rescaled(toWidth: size.width, height: size.height) }
        finished.timings.decodeMs = pair.decodeMs
        return finished
    }

    /// Decodes and detects; boxes are reported in each file's full-resolution, upright pixels.
    public func detect(_ pairs: [EncodedPair], options: DetectionOptions = DetectionOptions(),
                       limits: ImageCodec.Limits = ImageCodec.Limits(), threads: Int? = nil) async throws -> [DetectionResult] {
        let decoded = try await decode(pairs, limits: limits)
        let results = try await detect(decoded.map(\.input), eachWith: try decoded.map { try self.options(options, for: $0) }, threads: threads)
        return zip(results, decoded).map { finish($0, for: $1) }
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
