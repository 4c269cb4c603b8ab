import Foundation
import Testing
import YOLOFuseVideo
import YOLOFuseVision

@Suite struct VideoTests {
    /// Frames whose brightness encodes their number, so decoded frames can be identified after lossy coding.
    func frame(_ number: Int, width: Int = 160, height: Int = 128) -> Image {
        Image(width: width, height: height, format: .rgb, fill: UInt8(20 + number * 10))
    }

    func number(of image: Image) -> Int {
        let mean = Double(image.pixels.reduce(0) { $0 + Int($1) }) / Double(image.pixels.count)
        return Int(((mean - 20) / 10).rounded())
    }

    func write(_ path: String, frames: Int, fps: Double, width: Int = 160, height: Int = 128) throws {
        let writer = try VideoWriter(path: path, width: width, height: height, frameRate: fps)
        for i in 0..<frames { try writer.write(frame(i, width: width, height: height)) }
        try writer.finish()
    }

    @Test func writeThenReadBack() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("v-\(UUID().uuidString).mp4").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try write(path, frames: 12, fps: 10)
        let reader = try VideoReader(path: path)
        #expect(reader.width == 160 && reader.height == 128)
        var frames: [VideoReader.Frame] = []
        while let frame = try reader.next() { frames.append(frame) }
        #expect(frames.count == 12)

        #expect(frames.map { number(of: $0.image) } == Array(0..<12))
        #expect(abs(frames[5].time - 0.5) < 1e-6)
    }

    @Test func pairsByNearestTimestampWithStride() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let rgbPath = directory.appendingPathComponent("rgb.mp4").path, irPath = directory.appendingPathComponent("ir.mkv").path
        try write(rgbPath, frames: 20, fps: 10)          // t = 0.0, 0.1, ... 1.9
        try write(irPath, frames: 8, fps: 4, width: 80, height: 64)  // t = 0.0, 0.25, ... 1.75
        let pairs = try VideoPairReader(rgb: VideoReader(path: rgbPath), ir: VideoReader(path: irPath), stride: 3)
        var found: [(rgb: Int, ir: Int, skew: Double)] = []
        while let pair = try pairs.next() { found.append((number(of: pair.rgb), number(of: pair.ir), pair.skew)) }
        // RGB frames 0, 3, 6, ... at t = 0, 0.3, 0.6, ...; the nearest IR frame is round(t / 0.25).
        #expect(found.map(\.rgb) == [0, 3, 6, 9, 12, 15, 18])
        #expect(found.map(\.ir) == [0, 1, 2, 4, 5, 6, 7])
        #expect(found.allSatisfy { abs($0.skew) <= 0.125 + 1e-9 })
    }

    @Test func badFilesAreErrors() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).mp4").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("this is not a video".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: VideoError.self) { _ = try VideoReader(path: path) }
        #expect(throws: VideoError.self) { _ = try VideoReader(path: "/nonexistent.mp4") }
        // A truncated file decodes what it has, then ends: no crash, no hang.
        let good = FileManager.default.temporaryDirectory.appendingPathComponent("cut-\(UUID().uuidString).mp4").path
        defer { try? FileManager.default.removeItem(atPath: good) }
        try write(good, frames: 20, fps: 10)
        let data = try Data(contentsOf: URL(fileURLWithPath: good))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        if let reader = try? VideoReader(path: path) {
            var count = 0
            while let _ = try? reader.next() { count += 1; if count > 100 { break } }
            #expect(count <= 20)
        }
    }
}
