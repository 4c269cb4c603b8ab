internal import CFFmpeg

enum FFmpeg {
    static let again = yolofuse_averror_eagain()
    static let endOfFile = yolofuse_averror_eof()
    /// Errors only on standard error: FFmpeg's default level prints encoder statistics for every video written,
    /// which a server running jobs would log endlessly. Touch it before using the libraries.
    static let quiet: Void = av_log_set_level(AV_LOG_ERROR)

    static func describe(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        return String(cString: yolofuse_av_err2str(code, &buffer, buffer.count))
    }

    static func check(_ code: Int32, _ what: @autoclosure () -> String) throws {
        guard code >= 0 else { throw VideoError("\(what()): \(describe(code))") }
    }
}
