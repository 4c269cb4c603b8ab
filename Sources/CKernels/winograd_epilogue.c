#include "CKernels.h"

#include <immintrin.h>
#include <math.h>

#include "simd_exp.h"

// Pixel index i of the flattened [images, pixels] range: its 16 channels of block cb start at
// ((image * blocks + cb) * pixels + pixel) * 16 in nChw16c, at i * channels + cb * 16 in NHWC.

__attribute__((target("avx512f")))
static void epilogue512(const float *blocked, float *output, const float *residual, long channels, long pixels,
                        long begin, long end, int swish, int to_nhwc) {
    const long blocks = channels / 16;
    for (long i = begin; i < end; i++) {
        const long image = i / pixels, pixel = i % pixels;
        const long source = (image * blocks * pixels + pixel) * 16;
        for (long cb = 0; cb < blocks; cb++) {
            const long from = source + cb * pixels * 16, to = to_nhwc ? i * channels + cb * 16 : from;
            __m512 x = _mm512_loadu_ps(blocked + from);
            if (swish) {
                const __m512 one = _mm512_set1_ps(1.0f);
                x = _mm512_div_ps(x, _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), x))));
            }
            if (residual) x = _mm512_add_ps(x, _mm512_loadu_ps(residual + to));
            _mm512_storeu_ps(output + to, x);
        }
    }
}

static void epilogueScalar(const float *blocked, float *output, const float *residual, long channels, long pixels,
                           long begin, long end, int swish, int to_nhwc) {
    const long blocks = channels / 16;
    for (long i = begin; i < end; i++) {
        const long image = i / pixels, pixel = i % pixels;
        for (long c = 0; c < channels; c++) {
            const long from = ((image * blocks + c / 16) * pixels + pixel) * 16 + c % 16, to = to_nhwc ? i * channels + c : from;
            float x = blocked[from];
            if (swish) x = x / (1.0f + expf(-x));
            if (residual) x += residual[to];
            output[to] = x;
        }
    }
}

void yf_winograd_epilogue(const float *blocked, float *output, const float *residual, long channels, long pixels,
                          long begin, long end, int swish, int to_nhwc) {
    if (end <= begin || channels <= 0 || channels % 16 != 0) return;
    if (__builtin_cpu_supports("avx512f")) {
        epilogue512(blocked, output, residual, channels, pixels, begin, end, swish, to_nhwc);
    } else {
        epilogueScalar(blocked, output, residual, channels, pixels, begin, end, swish, to_nhwc);
    }
}
