/* hemovk/device.h — choosing and opening the Vulkan device that runs every kernel.
 *
 * Choice rule: discrete GPU > integrated GPU > virtual GPU > CPU (lavapipe) > other, ties by index.
 * A selector (from the caller, else HEMOVK_DEVICE) picks by index ("1") or by a case-insensitive
 * substring of the device name ("llvmpipe", "H100"). A selector that matches nothing is an error that
 * lists the devices that exist — never a silent fallback. The chosen device is logged at info level.
 * HEMOVK_VALIDATE=1 enables VK_LAYER_KHRONOS_validation with a debug messenger that counts every
 * message (hv_validation_message_count) and logs it as a warning. */
#ifndef HEMOVK_DEVICE_H
#define HEMOVK_DEVICE_H

#include "hemovk/export.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hemovk/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hv_device hv_device;

/** Device kinds in choice order (lower value preferred). */
typedef enum hv_device_type {
    HV_DEVICE_DISCRETE = 0,
    HV_DEVICE_INTEGRATED = 1,
    HV_DEVICE_VIRTUAL = 2,
    HV_DEVICE_CPU = 3,
    HV_DEVICE_OTHER = 4
} hv_device_type;

/** One cooperative-matrix shape the device supports (VK_KHR_cooperative_matrix). */
typedef struct hv_coopmat_shape {
    uint32_t m, n, k;
    uint32_t a_type, b_type, c_type; /**< VkComponentTypeKHR values */
} hv_coopmat_shape;

/** What a device is and can do. Optional features already reflect HEMOVK_DISABLE_* variables. */
typedef struct hv_device_info {
    uint32_t index;               /**< position in hv_device_list() */
    char name[256];
    hv_device_type type;
    uint32_t vendor_id, device_id, driver_version, api_version;
    char driver_name[256];        /**< VkPhysicalDeviceDriverProperties, "" when unknown */
    char driver_info[256];
    uint8_t pipeline_cache_uuid[16];
    uint32_t heap_count;
    uint64_t heap_size[16];
    bool heap_device_local[16];
    /* optional features (false when absent or disabled by the environment) */
    bool storage16;               /**< 16-bit storage buffers (HEMOVK_DISABLE_STORAGE16) */
    bool float16;                 /**< float16 arithmetic in shaders (HEMOVK_DISABLE_FP16) */
    bool int8;                    /**< int8 arithmetic (HEMOVK_DISABLE_INT8) */
    bool subgroup_ops;            /**< basic+arithmetic+shuffle subgroup ops in compute (HEMOVK_DISABLE_SUBGROUP) */
    bool coopmat;                 /**< VK_KHR_cooperative_matrix (HEMOVK_DISABLE_COOPMAT) */
    uint32_t coopmat_shape_count;
    hv_coopmat_shape coopmat_shapes[16];
    uint32_t subgroup_size;
    /* limits */
    uint64_t max_storage_buffer_range;
    uint64_t max_memory_allocation_size;
    uint32_t max_shared_memory;   /**< maxComputeSharedMemorySize in bytes */
    uint32_t max_workgroup_invocations;
    uint32_t max_workgroup_size[3];
    uint32_t max_workgroup_count[3];
    uint32_t max_push_constants;
    float timestamp_period_ns;    /**< 0 when the queue has no timestamps */
    uint64_t min_storage_buffer_offset_alignment; /**< binding offsets must be multiples of this */
    uint32_t subgroup_supported_ops; /**< VkSubgroupFeatureFlags (basic=1, vote=2, arithmetic=4, ballot=8,
                                          shuffle=16, shuffle_relative=32, clustered=64, quad=128) */
    /* since ABI 1.2 */
    bool host;                    /**< not a Vulkan device: hemovk's optimised CPU backend ("cpu", listed
                                       last; heavy ops through oneDNN, threads from HEMOVK_THREADS) */
    uint32_t threads;             /**< host: the threads it runs on; 0 for Vulkan devices */
} hv_device_info;

/** Enumerate every Vulkan physical device, then hemovk's CPU backend as the last entry (`host` set;
 *  since ABI 1.2). `*out` points to an internal array valid until the next call; `*count` receives its
 *  length. Needs no open device. */
HV_API hv_status hv_device_list(const hv_device_info **out, uint32_t *count);

/** Index (into `infos`) of the device the choice rule picks for `selector` (NULL or "" = best).
 *  Pure function over the list, so it is unit-tested on fake lists. On no match returns
 *  HV_ERR_NOT_FOUND with a message listing every device. */
HV_API hv_status hv_device_choose(const hv_device_info *infos, uint32_t count, const char *selector, uint32_t *chosen);

/** Open a device. `selector` NULL means HEMOVK_DEVICE, else the best by the choice rule. The selector
 *  "cpu" opens the CPU backend without touching Vulkan; plans made for that device run on the CPU. */
HV_API hv_status hv_device_open(const char *selector, hv_device **out);

/** Close a device, saving its pipeline cache. NULL is a no-op. */
HV_API void hv_device_close(hv_device *dev);

/** Description of an open device. */
HV_API const hv_device_info *hv_device_get_info(const hv_device *dev);

/** Validation-layer messages counted since the process started (0 when validation is off). */
HV_API uint32_t hv_validation_message_count(void);

/** Human-readable name of a device type ("discrete GPU", "CPU", ...). */
HV_API const char *hv_device_type_name(hv_device_type type);

/** Bytes of pipeline-cache data this device loaded from its cache file at open (0 when there was no
 *  usable file: missing, or ignored because its header, key, size or checksum did not match). */
HV_API uint64_t hv_device_pipeline_cache_loaded(const hv_device *dev);

/** Path of this device's pipeline-cache file (written at hv_device_close), "" when caching is off. */
HV_API const char *hv_device_pipeline_cache_path(const hv_device *dev);

/** What crossed between host and device through plans since the device was opened: the traffic that
 *  decides speed on a discrete GPU (every upload and download crosses the bus, every submission is a
 *  fence wait the host spends idle). Weight uploads at plan creation are not counted; the CPU backend
 *  moves nothing and counts zeros. */
typedef struct hv_transfer_stats {
    uint64_t uploads;         /**< hv_plan_set_input calls (each one staged copy host -> device) */
    uint64_t upload_bytes;    /**< bytes they staged, in the device's storage type */
    uint64_t downloads;       /**< hv_plan_get_output calls (device -> host) */
    uint64_t download_bytes;  /**< bytes they read back */
    uint64_t submits;         /**< hv_plan_run calls: one submission and one fence wait each */
} hv_transfer_stats;

/** The device's transfer counts so far (zeros for NULL). Counted atomically: plans on several threads
 *  add up. Take two readings and subtract for a stretch of work (the pipeline's summary does that). */
HV_API void hv_device_transfer_stats(const hv_device *dev, hv_transfer_stats *out);

#ifdef __cplusplus
}
#endif
#endif
