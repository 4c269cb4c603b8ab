#include "CKernels.h"

#include <immintrin.h>
#include <math.h>

#include "simd_exp.h"

// Input rows one output row reads (input channels x kernel rows) that the vector path takes.
#define YF_PLANAR_MAX_ROWS 2048

// Direct convolution on planar (NCHW) maps with few channels, vectorised along the output row: 16 output pixels
// of one channel per vector, a group of G output channels (4, 8 or 16) accumulated in registers, one weight
// broadcast per multiply-add. Zero padding comes from masked loads, which never touch the masked-off addresses.

int yf_planar_supported(void) { return __builtin_cpu_supports("avx512f"); }

long yf_planar_group_width(long out_channels) {
    return out_channels <= 4 ? 4 : out_channels <= 8 ? 8 : 16;
}

long yf_planar_packed_count(long out_channels, long in_channels, long kernel_height, long kernel_width) {
    const long width = yf_planar_group_width(out_channels);
    const long groups = (out_channels + width - 1) / width;
    return groups * in_channels * kernel_height * kernel_width * width;
}

void yf_planar_pack_weights(const float *weights, float *packed, long out_channels, long in_channels, long kernel_height,
                            long kernel_width) {
    const long width = yf_planar_group_width(out_channels);
    const long taps = kernel_height * kernel_width;
    const long groups = (out_channels + width - 1) / width;
    for (long group = 0; group < groups; group++) {
        for (long ic = 0; ic < in_channels; ic++) {
            for (long tap = 0; tap < taps; tap++) {
                float *to = packed + ((group * in_channels + ic) * taps + tap) * width;
                for (long g = 0; g < width; g++) {
                    const long oc = group * width + g;
                    to[g] = oc < out_channels ? weights[(oc * in_channels + ic) * taps + tap] : 0.0f;
                }
            }
        }
    }
}

static inline long clamp_long(long x, long lo, long hi) { return x < lo ? lo : x > hi ? hi : x; }

// Bits [lo, hi) of a 32-bit mask.
static inline unsigned range_mask(long lo, long hi) {
    if (hi <= lo) return 0;
    const unsigned long long upper = hi >= 32 ? 0xffffffffull : ((1ull << hi) - 1);
    const unsigned long long lower = (1ull << lo) - 1;
    return (unsigned)(upper & ~lower);
}

__attribute__((target("avx512f"), always_inline))
static inline __m512 silu512(__m512 x) {
    // x / (1 + e^-x) with a refined reciprocal estimate: a division costs more than the rest of the SiLU.
    const __m512 d = _mm512_add_ps(_mm512_set1_ps(1.0f), exp512(_mm512_sub_ps(_mm512_setzero_ps(), x)));
    __m512 r = _mm512_rcp14_ps(d);
    r = _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
    return _mm512_mul_ps(x, r);
}

