/* core/cpu/host.h — the optimised CPU backend's process-wide parts: its device description, its thread
 * count, and the oneDNN engine and stream every host kernel shares. */
#ifndef HEMOVK_CORE_CPU_HOST_H
#define HEMOVK_CORE_CPU_HOST_H

#include <stdint.h>

#include "hemovk/device.h"

/** Threads the CPU backend uses: HEMOVK_THREADS when set (1..256), else every online CPU. Read once. */
uint32_t hv_host_threads(void);

/** Give the calling thread's OpenMP (oneDNN's thread pool) hv_host_threads() threads. Cheap after the
 *  first call on a thread. */
void hv_host_apply_threads(void);

/** Describe the CPU backend as the device list's entry `index`. */
void hv_host_fill_info(hv_device_info *info, uint32_t index);

/** The library doing the heavy ops, e.g. "oneDNN 2.6.3" ("reference ops" when built without one). */
const char *hv_host_library(void);

#endif
