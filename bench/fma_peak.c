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

// CHAINS independent chains of fused multiply-adds on one vector type, kept in registers by the full unroll; the
// sum of the lanes keeps the compiler from dropping the work.
#define FMA_CHAINS(name, isa, vector, lanes, set1, fmadd, storeu)                                      \
    __attribute__((target(isa))) static float name(long n) {                                         \
        vector acc[CHAINS];                                                                          \
        const vector a = set1(0.999999f), b = set1(1e-6f);                                           \
        for (int i = 0; i < CHAINS; i++) acc[i] = set1((float)i);                                    \
        for (long k = 0; k < n; k++)                                                                 \
            _Pragma("GCC unroll 12") for (int i = 0; i < CHAINS; i++) acc[i] = fmadd(acc[i], a, b);  \
        float lane[lanes], sum = 0;                                                                  \
        for (int i = 0; i < CHAINS; i++) {                                                           \
            storeu(lane, acc[i]);                                                                    \
            for (int j = 0; j < lanes; j++) sum += lane[j];                                          \
        }                                                                                            \
        return sum;                                                                                  \
    }

FMA_CHAINS(chains512, "avx512f", __m512, 16, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_storeu_ps)
FMA_CHAINS(chains256, "avx2,fma", __m256, 8, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_storeu_ps)

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
