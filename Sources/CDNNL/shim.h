#ifndef YOLOFUSE_CDNNL_SHIM_H
#define YOLOFUSE_CDNNL_SHIM_H
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

// oneDNN here is built on the GNU OpenMP runtime; the engine sets its team size through it.
void omp_set_num_threads(int num_threads);
int omp_get_max_threads(void);
#endif
