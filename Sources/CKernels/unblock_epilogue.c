#include "CKernels.h"

#include <immintrin.h>
#include <math.h>

#include "simd_exp.h"

// Pixel index i of the flattened [images, pixels] range: its 16 channels of block cb start at
// blocked[((image * blocks + cb) * pixels + pixel) * 16] in nChw16c, at nhwc[i * channels + cb * 16] in NHWC.

__attribute__((target("avx512f")))
static void unblock512(const float *blocked, float *nhwc, const float *residual, long channels, long pixels,
                       long begin, long end, int swish) {
    const long blocks = channels / 16;
    for (long i = begin; i < end; i++) {
        const long image = i / pixels, pixel = i % pixels;
        const float *source = blocked + (image * blocks * pixels + pixel) * 16;
        float *target = nhwc + i * channels;
        const float *extra = residual ? residual + i * channels : 0;
        for (long cb = 0; cb < blocks; cb++) {
            __m512 x = _mm512_loadu_ps(source + cb * pixels * 16);
            if (swish) {
                const __m512 one = _mm512_set1_ps(1.0f);
                x = _mm512_div_ps(x, _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), x))));
            }
            if (extra) x = _mm512_add_ps(x, _mm512_loadu_ps(extra + cb * 16));
            _mm512_storeu_ps(target + cb * 16, x);
        }
    }
}

static void unblockScalar(const float *blocked, float *nhwc, const float *residual, long channels, long pixels,
                          long begin, long end, int swish) {
    const long blocks = channels / 16;
    for (long i = begin; i < end; i++) {
        const long image = i / pixels, pixel = i % pixels;
        for (long c = 0; c < channels; c++) {
            float x = blocked[((image * blocks + c / 16) * pixels + pixel) * 16 + c % 16];
            if (swish) x = x / (1.0f + expf(-x));
            if (residual) x += residual[i * channels + c];
            nhwc[i * channels + c] = x;
        }
    }
}

void yf_unblock_epilogue(const float *blocked, float *nhwc, const float *residual, long channels, long pixels,
                         long begin, long end, int swish) {
    if (end <= begin || channels <= 0 || channels % 16 != 0) return;
    if (__builtin_cpu_supports("avx512f")) {
        unblock512(blocked, nhwc, residual, channels, pixels, begin, end, swish);
    } else {
        unblockScalar(blocked, nhwc, residual, channels, pixels, begin, end, swish);
    }
}
