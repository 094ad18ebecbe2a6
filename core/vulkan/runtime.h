/* core/vulkan/runtime.h — the Vulkan runtime the graph executor and ops record through.
 *
 * Internal to libhemovk (plugins use the graph API, never Vulkan). Nothing outside core/vulkan/ and
 * the Vulkan backend of the executor includes <vulkan/vulkan.h>.
 *
 * Model: buffers come from a sub-allocator over large VkDeviceMemory blocks; pipelines are built
 * from embedded SPIR-V (by blob name) with specialization constants and push constants and cached
 * per device; a hv_cmd records many dispatches into ONE command buffer that is submitted any number
 * of times (record once, replay per batch). The recorder never waits between ops: callers insert
 * hv_cmd_barrier() where a dispatch reads what an earlier one wrote. */
#ifndef HEMOVK_CORE_VULKAN_RUNTIME_H
#define HEMOVK_CORE_VULKAN_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hemovk/device.h"
#include "hemovk/status.h"

/* ---- memory ------------------------------------------------------------------------------------ */

typedef enum hv_mem_kind {
    HV_MEM_DEVICE = 0,   /**< device-local, for tensors */
    HV_MEM_UPLOAD = 1,   /**< host-visible, coherent, write-combined: staging towards the device */
    HV_MEM_READBACK = 2  /**< host-visible, cached when possible: staging back to the host */
} hv_mem_kind;

/** A range of a VkBuffer handed out by the sub-allocator. Treat fields as read-only. */
typedef struct hv_buffer {
    uint64_t vk_buffer;  /**< VkBuffer handle (as uint64 so users need no Vulkan headers) */
    uint64_t offset;     /**< byte offset of this range in vk_buffer (aligned to minStorageBufferOffsetAlignment) */
    uint64_t size;       /**< usable bytes */
    void *mapped;        /**< host pointer for UPLOAD/READBACK kinds, NULL for DEVICE */
    hv_mem_kind kind;
    void *block;         /**< allocator bookkeeping */
} hv_buffer;

/** Allocate `size` bytes (> 0). A single buffer may exceed maxStorageBufferRange (bind sub-ranges)
 *  but not maxMemoryAllocationSize. Out of device memory returns HV_ERR_DEVICE_OUT_OF_MEMORY with a
 *  message saying how much was asked, how much is in use, and what to try (smaller batch, f16). */
hv_status hv_buffer_alloc(hv_device *dev, hv_mem_kind kind, uint64_t size, hv_buffer *out);

/** Return a buffer to the allocator. Zeroed/NULL buffers are a no-op. */
void hv_buffer_free(hv_device *dev, hv_buffer *buf);

/** Blocking copy host→device buffer through a staging buffer (for weights and tests, not hot paths). */
hv_status hv_buffer_upload(hv_device *dev, const hv_buffer *dst, uint64_t dst_offset, const void *src, uint64_t size);

/** Blocking copy device buffer→host. */
hv_status hv_buffer_download(hv_device *dev, const hv_buffer *src, uint64_t src_offset, void *dst, uint64_t size);

/* ---- shared weight blocks (weight_blocks.c) ----------------------------------------------------------
 * A plan's weights live in one device buffer (a "block"). Plans whose blocks would hold the same bytes at
 * the same offsets (one model's plans for several sizes, RoI buckets, TTA groups) share one: the plan
 * fingerprints its block from its host copy, tries hv_weight_block_acquire, and only on a miss allocates,
 * uploads and publishes. Every plan gives its block back with hv_weight_block_release. */
typedef struct hv_weight_block hv_weight_block;

/** A published block with this 128-bit fingerprint and byte size: copy it into *out, count one more user
 *  and return true; false when there is none (or `dev` is the CPU backend). */
bool hv_weight_block_acquire(hv_device *dev, const uint64_t key[2], uint64_t size, hv_buffer *out);

/** Offer a freshly uploaded block (allocated by hv_buffer_alloc, never written again) to later plans with
 *  the same fingerprint; its one user is the caller. When one is already published, or host memory runs
 *  out, the block simply stays private to the caller (hv_weight_block_release still frees it). */
void hv_weight_block_publish(hv_device *dev, const uint64_t key[2], const hv_buffer *buf);

/** Give back a plan's block: a shared one is freed when its last user releases it, a private one at once.
 *  Zeroes *buf. */
void hv_weight_block_release(hv_device *dev, hv_buffer *buf);

/** Distinct weight blocks published on `dev` and still in use (tests, diagnostics). */
uint32_t hv_weight_block_count(const hv_device *dev);

/** Bytes currently allocated from the device-local heap by this device, and the peak so far. */
void hv_device_memory_usage(const hv_device *dev, uint64_t *in_use, uint64_t *peak);

