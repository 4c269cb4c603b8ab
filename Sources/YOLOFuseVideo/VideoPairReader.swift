public import YOLOFuseVision

/// Pairs an RGB video with an IR video of the same scene by timestamp: each RGB frame (every `stride`-th) gets
/// the IR frame nearest in time. Cameras rarely share a frame rate or start on the same instant.
public final class VideoPairReader {
    public struct Pair: Sendable {
        public var index: Int
        public var time: Double
        public var rgb: Image
        public var ir: Image
        /// IR time minus RGB time, seconds.
        public var skew: Double
    }

    public let rgb: VideoReader
    public let ir: VideoReader
    public let stride: Int
    /// Largest time gap accepted between paired frames.
    public let maxSkew: Double

    private var current: VideoReader.Frame?
    private var upcoming: VideoReader.Frame?
    private var rgbIndex = 0
    private var emitted = 0

    public init(rgb: VideoReader, ir: VideoReader, stride: Int = 1, maxSkew: Double = 0.25) throws {
        guard stride >= 1 else { throw VideoError("stride must be at least 1") }
        self.rgb = rgb
        self.ir = ir
        self.stride = stride
        self.maxSkew = maxSkew
    }

    /// The next pair, or nil when either video ends.
    public func next() throws -> Pair? {
        while let frame = try rgb.next() {
            defer { rgbIndex += 1 }
            guard rgbIndex % stride == 0 else { continue }
            if current == nil { current = try ir.next(); upcoming = try ir.next() }
            while let later = upcoming, later.time <= frame.time {
                current = later
                upcoming = try ir.next()
            }
            guard let before = current else { return nil }
            var chosen = before
            if let after = upcoming, abs(after.time - frame.time) < abs(before.time - frame.time) { chosen = after }
            if abs(chosen.time - frame.time) > maxSkew {
                if upcoming == nil && chosen.time < frame.time { return nil }  // the IR video has ended
                continue  // no IR frame near this RGB frame (a gap): skip it rather than pair unrelated frames
            }
            defer { emitted += 1 }
            return Pair(index: rgbIndex, time: frame.time, rgb: frame.image, ir: chosen.image, skew: chosen.time - frame.time)
        }
        return nil
    }
}
