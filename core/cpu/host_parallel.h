/* core/cpu/host_parallel.h — split a loop over the CPU backend's threads, for the ops hemovk computes
 * itself (DCNv3...). oneDNN's kernels use their own (OpenMP) threads. */
#ifndef HEMOVK_CORE_CPU_HOST_PARALLEL_H
#define HEMOVK_CORE_CPU_HOST_PARALLEL_H

#include <stdint.h>

#include "hemovk/status.h"

/** Work on items [begin, end); returns HV_OK or an error (the first error of any chunk is returned). */
typedef hv_status (*hv_host_range_fn)(void *ctx, int64_t begin, int64_t end);

/** Run fn over [0, n) in up to hv_host_threads() contiguous chunks, the calling thread taking one;
 *  at most one chunk per `min_chunk` items (small loops stay on one thread). */
hv_status hv_host_parallel_for(int64_t n, int64_t min_chunk, hv_host_range_fn fn, void *ctx);

#endif
