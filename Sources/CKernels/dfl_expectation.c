#include "CKernels.h"

#include <immintrin.h>
#include <math.h>

#include "simd_exp.h"

__attribute__((target("avx512f")))
static void expectation512(const float *input, float *output, long rows, long bins, long anchors,
                           long begin, long end, const float *weights, float bias) {
    for (long row = 0; row < rows; row++) {
        const float *in = input + row * bins * anchors;
        float *out = output + row * anchors;
        for (long a = begin; a < end; a += 16) {
            const __mmask16 lanes = end - a >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (end - a)) - 1);
            __m512 high = _mm512_maskz_loadu_ps(lanes, in + a);
            for (long b = 1; b < bins; b++) high = _mm512_max_ps(high, _mm512_maskz_loadu_ps(lanes, in + b * anchors + a));
            __m512 sum = _mm512_setzero_ps(), weighted = _mm512_setzero_ps();
            for (long b = 0; b < bins; b++) {
                const __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(lanes, in + b * anchors + a), high));
                sum = _mm512_add_ps(sum, e);
                weighted = _mm512_fmadd_ps(e, _mm512_set1_ps(weights[b]), weighted);
            }
            // Masked-off lanes hold exp(0) sums, never zero, so the division is safe everywhere.
            const __m512 value = _mm512_add_ps(_mm512_div_ps(weighted, sum), _mm512_set1_ps(bias));
            _mm512_mask_storeu_ps(out + a, lanes, value);
        }
    }
}

static void expectationScalar(const float *input, float *output, long rows, long bins, long anchors,
                              long begin, long end, const float *weights, float bias) {
    for (long row = 0; row < rows; row++) {
        const float *in = input + row * bins * anchors;
        for (long a = begin; a < end; a++) {
            float high = in[a];
            for (long b = 1; b < bins; b++) high = fmaxf(high, in[b * anchors + a]);
            float sum = 0, weighted = 0;
            for (long b = 0; b < bins; b++) {
                const float e = expf(in[b * anchors + a] - high);
                sum += e;
                weighted += e * weights[b];
            }
            output[row * anchors + a] = weighted / sum + bias;
        }
    }
}

void yf_dfl_expectation(const float *input, float *output, long rows, long bins, long anchors,
                        long anchor_begin, long anchor_end, const float *weights, float bias) {
    if (anchor_end <= anchor_begin || rows <= 0 || bins <= 0) return;
    if (__builtin_cpu_supports("avx512f")) {
        expectation512(input, output, rows, bins, anchors, anchor_begin, anchor_end, weights, bias);
    } else {
        expectationScalar(input, output, rows, bins, anchors, anchor_begin, anchor_end, weights, bias);
    }
}
