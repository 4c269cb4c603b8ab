#ifndef YOLOFUSE_CKERNELS_H
#define YOLOFUSE_CKERNELS_H

/// The expectation of DFL's per-bin distribution (Distribution Focal Loss decoding in YOLOv8/YOLO11 heads):
/// for every row (image x box side) and anchor in [anchor_begin, anchor_end),
///   output[row, a] = sum_b softmax_b(input[row, b, a]) * weights[b] + bias
/// with input laid out [rows, bins, anchors] and output [rows, anchors]. Runs at AVX-512 width where the CPU
/// has it, otherwise one anchor at a time.
void yf_dfl_expectation(const float *input, float *output, long rows, long bins, long anchors,
                        long anchor_begin, long anchor_end, const float *weights, float bias);

#endif
