/* FMA peak of this machine in GFLOP/s: every thread runs independent chains of fused multiply-adds at the
 * widest vector width the CPU has (AVX-512, else AVX2 + FMA), enough chains to cover the FMA latency.
 *
 *   gcc -O2 -fopenmp bench/fma_peak.c -o /tmp/fma_peak && /tmp/fma_peak 2     # threads
 *
 * Prints the best of 5 rounds as one JSON line: {"threads": T, "gflops": G, "isa": "..."}. */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHAINS 12
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

__attribute__((target("avx512f"))) static float chains512(long n) {
    __m512 acc[CHAINS];
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-6f);
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long k = 0; k < n; k++)
#pragma GCC unroll 12  /* keeps every chain in a register */
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    for (int i = 1; i < CHAINS; i++) acc[0] = _mm512_add_ps(acc[0], acc[i]);
    return _mm512_reduce_add_ps(acc[0]);
}

__attribute__((target("avx2,fma"))) static float chains256(long n) {
    __m256 acc[CHAINS];
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-6f);
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_set1_ps((float)i);
    for (long k = 0; k < n; k++)
#pragma GCC unroll 12  /* keeps every chain in a register */
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    float out[8], sum = 0;
    for (int i = 1; i < CHAINS; i++) acc[0] = _mm256_add_ps(acc[0], acc[i]);
    _mm256_storeu_ps(out, acc[0]);
    for (int i = 0; i < 8; i++) sum += out[i];
    return sum;
}

int main(int argc, char **argv) {
    const int threads = argc > 1 ? atoi(argv[1]) : omp_get_max_threads();
    const int wide = __builtin_cpu_supports("avx512f");
    const int lanes = wide ? 16 : 8;
    const long n = 50000000;
    double best = 0;
    float sink = 0;
    for (int round = 0; round < 5; round++) {
        const double t0 = now();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
        sink += wide ? chains512(n) : chains256(n);
        const double gflops = threads * (double)n * CHAINS * lanes * 2 / (now() - t0) / 1e9;
        if (gflops > best) best = gflops;
    }
    printf("{\"threads\": %d, \"gflops\": %.1f, \"isa\": \"%s\", \"sink\": %g}\n", threads, best, wide ? "avx512" : "avx2", sink);
    return 0;
}