// Row i of the result is column i of the input.
__attribute__((target("avx512f"), always_inline))
static inline void transpose16(__m512 r[16]) {
    __m512 t[16], u[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
        u[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        u[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        u[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        u[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(u[i], u[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_f32x4(u[i], u[i + 4], 0xDD);
        t[i + 8] = _mm512_shuffle_f32x4(u[i + 8], u[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(u[i + 8], u[i + 12], 0xDD);
    }
    for (int i = 0; i < 8; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
    }
}

// SiLU, residual and store of the group's sums (16 pixels per channel): planar rows per channel, or, for NHWC,
// transposed to 16 channels per pixel.
__attribute__((target("avx512f"), always_inline))
static inline void finish_group(const yf_planar_conv_params *p, long image, long oy, long ox0, long lanes, long oc0, long count,
                                __m512 sums[16]) {
    const __mmask16 lane_mask = (__mmask16)range_mask(0, lanes);
    if (p->swish) {
        for (long g = 0; g < count; g++) sums[g] = silu512(sums[g]);
    }
    if (!p->output_nhwc) {
        for (long g = 0; g < count; g++) {
            const long offset = ((oc0 + g) * p->out_height + oy) * p->out_width + ox0;
            __m512 x = sums[g];
            if (p->residual) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(lane_mask, p->residual + image * p->residual_image_stride + offset));
            _mm512_mask_storeu_ps(p->output + image * p->output_image_stride + offset, lane_mask, x);
        }
        return;
    }
    for (long g = count; g < 16; g++) sums[g] = _mm512_setzero_ps();
    transpose16(sums);
    const __mmask16 channel_mask = (__mmask16)range_mask(0, count);
    const long oc = p->out_channels, first = (oy * p->out_width + ox0) * oc + oc0;
    float *out = p->output + image * p->output_image_stride + first;
    const float *res = p->residual ? p->residual + image * p->residual_image_stride + first : 0;
    for (long j = 0; j < lanes; j++) {
        __m512 x = sums[j];
        if (res) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(channel_mask, res + j * oc));
        _mm512_mask_storeu_ps(out + j * oc, channel_mask, x);
    }
}

// One output row of one image for the output channels [oc0, oc0 + G). `rows` holds the input row of every (input
// channel, kernel row) pair, NULL where it falls in the padding; `weights` points at the group's packing. KW and
// S are the kernel width and stride when known at compile time, else 0.
__attribute__((target("avx512f"), always_inline))
static inline void conv_row(const yf_planar_conv_params *p, const float *const *rows, long row_count, long image, long oy, long oc0,
                            const float *weights, const int G, const int KW, const int S) {
    const long kw = KW ? KW : p->kernel_width, stride = S ? S : p->stride, iw = p->in_width;
    const long count = p->out_channels - oc0 < G ? p->out_channels - oc0 : G;
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (long ox0 = 0; ox0 < p->out_width; ox0 += 16) {
        const long lanes = p->out_width - ox0 < 16 ? p->out_width - ox0 : 16;
        const long x_first = ox0 * stride - p->pad_left;
        // Valid input columns per horizontal tap, relative to the tap's first column.
        unsigned masks[YF_PLANAR_MAX_KERNEL];
        for (long kx = 0; kx < kw; kx++) {
            const long x0 = x_first + kx;
            masks[kx] = range_mask(clamp_long(-x0, 0, 32), clamp_long(iw - x0, 0, stride * (lanes - 1) + 1));
        }
        __m512 acc[16];
#pragma clang loop unroll(full)
        for (int g = 0; g < G; g++) acc[g] = p->bias && g < count ? _mm512_set1_ps(p->bias[oc0 + g]) : _mm512_setzero_ps();
        const float *w = weights;
        for (long r = 0; r < row_count; r++, w += kw * G) {
            if (!rows[r]) continue;
            const float *row = rows[r] + x_first;
            for (long kx = 0; kx < kw; kx++) {
                __m512 v;
                if (stride == 1) {
                    v = _mm512_maskz_loadu_ps((__mmask16)masks[kx], row + kx);
                } else {
                    const __m512 lo = _mm512_maskz_loadu_ps((__mmask16)masks[kx], row + kx);
                    const __m512 hi = _mm512_maskz_loadu_ps((__mmask16)(masks[kx] >> 16), row + kx + 16);
                    v = _mm512_permutex2var_ps(lo, evens, hi);
                }
                const float *wk = w + kx * G;
#pragma clang loop unroll(full)
                for (int g = 0; g < G; g++) acc[g] = _mm512_fmadd_ps(v, _mm512_set1_ps(wk[g]), acc[g]);
            }
        }
        // The epilogue indexes channels at run time; copying out first keeps `acc` in registers in the loop above.
        __m512 sums[16];
#pragma clang loop unroll(full)
        for (int g = 0; g < G; g++) sums[g] = acc[g];
        finish_group(p, image, oy, ox0, lanes, oc0, count, sums);
    }
}

typedef void (*row_kernel)(const yf_planar_conv_params *, const float *const *, long, long, long, long, const float *);

#define ROW_KERNEL(G, KW, S)                                                                                              \
    __attribute__((target("avx512f"))) static void rows_##G##_##KW##_##S(                                                \
        const yf_planar_conv_params *p, const float *const *rows, long row_count, long image, long oy, long oc0,        \
        const float *w) {                                                                                                 \
        conv_row(p, rows, row_count, image, oy, oc0, w, G, KW, S);                                                        \
    }
#define ROW_KERNELS(G) ROW_KERNEL(G, 1, 1) ROW_KERNEL(G, 3, 1) ROW_KERNEL(G, 3, 2) ROW_KERNEL(G, 0, 0)
ROW_KERNELS(4)
ROW_KERNELS(8)
ROW_KERNELS(16)

// The kernel specialised for this group width, kernel width and stride, or the general one of the group width.
static row_kernel pick_kernel(long width, long kernel_width, long stride) {
    const int shape = kernel_width == 1 && stride == 1 ? 0 : kernel_width == 3 && stride == 1 ? 1 : kernel_width == 3 && stride == 2 ? 2 : 3;
    static const row_kernel kernels[3][4] = {
        {rows_4_1_1, rows_4_3_1, rows_4_3_2, rows_4_0_0},
        {rows_8_1_1, rows_8_3_1, rows_8_3_2, rows_8_0_0},
        {rows_16_1_1, rows_16_3_1, rows_16_3_2, rows_16_0_0},
    };
    return kernels[width == 4 ? 0 : width == 8 ? 1 : 2][shape];
}

static void conv_scalar(const yf_planar_conv_params *p, long image, long oy) {
    const long width = yf_planar_group_width(p->out_channels);
    const long taps = p->kernel_height * p->kernel_width;
    long in_channels = 0;
    for (long s = 0; s < p->segment_count; s++) in_channels += p->segments[s].channels;
    for (long oc = 0; oc < p->out_channels; oc++) {
        const float *w = p->weights + (oc / width) * in_channels * taps * width + oc % width;
        for (long ox = 0; ox < p->out_width; ox++) {
            float sum = p->bias ? p->bias[oc] : 0.0f;
            long ic = 0;
            for (long s = 0; s < p->segment_count; s++) {
                for (long c = 0; c < p->segments[s].channels; c++, ic++) {
                    const float *channel = p->segments[s].base + image * p->segments[s].image_stride + c * p->in_height * p->in_width;
                    for (long ky = 0; ky < p->kernel_height; ky++) {
                        const long iy = oy * p->stride - p->pad_top + ky;
                        if (iy < 0 || iy >= p->in_height) continue;
                        for (long kx = 0; kx < p->kernel_width; kx++) {
                            const long ix = ox * p->stride - p->pad_left + kx;
                            if (ix < 0 || ix >= p->in_width) continue;
                            sum += channel[iy * p->in_width + ix] * w[(ic * taps + ky * p->kernel_width + kx) * width];
                        }
                    }
                }
            }
            if (p->swish) sum = sum / (1.0f + expf(-sum));
            const long offset = p->output_nhwc ? (oy * p->out_width + ox) * p->out_channels + oc
                                               : (oc * p->out_height + oy) * p->out_width + ox;
            if (p->residual) sum += p->residual[image * p->residual_image_stride + offset];
            p->output[image * p->output_image_stride + offset] = sum;
        }
    }
}

void yf_planar_conv(const yf_planar_conv_params *p, long row_begin, long row_end) {
    if (p->kernel_width > YF_PLANAR_MAX_KERNEL || (p->stride != 1 && p->stride != 2)) return;
    long in_channels = 0;
    for (long s = 0; s < p->segment_count; s++) in_channels += p->segments[s].channels;
    const long width = yf_planar_group_width(p->out_channels);
    const long group_floats = in_channels * p->kernel_height * p->kernel_width * width;
    const long row_count = in_channels * p->kernel_height;
    const int vector = yf_planar_supported() && row_count <= YF_PLANAR_MAX_ROWS;
    const row_kernel kernel = pick_kernel(width, p->kernel_width, p->stride);
    const float *rows[YF_PLANAR_MAX_ROWS];
    for (long r = row_begin; r < row_end; r++) {
        const long image = r / p->out_height, oy = r % p->out_height;
        if (!vector) { conv_scalar(p, image, oy); continue; }
        long index = 0;
        for (long s = 0; s < p->segment_count; s++) {
            const float *channel = p->segments[s].base + image * p->segments[s].image_stride;
            for (long c = 0; c < p->segments[s].channels; c++, channel += p->in_height * p->in_width) {
                for (long ky = 0; ky < p->kernel_height; ky++) {
                    const long iy = oy * p->stride - p->pad_top + ky;
                    rows[index++] = iy >= 0 && iy < p->in_height ? channel + iy * p->in_width : 0;
                }
            }
        }
        for (long oc0 = 0, group = 0; oc0 < p->out_channels; oc0 += width, group++) {
            kernel(p, rows, row_count, image, oy, oc0, p->weights + group * group_floats);
        }
    }
}
