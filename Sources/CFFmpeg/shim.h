#ifndef YOLOFUSE_CFFMPEG_SHIM_H
#define YOLOFUSE_CFFMPEG_SHIM_H
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/imgutils.h>
#include <libavutil/error.h>

// FFmpeg's error codes and a few field accesses are macros or fixed arrays that Swift cannot use directly.
static inline int yolofuse_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int yolofuse_averror_eof(void) { return AVERROR_EOF; }
static inline const char *yolofuse_av_err2str(int code, char *buffer, size_t size) {
    av_strerror(code, buffer, size);
    return buffer;
}
static inline uint8_t *const *yolofuse_frame_data(const AVFrame *frame) { return (uint8_t *const *)frame->data; }
static inline const int *yolofuse_frame_linesize(const AVFrame *frame) { return frame->linesize; }
#endif
