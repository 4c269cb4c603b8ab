#include "CKernels.h"

#include <immintrin.h>
#include <math.h>

// exp at AVX-512 width: round(x / ln 2) with the 1.5 * 2^23 shifter, a two-part ln 2 for the remainder, Cephes'
// expf polynomial for the remainder's exponential (about 1 ulp), and 2^n built in the exponent bits.
__attribute__((target("avx512f")))
static inline __m512 exp512(__m512 x) {
    x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.3f)), _mm512_set1_ps(-87.3f));
    const __m512 shifter = _mm512_set1_ps(12582912.0f);
    const __m512 t = _mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504088896341f), shifter);
    const __m512 n = _mm512_sub_ps(t, shifter);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    const __m512i exponent = _mm512_add_epi32(_mm512_sub_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(0x4B400000)),
                                              _mm512_set1_epi32(127));
    return _mm512_mul_ps(p, _mm512_castsi512_ps(_mm512_slli_epi32(exponent, 23)));
}

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
