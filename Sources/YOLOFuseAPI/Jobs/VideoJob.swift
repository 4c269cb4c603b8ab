import Foundation
import YOLOFuseDetect
import YOLOFuseEngine
import YOLOFuseStore
import YOLOFuseVideo
import YOLOFuseVision

/// A video pair job: where its videos live, the check made before it is accepted, and what its run reads and writes.
enum VideoJob {
    static func rgbKey(_ prefix: String) -> String { prefix + "/rgb.video" }
    static func irKey(_ prefix: String) -> String { prefix + "/ir.video" }
    static func annotatedKey(_ prefix: String) -> String { prefix + "/annotated.mp4" }

    /// Opens both videos and reads their first pair, on an engine thread; a 422 names the video that fails.
    static func checkVideos(in prefix: String, blobs: BlobStore, executor: ComputeExecutor) async throws {
        try await executor.run(threads: 1) {
            let rgb = try open(blobs.url(rgbKey(prefix)), field: "rgb_video")
            let ir = try open(blobs.url(irKey(prefix)), field: "ir_video")
            do {
                guard try VideoPairReader(rgb: rgb, ir: ir).next() != nil else {
                    throw APIError(.unprocessable, "the videos have no frames that pair up in time", field: "ir_video")
                }
            } catch let error as VideoError {
                throw APIError(.unprocessable, "the videos cannot be paired: \(error)", field: "ir_video")
            }
        }
    }

    private static func open(_ url: URL, field: String) throws -> VideoReader {
        do { return try VideoReader(path: url.path) } catch {
            throw APIError(.unprocessable, "the '\(field)' part is not a readable video: \(error)", field: field)
        }
    }

    /// The readers for the decoding jobs. `@unchecked Sendable`: one decode at a time touches them (each is
    /// awaited before the next starts).
    final class Source: @unchecked Sendable {
        let pairs: VideoPairReader
        /// Frame pairs expected from the RGB video's length and the stride (nil when the container does not say).
        let expected: Int?

        init(rgb: URL, ir: URL, stride: Int) throws {
            do {
                let rgbReader = try VideoReader(path: rgb.path), irReader = try VideoReader(path: ir.path)
                pairs = try VideoPairReader(rgb: rgbReader, ir: irReader, stride: stride)
                let frames = rgbReader.frameRate * rgbReader.duration
                expected = frames > 0 ? Int((frames / Double(stride)).rounded(.up)) : nil
            } catch let error as VideoError {
                throw JobRunner.InputError(description: "\(error)")
            }
        }

        func next() throws -> VideoPairReader.Pair? {
            do { return try pairs.next() } catch let error as VideoError { throw JobRunner.InputError(description: "\(error)") }
        }
    }

    /// The annotated video being written. `@unchecked Sendable`: frames are written one at a time, each awaited.
    final class AnnotatedVideo: @unchecked Sendable {
        let writer: VideoWriter
        let sideBySide: Bool

        /// `path` must end in .mp4 (the container is chosen by the extension).
        init(path: String, rgb: VideoReader, stride: Int, sideBySide: Bool) throws {
            let frameRate = (rgb.frameRate > 0 ? rgb.frameRate : 25) / Double(stride)
            writer = try VideoWriter(path: path, width: sideBySide ? rgb.width * 2 : rgb.width, height: rgb.height, frameRate: frameRate)
            self.sideBySide = sideBySide
        }

        func write(_ pair: VideoPairReader.Pair, _ detections: [Detection]) throws {
            try writer.write(Annotator.annotate(pair.rgb, with: detections, ir: sideBySide ? pair.ir : nil))
        }
    }

    /// One line of the result: a `VideoFrameResult` of the contract.
    struct FrameLine: Encodable {
        let frame: Int
        let time: Double
        let skew: Double
        let result: Components.Schemas.DetectionResult
    }
}
