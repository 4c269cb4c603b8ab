internal import CFFmpeg
public import YOLOFuseVision

/// Encodes RGB frames into a video file (H.264 when the FFmpeg build has it, else MPEG-4 Part 2).
public final class VideoWriter {
    public let path: String
    public let width: Int
    public let height: Int

    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private let stream: UnsafeMutablePointer<AVStream>
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var scaler: OpaquePointer?
    private var nextIndex: Int64 = 0
    private var closed = false

    /// Frames must be `width` x `height`; odd sizes are rounded down to even (4:2:0 video needs even sizes).
    public init(path: String, width: Int, height: Int, frameRate: Double) throws {
        self.path = path
        _ = FFmpeg.quiet
        self.width = width & ~1
        self.height = height & ~1
        guard self.width > 0, self.height > 0 else { throw VideoError("\(path): frame size \(width)x\(height) is too small") }
        var format: UnsafeMutablePointer<AVFormatContext>?
        try FFmpeg.check(avformat_alloc_output_context2(&format, nil, nil, path), "\(path): unknown output container (use .mp4 or .mkv)")
        self.format = format
        guard let encoder = avcodec_find_encoder_by_name("libx264") ?? avcodec_find_encoder(AV_CODEC_ID_MPEG4),
              let stream = avformat_new_stream(format, nil) else {
            avformat_free_context(format)
            throw VideoError("\(path): no video encoder available")
        }
        self.stream = stream
        codec = avcodec_alloc_context3(encoder)
        let rate = av_d2q(frameRate > 0 ? frameRate : 25, 1000)
        codec!.pointee.width = Int32(self.width)
        codec!.pointee.height = Int32(self.height)
        codec!.pointee.pix_fmt = AV_PIX_FMT_YUV420P
        codec!.pointee.time_base = AVRational(num: rate.den, den: rate.num)
        codec!.pointee.framerate = rate
        codec!.pointee.gop_size = 12
        codec!.pointee.bit_rate = Int64(self.width * self.height) * 4
        codec!.pointee.thread_count = 1
        if format!.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 {
            codec!.pointee.flags |= Int32(AV_CODEC_FLAG_GLOBAL_HEADER)
        }
        do {
            try FFmpeg.check(avcodec_open2(codec, encoder, nil), "\(path): cannot open the encoder")
            try FFmpeg.check(avcodec_parameters_from_context(stream.pointee.codecpar, codec), "\(path): encoder parameters")
            stream.pointee.time_base = codec!.pointee.time_base
            try FFmpeg.check(avio_open(&format!.pointee.pb, path, AVIO_FLAG_WRITE), "\(path): cannot create the file")
            try FFmpeg.check(avformat_write_header(format, nil), "\(path): cannot write the header")
        } catch {
            avcodec_free_context(&codec)
            if format?.pointee.pb != nil { avio_closep(&format!.pointee.pb) }
            avformat_free_context(format)
            self.format = nil
            throw error
        }
        frame = av_frame_alloc()
        frame!.pointee.format = AV_PIX_FMT_YUV420P.rawValue
        frame!.pointee.width = Int32(self.width)
        frame!.pointee.height = Int32(self.height)
        av_frame_get_buffer(frame, 0)
        packet = av_packet_alloc()
    }

    public func write(_ image: Image) throws {
        guard !closed else { throw VideoError("\(path): the writer is closed") }
        let rgb = image.toRGB()
        guard rgb.width >= width, rgb.height >= height else {
            throw VideoError("\(path): frame is \(rgb.width)x\(rgb.height), the video is \(width)x\(height)")
        }
        av_frame_make_writable(frame)
        scaler = sws_getCachedContext(scaler, Int32(width), Int32(height), AV_PIX_FMT_RGB24, Int32(width), Int32(height),
                                      AV_PIX_FMT_YUV420P, Int32(SWS_BILINEAR), nil, nil, nil)
        rgb.pixels.withUnsafeBufferPointer { pixels in
            var source: [UnsafePointer<UInt8>?] = [pixels.baseAddress, nil, nil, nil]
            var strides: [Int32] = [Int32(rgb.width * 3), 0, 0, 0]
            _ = sws_scale(scaler, &source, &strides, 0, Int32(height),
                          yolofuse_frame_data(frame), yolofuse_frame_linesize(frame))
        }
        frame!.pointee.pts = nextIndex
        nextIndex += 1
        try FFmpeg.check(avcodec_send_frame(codec, frame), "\(path): encoding failed")
        try drain()
    }

    private func drain() throws {
        while true {
            let received = avcodec_receive_packet(codec, packet)
            if received == FFmpeg.again || received == FFmpeg.endOfFile { return }
            try FFmpeg.check(received, "\(path): encoding failed")
            // Every frame lasts one tick; without it MP4 drops the last frame's sample from its edit list.
            if packet!.pointee.duration == 0 { packet!.pointee.duration = 1 }
            av_packet_rescale_ts(packet, codec!.pointee.time_base, stream.pointee.time_base)
            packet!.pointee.stream_index = stream.pointee.index
            try FFmpeg.check(av_interleaved_write_frame(format, packet), "\(path): writing failed")
        }
    }

    /// Flushes the encoder and writes the trailer; the file is complete only after this.
    public func finish() throws {
        guard !closed else { return }
        closed = true
        avcodec_send_frame(codec, nil)
        try drain()
        try FFmpeg.check(av_write_trailer(format), "\(path): cannot finish the file")
    }

    deinit {
        if !closed { try? finish() }
        av_frame_free(&frame)
        av_packet_free(&packet)
        sws_freeContext(scaler)
        avcodec_free_context(&codec)
        if format?.pointee.pb != nil { avio_closep(&format!.pointee.pb) }
        avformat_free_context(format)
    }
}
