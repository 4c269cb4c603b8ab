/* oneDNN convolution probe: a 3x3 convolution with fused bias + SiLU at YOLO layer shapes, batch 1, timed in
 * NHWC and in nChw16c, and as Winograd (printed as "unavailable" where oneDNN has none). oneDNN 2.6's Winograd
 * kernels (AVX-512 only) take no SiLU post-op, so they are timed without one: the engine applies the SiLU in the
 * pass that moves their nChw16c output to NHWC.
 *
 *   gcc -O2 bench/dnnl_conv_probe.c -o /tmp/dnnl_conv_probe -ldnnl -fopenmp
 *   OMP_NUM_THREADS=2 /tmp/dnnl_conv_probe      # and OMP_NUM_THREADS=1 for the scaling over threads
 *
 * Prints the best of 5 rounds of 20 runs per cell, in ms, and the implementation oneDNN chose; then small maps at
 * batch 1 and 8, and every implementation of a few 1x1 convolutions. */
#include <dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define CHECK(x) do { dnnl_status_t s = (x); if (s != dnnl_success) { printf("fail %s: %d\n", #x, s); return -1; } } while (0)
static double now() { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }
dnnl_engine_t eng; dnnl_stream_t strm;
double run(int N, int C, int K, int H, dnnl_alg_kind_t alg, dnnl_format_tag_t act, int iters, const char **impl) {
    const int silu = alg != dnnl_convolution_winograd;
    dnnl_memory_desc_t src, w, b, dst;
    dnnl_dims_t sd = {N, C, H, H}, wd = {K, C, 3, 3}, bd = {K}, dd = {N, K, H, H};
    dnnl_memory_desc_init_by_tag(&src, 4, sd, dnnl_f32, act);
    dnnl_memory_desc_init_by_tag(&w, 4, wd, dnnl_f32, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&b, 1, bd, dnnl_f32, dnnl_x);
    dnnl_memory_desc_init_by_tag(&dst, 4, dd, dnnl_f32, act);
    dnnl_convolution_desc_t cd;
    dnnl_dims_t st = {1, 1}, pl = {1, 1}, pr = {1, 1};
    if (dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, alg, &src, &w, &b, &dst, st, pl, pr) != dnnl_success) return -1;
    dnnl_primitive_attr_t attr; dnnl_primitive_attr_create(&attr);
    if (silu) {
        dnnl_post_ops_t po; dnnl_post_ops_create(&po); dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_swish, 1.0f, 0.0f);
        dnnl_primitive_attr_set_post_ops(attr, po);
    }
    dnnl_primitive_desc_t pd;
    if (dnnl_primitive_desc_create(&pd, &cd, attr, eng, NULL) != dnnl_success) { *impl = "unavailable"; return -1; }
    const char *name; dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name); *impl = name;
    dnnl_primitive_t p; dnnl_primitive_create(&p, pd);
    const dnnl_memory_desc_t *wq = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *sq = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *dq = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    const dnnl_memory_desc_t *spq = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    dnnl_memory_t ms, mw, mb, md, msp = NULL;
    dnnl_memory_create(&ms, sq, eng, DNNL_MEMORY_ALLOCATE); dnnl_memory_create(&mw, wq, eng, DNNL_MEMORY_ALLOCATE);
    dnnl_memory_create(&mb, &b, eng, DNNL_MEMORY_ALLOCATE); dnnl_memory_create(&md, dq, eng, DNNL_MEMORY_ALLOCATE);
    int nargs = 4;
    dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_BIAS, mb}, {DNNL_ARG_DST, md}};
    if (spq && dnnl_memory_desc_get_size(spq) > 0) { dnnl_memory_create(&msp, spq, eng, DNNL_MEMORY_ALLOCATE); args[4].arg = DNNL_ARG_SCRATCHPAD; args[4].memory = msp; nargs = 5; }
    for (int i = 0; i < 3; i++) { dnnl_primitive_execute(p, strm, nargs, args); dnnl_stream_wait(strm); }
    double best = 1e9;
    for (int r = 0; r < 5; r++) {
        double t0 = now();
        for (int i = 0; i < iters; i++) dnnl_primitive_execute(p, strm, nargs, args);
        dnnl_stream_wait(strm);
        double t = (now() - t0) / iters; if (t < best) best = t;
    }
    return best;
}
/* Every implementation oneDNN offers for a 1x1 convolution with fused SiLU in NHWC, batch 1 (its first is what the
 * engine gets), timed like `run`; the reference and SSE4.1 kernels are skipped. */
