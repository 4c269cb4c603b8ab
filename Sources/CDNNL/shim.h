#ifndef YOLOFUSE_CDNNL_SHIM_H
#define YOLOFUSE_CDNNL_SHIM_H
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

// oneDNN here is built on the GNU OpenMP runtime; the engine sets its team size through it.
void omp_set_num_threads(int num_threads);
int omp_get_max_threads(void);
int omp_get_thread_num(void);
int omp_get_num_threads(void);
// What `#pragma omp parallel` compiles to (libgomp's ABI): runs fn(data) on every thread of a team of
// num_threads (0: the calling thread's default), the caller as thread 0.
void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
#endif
