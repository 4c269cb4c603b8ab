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

#endif
