/* The CPU backend as a device: its entry in hv_device_list and its thread count. */
#include "cpu/host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HEMOVK_HAVE_DNNL
#include <dlfcn.h>
#include <oneapi/dnnl/dnnl.h>
#endif

uint32_t hv_host_threads(void) {
    static uint32_t threads;
    if (threads) return threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    const char *env = getenv("HEMOVK_THREADS");
    if (env && *env) {
        char *end = NULL;
        long v = strtol(env, &end, 10);
        if (end && !*end && v >= 1 && v <= 256) n = v;
        else fprintf(stderr, "hemovk: warning: HEMOVK_THREADS=\"%s\" is not a number from 1 to 256; using %ld\n", env,
                     n > 0 ? n : 1);
    }
    threads = n > 0 ? (uint32_t)n : 1u;
    return threads;
}

void hv_host_apply_threads(void) {
#ifdef HEMOVK_HAVE_DNNL
    /* Debian's oneDNN runs on OpenMP (libgomp, loaded with it). OpenMP's thread count is per calling
     * thread, and pipeline stages call from their own threads: set it on each before a primitive runs.
     * Looked up rather than linked so hemovk's objects need no OpenMP flags of their own. */
    static void (*set_threads)(int);
    static int looked_up;
    if (!looked_up) {
        set_threads = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
        looked_up = 1;
    }
    static _Thread_local uint32_t applied;
    uint32_t n = hv_host_threads();
    if (set_threads && applied != n) {
        set_threads((int)n);
        applied = n;
    }
#endif
}

const char *hv_host_library(void) {
#ifdef HEMOVK_HAVE_DNNL
    static char name[64];
    if (!name[0]) {
        const dnnl_version_t *v = dnnl_version();
        snprintf(name, sizeof name, "oneDNN %d.%d.%d", v->major, v->minor, v->patch);
    }
    return name;
#else
    return "reference ops";
#endif
}

void hv_host_fill_info(hv_device_info *info, uint32_t index) {
    memset(info, 0, sizeof *info);
    info->index = index;
    info->host = true;
    info->threads = hv_host_threads();
    info->type = HV_DEVICE_CPU;
    snprintf(info->name, sizeof info->name, "cpu (hemovk CPU backend, %s, %u thread%s)", hv_host_library(),
             info->threads, info->threads == 1 ? "" : "s");
    snprintf(info->driver_name, sizeof info->driver_name, "hemovk");
    snprintf(info->driver_info, sizeof info->driver_info, "%s", hv_host_library());
    /* limits: host memory, no device-side caps */
    info->max_storage_buffer_range = UINT64_MAX;
    info->max_memory_allocation_size = UINT64_MAX;
    info->min_storage_buffer_offset_alignment = 64;
    info->subgroup_size = 1;
    info->float16 = info->storage16 = true; /* f16 tensors are emulated (rounded), as by the reference */
}
