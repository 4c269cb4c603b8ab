#ifndef YOLOFUSE_CKERNELS_H
#define YOLOFUSE_CKERNELS_H

/// The expectation of DFL's per-bin distribution (Distribution Focal Loss decoding in YOLOv8/YOLO11 heads):
/// for every row (image x box side) and anchor in [anchor_begin, anchor_end),
///   output[row, a] = sum_b softmax_b(input[row, b, a]) * weights[b] + bias
/// with input laid out [rows, bins, anchors] and output [rows, anchors]. Runs at AVX-512 width where the CPU
/// has it, otherwise one anchor at a time.
void yf_dfl_expectation(const float *input, float *output, long rows, long bins, long anchors,
                        long anchor_begin, long anchor_end, const float *weights, float bias);

/// The epilogue of a convolution whose kernel writes oneDNN's nChw16c blocking (16 channels innermost, in blocks)
/// and takes no SiLU post-op (Winograd): for the pixels [begin, end) of the flattened [images, pixels] range,
///   output[i, c] = silu(blocked[i, c]) + residual[i, c]
/// with SiLU only when `swish` is non-zero and the residual only when it is not NULL. The output and the residual
/// are NHWC when `to_nhwc` is non-zero, else nChw16c like the input. `channels` must be a multiple of 16.
void yf_winograd_epilogue(const float *blocked, float *output, const float *residual, long channels, long pixels,
                          long begin, long end, int swish, int to_nhwc);

/// Widest horizontal kernel the planar convolution takes.
#define YF_PLANAR_MAX_KERNEL 8

/// Some channels of a planar (NCHW) map: a whole tensor, or a channel range of one read in place.
typedef struct {
    const float *base;   // the first channel, image 0
    long channels;
    long image_stride;   // floats from one image to the next
} yf_planar_segment;

/// A direct convolution on planar maps with few channels. Its input is the segments' channels in order (a
/// concatenation read in place); weights packed by `yf_planar_pack_weights`. Output and residual are planar, or
/// NHWC when `output_nhwc` is non-zero: output = silu(conv + bias) + residual, SiLU only when `swish` is non-zero.
typedef struct {
    const yf_planar_segment *segments;
    long segment_count;
    long in_height, in_width;
    long out_channels, out_height, out_width;
    long kernel_height, kernel_width, stride, pad_top, pad_left;
    const float *weights;
    const float *bias;
    int swish;
    float *output;
    long output_image_stride;
    int output_nhwc;
    const float *residual;
    long residual_image_stride;
} yf_planar_conv_params;

/// Whether this CPU runs `yf_planar_conv` at vector width (AVX-512); elsewhere it falls back to scalar loops.
int yf_planar_supported(void);
/// Output channels per register group: 4, 8 or 16.
long yf_planar_group_width(long out_channels);
/// Floats of packed weights: per group of output channels, [in channel][kernel row][kernel column][group width].
long yf_planar_packed_count(long out_channels, long in_channels, long kernel_height, long kernel_width);
/// Packs OIHW weights for `yf_planar_conv`, zero-filling the last group.
void yf_planar_pack_weights(const float *weights, float *packed, long out_channels, long in_channels, long kernel_height,
                            long kernel_width);
/// Computes the output rows [row_begin, row_end) of the flattened [images, out_height] range. Stride 1 or 2 in
/// both directions, kernels up to YF_PLANAR_MAX_KERNEL wide.
void yf_planar_conv(const yf_planar_conv_params *params, long row_begin, long row_end);

#endif