void run_1x1_implementations(int C, int K, int H) {
    dnnl_memory_desc_t src, w, b, dst;
    dnnl_dims_t sd = {1, C, H, H}, wd = {K, C, 1, 1}, bd = {K}, dd = {1, K, H, H}, st = {1, 1}, pad = {0, 0};
    dnnl_memory_desc_init_by_tag(&src, 4, sd, dnnl_f32, dnnl_nhwc);
    dnnl_memory_desc_init_by_tag(&w, 4, wd, dnnl_f32, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&b, 1, bd, dnnl_f32, dnnl_x);
    dnnl_memory_desc_init_by_tag(&dst, 4, dd, dnnl_f32, dnnl_nhwc);
    dnnl_convolution_desc_t cd;
    dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct, &src, &w, &b, &dst, st, pad, pad);
    dnnl_primitive_attr_t attr; dnnl_primitive_attr_create(&attr);
    dnnl_post_ops_t po; dnnl_post_ops_create(&po); dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_swish, 1.0f, 0.0f);
    dnnl_primitive_attr_set_post_ops(attr, po);
    dnnl_primitive_desc_iterator_t it;
    if (dnnl_primitive_desc_iterator_create(&it, &cd, attr, eng, NULL) != dnnl_success) return;
    printf("1x1 %3d->%3d @%3d:", C, K, H);
    do {
        dnnl_primitive_desc_t pd = dnnl_primitive_desc_iterator_fetch(it);
        const char *name; dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name);
        if (strstr(name, "ref") || strstr(name, "sse41") || strstr(name, "gemm")) { dnnl_primitive_desc_destroy(pd); continue; }
        dnnl_primitive_t p; dnnl_primitive_create(&p, pd);
        const dnnl_memory_desc_t *wq = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
        const dnnl_memory_desc_t *spq = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
        dnnl_memory_t ms, mw, mb, md, msp = NULL;
        dnnl_memory_create(&ms, &src, eng, DNNL_MEMORY_ALLOCATE); dnnl_memory_create(&mw, wq, eng, DNNL_MEMORY_ALLOCATE);
        dnnl_memory_create(&mb, &b, eng, DNNL_MEMORY_ALLOCATE); dnnl_memory_create(&md, &dst, eng, DNNL_MEMORY_ALLOCATE);
        int nargs = 4;
        dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_BIAS, mb}, {DNNL_ARG_DST, md}};
        if (spq && dnnl_memory_desc_get_size(spq) > 0) { dnnl_memory_create(&msp, spq, eng, DNNL_MEMORY_ALLOCATE); args[4].arg = DNNL_ARG_SCRATCHPAD; args[4].memory = msp; nargs = 5; }
        for (int i = 0; i < 3; i++) dnnl_primitive_execute(p, strm, nargs, args);
        dnnl_stream_wait(strm);
        double best = 1e9;
        for (int r = 0; r < 5; r++) {
            double t0 = now();
            for (int i = 0; i < 50; i++) dnnl_primitive_execute(p, strm, nargs, args);
            dnnl_stream_wait(strm);
            double t = (now() - t0) / 50; if (t < best) best = t;
        }
        printf(" %s %.3f |", name, best);
        dnnl_primitive_destroy(p); dnnl_primitive_desc_destroy(pd);
    } while (dnnl_primitive_desc_iterator_next(it) == dnnl_success);
    printf("\n");
    dnnl_primitive_desc_iterator_destroy(it);
}
int main(int argc, char **argv) {
    dnnl_engine_create(&eng, dnnl_cpu, 0); dnnl_stream_create(&strm, eng, dnnl_stream_default_flags);
    int shapes[][3] = {{16, 16, 160}, {32, 32, 80}, {64, 64, 40}, {128, 128, 20}, {64, 64, 80}, {64, 80, 80}, {80, 80, 80}, {32,32,160}};
    for (int i = 0; i < 8; i++) {
        int C = shapes[i][0], K = shapes[i][1], H = shapes[i][2];
        double gf = 2.0 * C * K * 9 * H * H / 1e9;
        const char *i1, *i2, *i3, *i4;
        double d_nhwc = run(1, C, K, H, dnnl_convolution_direct, dnnl_nhwc, 20, &i1);
        double d_blk = run(1, C, K, H, dnnl_convolution_direct, dnnl_nChw16c, 20, &i2);
        double w_blk = run(1, C, K, H, dnnl_convolution_winograd, dnnl_nChw16c, 20, &i3);
        double w_any = run(1, C, K, H, dnnl_convolution_winograd, dnnl_format_tag_any, 20, &i4);
        printf("%3d->%3d @%3d: nhwc %.3f ms (%s, %.0f GF/s) | nChw16c %.3f (%s) | wino blk %.3f (%s) | wino any %.3f (%s)\n", C, K, H, d_nhwc, i1, gf / d_nhwc * 1e3, d_blk, i2, w_blk, i3, w_any, i4);
    }
    // Small maps (a 320-pixel input's P5), batch 1 and 8: where Winograd's tiles are mostly padding.
    int small[][3] = {{32, 32, 10}, {64, 64, 10}, {128, 128, 10}, {32, 32, 20}};
    for (int i = 0; i < 4; i++) {
        for (int n = 1; n <= 8; n += 7) {
            const char *i1, *i3;
            double d = run(n, small[i][0], small[i][1], small[i][2], dnnl_convolution_direct, dnnl_nhwc, 50, &i1);
            double w = run(n, small[i][0], small[i][1], small[i][2], dnnl_convolution_winograd, dnnl_nChw16c, 50, &i3);
            printf("%3d->%3d @%3d batch %d: nhwc %.3f ms (%s) | wino blk %.3f (%s)\n", small[i][0], small[i][1], small[i][2], n, d, i1, w, i3);
        }
    }
    // 1x1 convolutions of mid fusion at 640, where oneDNN's first choice is not always its fastest.
    int pointwise[][3] = {{96, 64, 40}, {24, 32, 160}, {128, 128, 20}, {80, 80, 80}};
    for (int i = 0; i < 4; i++) run_1x1_implementations(pointwise[i][0], pointwise[i][1], pointwise[i][2]);
}
