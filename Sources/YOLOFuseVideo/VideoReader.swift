internal import CFFmpeg
public import YOLOFuseVision

/// Decodes a video file frame by frame into RGB images with their presentation times.
/// Not thread-safe: one reader is used by one task at a time.
public final class VideoReader {
    public struct Frame {
        public var image: Image
        /// Presentation time in seconds from the stream's start.
        public var time: Double
    }

    public let path: String
    public let width: Int
    public let height: Int
    /// Frames per second as the container states it (0 when unknown).
    public let frameRate: Double
    /// Duration in seconds (0 when unknown).
    public let duration: Double

    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private let packet: UnsafeMutablePointer<AVPacket>
    private let frame: UnsafeMutablePointer<AVFrame>
    private var scaler: OpaquePointer?
    private let streamIndex: Int32
    private let timeBase: Double
    private var startTime: Int64 = Int64.min
    private var draining = false
    private var finished = false

    public init(path: String) throws {
        self.path = path
        _ = FFmpeg.quiet
        var format: UnsafeMutablePointer<AVFormatContext>?
        try FFmpeg.check(avformat_open_input(&format, path, nil, nil), "\(path): cannot open the video")
        self.format = format
        guard avformat_find_stream_info(format, nil) >= 0 else {
            avformat_close_input(&self.format)
            throw VideoError("\(path): cannot read the stream information")
        }
        var decoder: UnsafePointer<AVCodec>?
        let index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0)
        guard index >= 0, let decoder else {
            avformat_close_input(&self.format)
            throw VideoError("\(path): no decodable video stream")
        }
        streamIndex = index
        let stream = format!.pointee.streams[Int(index)]!
        codec = avcodec_alloc_context3(decoder)
        avcodec_parameters_to_context(codec, stream.pointee.codecpar)
        codec!.pointee.thread_count = 1  // the engine owns the cores; decoding stays on one
        guard avcodec_open2(codec, decoder, nil) >= 0 else {
            avcodec_free_context(&codec)
            avformat_close_input(&self.format)
            throw VideoError("\(path): cannot open the video decoder")
        }
        width = Int(codec!.pointee.width)
        height = Int(codec!.pointee.height)
        timeBase = av_q2d(stream.pointee.time_base)
        let rate = stream.pointee.avg_frame_rate
        frameRate = rate.den > 0 ? av_q2d(rate) : 0
        duration = format!.pointee.duration > 0 ? Double(format!.pointee.duration) / Double(AV_TIME_BASE) : 0
        packet = av_packet_alloc()
        frame = av_frame_alloc()
    }

    deinit {
        var packet: UnsafeMutablePointer<AVPacket>? = self.packet
        av_packet_free(&packet)
        var frame: UnsafeMutablePointer<AVFrame>? = self.frame
        av_frame_free(&frame)
        sws_freeContext(scaler)
        avcodec_free_context(&codec)
        avformat_close_input(&format)
    }

    /// The next frame, or nil at the end of the stream.
    public func next() throws -> Frame? {
        while !finished {
            let received = avcodec_receive_frame(codec, frame)
            if received == 0 { return try convert() }
            if received == FFmpeg.endOfFile { finished = true; break }
            guard received == FFmpeg.again else { throw VideoError("\(path): decoding failed: \(FFmpeg.describe(received))") }
            if draining { finished = true; break }
            let read = av_read_frame(format, packet)
            if read < 0 {
                // End of file (or a truncated file): flush the decoder for the frames it still holds.
                draining = true
                avcodec_send_packet(codec, nil)
                continue
            }
            defer { av_packet_unref(packet) }
            guard packet.pointee.stream_index == streamIndex else { continue }
            let sent = avcodec_send_packet(codec, packet)
            if sent < 0 && sent != FFmpeg.again { throw VideoError("\(path): corrupt video data: \(FFmpeg.describe(sent))") }
        }
        return nil
    }

    private func convert() throws -> Frame {
        defer { av_frame_unref(frame) }
        let (w, h) = (Int32(frame.pointee.width), Int32(frame.pointee.height))
        scaler = sws_getCachedContext(scaler, w, h, AVPixelFormat(frame.pointee.format), w, h, AV_PIX_FMT_RGB24,
                                      Int32(SWS_BILINEAR), nil, nil, nil)
        guard scaler != nil else { throw VideoError("\(path): unsupported pixel format \(frame.pointee.format)") }
        var pixels = [UInt8](repeating: 0, count: Int(w) * Int(h) * 3)
        pixels.withUnsafeMutableBufferPointer { out in
            var planes: [UnsafeMutablePointer<UInt8>?] = [out.baseAddress, nil, nil, nil]
            var strides: [Int32] = [w * 3, 0, 0, 0]
            _ = sws_scale(scaler, yolofuse_frame_data(frame).withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { $0 },
                          yolofuse_frame_linesize(frame), 0, h, &planes, &strides)
        }
        var stamp = frame.pointee.best_effort_timestamp
        if stamp == Int64.min { stamp = frame.pointee.pts }
        if startTime == Int64.min { startTime = stamp == Int64.min ? 0 : stamp }
        let time = stamp == Int64.min ? 0 : Double(stamp - startTime) * timeBase
        return Frame(image: Image(width: Int(w), height: Int(h), format: .rgb, pixels: pixels), time: time)
    }
}
