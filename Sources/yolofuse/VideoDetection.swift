import Foundation
import YOLOFuseDetect
import YOLOFuseEngine
import YOLOFuseVideo
import YOLOFuseVision

/// Video mode of `yolofuse detect`: RGB and IR videos paired by timestamp, detections per frame as JSON lines,
/// an annotated video, progress on standard error. The next pairs are decoded while the current ones are detected
/// (see `PairSchedule`).
struct VideoDetection {
    let rgbPath: String
    let irPath: String
    let stride: Int
    let output: String?
    let sideBySide: Bool
    let json: Bool

    /// Holds the readers for the decoding jobs. `@unchecked Sendable`: only one job touches them at a time
    /// (each decode is awaited before the next starts).
    final class Source: @unchecked Sendable {
        let pairs: VideoPairReader
        init(_ pairs: VideoPairReader) { self.pairs = pairs }
    }

    /// The annotated video. `@unchecked Sendable`: frames are written one at a time, each awaited.
    final class Annotated: @unchecked Sendable {
        let writer: VideoWriter
        init(_ writer: VideoWriter) { self.writer = writer }
    }

    struct DecodedPair: Sendable {
        var index: Int
        var time: Double
        var skew: Double
        var rgb: Image
        var ir: Image
    }

    func run(detector: any PairDetector, options: DetectionOptions, executor: ComputeExecutor) async throws {
        let rgb = try VideoReader(path: rgbPath), ir = try VideoReader(path: irPath)
        let source = Source(try VideoPairReader(rgb: rgb, ir: ir, stride: stride))
        let annotated = try output.map { path in
            Annotated(try VideoWriter(path: path, width: sideBySide ? rgb.width * 2 : rgb.width, height: rgb.height,
                            frameRate: (rgb.frameRate > 0 ? rgb.frameRate : 25) / Double(stride)))
        }
        let expected = rgb.frameRate > 0 && rgb.duration > 0 ? Int(rgb.frameRate * rgb.duration) / stride : 0
        var progress = ProgressBar(total: expected, quiet: json)
        let started = ContinuousClock.now
        var count = 0
        @Sendable func decode() throws -> DecodedPair? {
            try source.pairs.next().map { DecodedPair(index: $0.index, time: $0.time, skew: $0.skew, rgb: $0.rgb, ir: $0.ir) }
        }
        let schedule = PairSchedule(detector: detector)
        try await InOrderPipeline.run(inFlight: schedule.inFlight, next: {
            try await executor.run(threads: 1, decode)
        }, work: { pair in
            try await detector.detect([DetectionInput(rgb: pair.rgb, ir: pair.ir)], options: options, threads: schedule.threads)[0]
        }, consume: { pair, result in
            if json {
                print(try ResultJSON.encode(result, model: "video", name: String(format: "frame %d t=%.3f skew=%.3f", pair.index, pair.time, pair.skew)))
            }
            if let annotated {
                try await executor.run(threads: 1) {
                    try annotated.writer.write(Annotator.annotate(pair.rgb, with: result.detections, ir: sideBySide ? pair.ir : nil))
                }
            }
            count += 1
            progress.advance(by: 1)
        })
        try annotated?.writer.finish()
        progress.finish()
        let seconds = (ContinuousClock.now - started).seconds
        FileHandle.standardError.write(Data(String(format: "%d pairs in %.2f s (%.1f pairs/s)\n", count, seconds, Double(count) / max(seconds, 1e-9)).utf8))
    }
}