/* ---- pipelines ---------------------------------------------------------------------------------- */

typedef struct hv_vk_pipeline hv_vk_pipeline; /* owned by the device, freed with it */

typedef struct hv_vk_pipeline_desc {
    const char *shader;        /**< embedded blob name, e.g. "gemm_f32" */
    uint32_t n_bindings;       /**< storage buffers at set 0, bindings 0..n-1 */
    uint32_t push_size;        /**< bytes of push constants (≤ 128) */
    uint32_t n_spec;           /**< specialization constants with constant_id 0..n_spec-1 */
    const uint32_t *spec;      /**< their values (32-bit each: int, uint or float bits) */
} hv_vk_pipeline_desc;

/** Get (building on first use) the pipeline for `desc`. Pipelines are cached by (shader, spec values);
 *  the VkPipelineCache is persisted per device under $XDG_CACHE_HOME/hemovk (or ~/.cache/hemovk). */
hv_status hv_vk_pipeline_get(hv_device *dev, const hv_vk_pipeline_desc *desc, hv_vk_pipeline **out);

/* ---- recording and replay ------------------------------------------------------------------------- */

typedef struct hv_cmd hv_cmd;

/** One storage-buffer binding: a byte range of a buffer. `range` 0 means "to the end of buf". */
typedef struct hv_binding {
    const hv_buffer *buf;
    uint64_t offset;
    uint64_t range;
} hv_binding;

/** Start recording a new command buffer. */
hv_status hv_cmd_begin(hv_device *dev, hv_cmd **out);

/** Record a dispatch of `groups_x·y·z` workgroups. Descriptor sets are allocated here and live as long
 *  as the hv_cmd, so the recording can be replayed. `label` names the op in profiles (copied). */
hv_status hv_cmd_dispatch(hv_cmd *cmd, hv_vk_pipeline *pipe, const hv_binding *bindings, uint32_t n_bindings,
                          const void *push, uint32_t push_size, uint32_t groups_x, uint32_t groups_y,
                          uint32_t groups_z, const char *label);

/** Record a buffer-to-buffer copy (staging in/out inside the replayed command buffer). */
hv_status hv_cmd_copy(hv_cmd *cmd, const hv_buffer *src, uint64_t src_offset, const hv_buffer *dst,
                      uint64_t dst_offset, uint64_t size);

/** Record a fill of `size` bytes (multiple of 4) with a 32-bit pattern. */
hv_status hv_cmd_fill(hv_cmd *cmd, const hv_buffer *dst, uint64_t offset, uint64_t size, uint32_t value);

/** Record a full memory barrier (shader/transfer writes → shader/transfer/host reads) between what was
 *  recorded before and what comes after. */
void hv_cmd_barrier(hv_cmd *cmd);

/** Finish recording. After this the command buffer can be submitted any number of times. */
hv_status hv_cmd_end(hv_cmd *cmd);

/** Submit the recorded command buffer; with `wait`, block until the GPU is done (one fence wait).
 *  Without `wait`, call hv_cmd_wait() before touching its outputs or submitting it again. */
hv_status hv_cmd_submit(hv_cmd *cmd, bool wait);

/** Wait for the last submission. */
hv_status hv_cmd_wait(hv_cmd *cmd);

/** Per-dispatch GPU time of the last completed submission, when profiling is on (HEMOVK_PROFILE=1 or
 *  hv_device_set_profiling). Returns the number of entries; `labels[i]`/`ns[i]` valid until the next submit. */
typedef struct hv_dispatch_time {
    const char *label;
    double ns;
} hv_dispatch_time;
uint32_t hv_cmd_timings(const hv_cmd *cmd, const hv_dispatch_time **out);

/** Free a recording (waits for it if it is still running). NULL is a no-op. */
void hv_cmd_free(hv_cmd *cmd);

/** Turn per-dispatch timestamps on or off for recordings begun afterwards. */
/** True for a device opened as "cpu": the optimised CPU backend, with no Vulkan objects (hv_buffer_*,
 *  hv_cmd_* must not be called on it). */
bool hv_device_is_host(const hv_device *dev);

void hv_device_set_profiling(hv_device *dev, bool on);

/** Count plan traffic for hv_device_transfer_stats: an upload (HV_VK_UPLOAD) or download
 *  (HV_VK_DOWNLOAD) of `bytes`, or a submission (HV_VK_SUBMIT, bytes ignored). */
typedef enum { HV_VK_UPLOAD, HV_VK_DOWNLOAD, HV_VK_SUBMIT } hv_vk_traffic;
void hv_vk_count_transfer(hv_device *dev, hv_vk_traffic kind, uint64_t bytes);

#endif
