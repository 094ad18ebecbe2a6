/* core/vulkan/vk_internal.h — what the files of core/vulkan/ share: the hv_device layout, the
 * process-wide instance, feature queries, the allocator's bookkeeping and the pipeline cache.
 * Only core/vulkan/ sources include this header. */
#ifndef HEMOVK_CORE_VULKAN_VK_INTERNAL_H
#define HEMOVK_CORE_VULKAN_VK_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <vulkan/vulkan.h>

#include "hemovk/device.h"
#include "vulkan/runtime.h"

/* ---- instance (instance.c) ------------------------------------------------------------------------ */

/** Take a reference on the process-wide VkInstance, creating it (with validation when
 *  HEMOVK_VALIDATE=1) on first use. Pair with hv_vk_instance_release(). */
hv_status hv_vk_instance_acquire(VkInstance *out);

/** Drop a reference; the last one destroys the debug messenger and the instance. */
void hv_vk_instance_release(void);

/** Whether the validation layer is on for the current instance. */
bool hv_vk_validation_enabled(void);

/** Short text for a VkResult ("VK_ERROR_OUT_OF_DEVICE_MEMORY"). */
const char *hv_vk_result_name(VkResult r);

/** hv_error(HV_ERR_VULKAN or HV_ERR_DEVICE_OUT_OF_MEMORY) naming the call that failed. */
hv_status hv_vk_fail(VkResult r, const char *what);

/* ---- features (features.c) ------------------------------------------------------------------------ */

/** Feature structures to chain into VkDeviceCreateInfo: only what hv_device_info reports as on. */
typedef struct hv_vk_enable {
    VkPhysicalDeviceFeatures2 features2;
    VkPhysicalDevice16BitStorageFeatures storage16;
    VkPhysicalDeviceShaderFloat16Int8Features f16i8;
    uint8_t coopmat_features[64]; /* VkPhysicalDeviceCooperativeMatrixFeaturesKHR when known */
    const char *extensions[8];
    uint32_t extension_count;
} hv_vk_enable;

/** Fill `info` for `phys` (index `index` in enumeration order), applying HEMOVK_DISABLE_*; when
 *  `enable` is not NULL also build the pNext chain and extension list that turn the reported
 *  features on at vkCreateDevice. `queue_family` receives the compute queue family (UINT32_MAX if none). */
void hv_vk_query_device(VkInstance instance, VkPhysicalDevice phys, uint32_t index, hv_device_info *info,
                        hv_vk_enable *enable, uint32_t *queue_family);

/** Enumerate physical devices with their infos (caller frees both arrays). */
hv_status hv_vk_enumerate(VkInstance instance, VkPhysicalDevice **phys, hv_device_info **infos, uint32_t *count);

/* ---- memory (memory.c) ---------------------------------------------------------------------------- */

typedef struct hv_mem_range {
    uint64_t offset, size;
} hv_mem_range;

/** One VkDeviceMemory with one VkBuffer over all of it, and its free ranges sorted by offset. */
typedef struct hv_mem_block {
    struct hv_mem_block *next;
    VkDeviceMemory memory;
    VkBuffer buffer;
    void *mapped;
    uint64_t size;       /* of the VkBuffer: ranges live in [0, size) */
    uint64_t mem_size;   /* of the VkDeviceMemory (counted in heap_used) */
    uint32_t heap;
    bool dedicated;
    hv_mem_kind kind;
    hv_mem_range *free;
    uint32_t free_count, free_cap;
    uint32_t live;   /* ranges handed out */
} hv_mem_block;

typedef struct hv_mem_pool {
    hv_mem_block *blocks;
    uint32_t type_index; /* UINT32_MAX until chosen */
} hv_mem_pool;

/** Release every block (at device close). */
void hv_mem_destroy_all(hv_device *dev);
/** Free the shared weight-block list (weight_blocks.c; its blocks die with the memory pools). */
void hv_weight_blocks_destroy(hv_device *dev);

/* ---- pipelines (pipeline.c, pipeline_cache.c) ---------------------------------------------------- */

struct hv_vk_pipeline {
    struct hv_vk_pipeline *next;
    char *shader;
    uint32_t n_bindings, push_size, n_spec;
    uint32_t *spec;
    VkDescriptorSetLayout set_layout;
    VkPipelineLayout layout;
    VkPipeline pipeline;
};

/** Work out the cache file path from the device key and create its folder (before vkCreateDevice,
 *  whose driver may keep its own cache there). Problems are warnings. */
void hv_vk_pipeline_cache_prepare(hv_device *dev);

/** Create dev->pipeline_cache, seeded from the cache file when its header checks out. Never fails
 *  because of the file: a bad file is a warning and an empty cache. */
hv_status hv_vk_pipeline_cache_open(hv_device *dev);

/** Write the cache file atomically (temp + rename) if pipelines were built; destroy the cache. */
void hv_vk_pipeline_cache_close(hv_device *dev);

/** Destroy every cached pipeline. */
void hv_vk_pipelines_destroy(hv_device *dev);

/* ---- the device ------------------------------------------------------------------------------------ */

struct hv_device {
    bool host;                   /* the CPU backend (hv_device_is_host): every Vulkan member below is empty */
    VkInstance instance;
    VkPhysicalDevice phys;
    VkDevice device;
    VkQueue queue;
    uint32_t queue_family;
    hv_device_info info;
    VkPhysicalDeviceMemoryProperties mem_props;
    uint64_t min_storage_align;
    uint32_t timestamp_valid_bits;

    pthread_mutex_t lock;        /* allocator and pipeline list */
    pthread_mutex_t xfer_lock;   /* staging buffers and the transfer command buffer */
    pthread_mutex_t queue_lock;  /* vkQueueSubmit needs external synchronisation */

    hv_mem_pool pools[3];
    uint64_t block_size;
    uint64_t in_use, peak;       /* device-local bytes handed out */
    uint64_t heap_used[VK_MAX_MEMORY_HEAPS]; /* VkDeviceMemory bytes per heap */

    /* staging for hv_buffer_upload/download (staging.c) */
    VkCommandPool xfer_pool;
    VkCommandBuffer xfer_cb;
    VkFence xfer_fence;
    hv_buffer staging_up, staging_down;

    /* plans' weight blocks shared by fingerprint (weight_blocks.c), guarded by `lock` */
    hv_weight_block *weight_blocks;
    uint32_t n_weight_blocks, cap_weight_blocks;

    hv_vk_pipeline *pipelines;
    uint32_t pipelines_built;
    VkPipelineCache pipeline_cache;
    uint64_t pipeline_cache_loaded;
    char pipeline_cache_path[1024];

    bool profiling;

    /* hv_transfer_stats, counted by hv_vk_count_transfer (atomics: plans may run on several threads) */
    _Atomic uint64_t xfer_uploads, xfer_upload_bytes, xfer_downloads, xfer_download_bytes, xfer_submits;
};

#endif
