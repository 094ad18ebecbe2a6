/* Recordings: one command buffer with many dispatches, submitted any number of times.
 *
 * Each hv_cmd owns its command pool, descriptor pools (grown as dispatches are recorded; sets live
 * as long as the recording so it can be replayed), a fence, and — when profiling — timestamp query
 * pools of 256 queries whose resets are recorded in the command buffer itself, so every replay
 * re-arms them. Nothing here waits on the GPU except hv_cmd_submit(wait=true), hv_cmd_wait() and
 * hv_cmd_free() of a recording still in flight. */
#include <stdlib.h>
#include <string.h>

#include "hemovk/log.h"
#include "vulkan/vk_internal.h"

#define SETS_PER_POOL 128u
#define DESCRIPTORS_PER_POOL (SETS_PER_POOL * 8u)
#define QUERIES_PER_POOL 256u

struct hv_cmd {
    hv_device *dev;
    VkCommandPool pool;
    VkCommandBuffer cb;
    VkFence fence;
    bool ended, pending, profiling;

    VkDescriptorPool *dpools;
    uint32_t n_dpools, sets_left, descs_left;

    VkQueryPool *qpools;
    uint32_t n_qpools;

    char **labels;     /* one per dispatch */
    uint32_t n_dispatch, cap_dispatch;
    hv_dispatch_time *times;
    uint32_t n_times;
};

static void full_barrier(VkCommandBuffer cb, VkAccessFlags extra_dst, VkPipelineStageFlags extra_stage) {
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                          .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                                           VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT | extra_dst};
    vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT | extra_stage, 0, 1, &mb,
                         0, NULL, 0, NULL);
}

hv_status hv_cmd_begin(hv_device *dev, hv_cmd **out) {
    if (!dev || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_cmd_begin: NULL argument");
    *out = NULL;
    hv_cmd *c = calloc(1, sizeof *c);
    if (!c) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of host memory starting a recording");
    c->dev = dev;
    c->profiling = dev->profiling && dev->timestamp_valid_bits > 0;
    if (dev->profiling && !c->profiling) hv_log_warn("profiling asked for, but %s has no timestamps on its compute queue", dev->info.name);
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO, .queueFamilyIndex = dev->queue_family};
    VkResult r = vkCreateCommandPool(dev->device, &pci, NULL, &c->pool);
    hv_status st = HV_OK;
    if (r != VK_SUCCESS) {
        st = hv_vk_fail(r, "vkCreateCommandPool");
        goto fail;
    }
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO, .commandPool = c->pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY, .commandBufferCount = 1};
    if ((r = vkAllocateCommandBuffers(dev->device, &ai, &c->cb)) != VK_SUCCESS) {
        st = hv_vk_fail(r, "vkAllocateCommandBuffers");
        goto fail;
    }
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    if ((r = vkCreateFence(dev->device, &fci, NULL, &c->fence)) != VK_SUCCESS) {
        st = hv_vk_fail(r, "vkCreateFence");
        goto fail;
    }
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    if ((r = vkBeginCommandBuffer(c->cb, &bi)) != VK_SUCCESS) {
        st = hv_vk_fail(r, "vkBeginCommandBuffer");
        goto fail;
    }
    /* Writes of earlier submissions (uploads, the previous replay) become visible to this one. */
    full_barrier(c->cb, 0, 0);
    *out = c;
    return HV_OK;
fail:
    hv_cmd_free(c);
    return st;
}

static hv_status alloc_set(hv_cmd *c, hv_vk_pipeline *pipe, VkDescriptorSet *set) {
    VkDevice d = c->dev->device;
    uint32_t need = pipe->n_bindings ? pipe->n_bindings : 1;
    if (c->n_dpools == 0 || c->sets_left == 0 || c->descs_left < need) {
        uint32_t descs = need > DESCRIPTORS_PER_POOL ? need : DESCRIPTORS_PER_POOL;
        VkDescriptorPoolSize size = {.type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, .descriptorCount = descs};
        VkDescriptorPoolCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO, .maxSets = SETS_PER_POOL,
                                         .poolSizeCount = 1, .pPoolSizes = &size};
        VkDescriptorPool *grown = realloc(c->dpools, (c->n_dpools + 1) * sizeof *grown);
        if (!grown) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of host memory growing descriptor pools");
        c->dpools = grown;
        VkResult r = vkCreateDescriptorPool(d, &ci, NULL, &c->dpools[c->n_dpools]);
        if (r != VK_SUCCESS) return hv_vk_fail(r, "vkCreateDescriptorPool");
        c->n_dpools++;
        c->sets_left = SETS_PER_POOL;
        c->descs_left = descs;
    }
    VkDescriptorSetAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                      .descriptorPool = c->dpools[c->n_dpools - 1], .descriptorSetCount = 1,
                                      .pSetLayouts = &pipe->set_layout};
    VkResult r = vkAllocateDescriptorSets(d, &ai, set);
    if (r != VK_SUCCESS) return hv_vk_fail(r, "vkAllocateDescriptorSets");
    c->sets_left--;
    c->descs_left -= pipe->n_bindings;
    return HV_OK;
}

/* The query pool and index for timestamp `q`, creating (and recording the reset of) a new pool when
 * the recording crosses into it. */
static hv_status timestamp_slot(hv_cmd *c, uint32_t q, VkQueryPool *pool, uint32_t *index) {
    uint32_t p = q / QUERIES_PER_POOL;
    if (p >= c->n_qpools) {
        VkQueryPool *grown = realloc(c->qpools, (c->n_qpools + 1) * sizeof *grown);
        if (!grown) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of host memory growing query pools");
        c->qpools = grown;
        VkQueryPoolCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO, .queryType = VK_QUERY_TYPE_TIMESTAMP,
                                    .queryCount = QUERIES_PER_POOL};
        VkResult r = vkCreateQueryPool(c->dev->device, &ci, NULL, &c->qpools[c->n_qpools]);
        if (r != VK_SUCCESS) return hv_vk_fail(r, "vkCreateQueryPool");
        vkCmdResetQueryPool(c->cb, c->qpools[c->n_qpools], 0, QUERIES_PER_POOL);
        c->n_qpools++;
    }
    *pool = c->qpools[p];
    *index = q % QUERIES_PER_POOL;
    return HV_OK;
}

static hv_status check_binding(const hv_cmd *c, const hv_vk_pipeline *pipe, uint32_t i, const hv_binding *b,
                               VkDescriptorBufferInfo *out) {
    const hv_device_info *info = &c->dev->info;
    if (!b->buf || !b->buf->block)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "dispatch of %s: binding %u has no buffer (NULL or freed)", pipe->shader, i);
    if (b->offset >= b->buf->size)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "dispatch of %s: binding %u offset %llu is past the %llu-byte buffer",
                        pipe->shader, i, (unsigned long long)b->offset, (unsigned long long)b->buf->size);
    uint64_t range = b->range ? b->range : b->buf->size - b->offset;
    if (range > b->buf->size - b->offset)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "dispatch of %s: binding %u range [%llu, +%llu) overruns the %llu-byte buffer",
                        pipe->shader, i, (unsigned long long)b->offset, (unsigned long long)range,
                        (unsigned long long)b->buf->size);
    if (range > info->max_storage_buffer_range)
        return hv_error(HV_ERR_UNSUPPORTED, "dispatch of %s: binding %u spans %llu bytes, more than this device's "
                        "maxStorageBufferRange (%llu); bind it in parts", pipe->shader, i, (unsigned long long)range,
                        (unsigned long long)info->max_storage_buffer_range);
    uint64_t off = b->buf->offset + b->offset;
    if (c->dev->min_storage_align && off % c->dev->min_storage_align)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "dispatch of %s: binding %u offset %llu is not a multiple of "
                        "minStorageBufferOffsetAlignment (%llu)", pipe->shader, i, (unsigned long long)b->offset,
                        (unsigned long long)c->dev->min_storage_align);
    *out = (VkDescriptorBufferInfo){.buffer = (VkBuffer)(uintptr_t)b->buf->vk_buffer, .offset = off, .range = range};
    return HV_OK;
}

hv_status hv_cmd_dispatch(hv_cmd *c, hv_vk_pipeline *pipe, const hv_binding *bindings, uint32_t n_bindings,
                          const void *push, uint32_t push_size, uint32_t gx, uint32_t gy, uint32_t gz, const char *label) {
    if (!c || !pipe) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_cmd_dispatch: NULL recording or pipeline");
    if (c->ended) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_cmd_dispatch: recording already ended");
    if (n_bindings != pipe->n_bindings || (n_bindings && !bindings))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "dispatch of %s: %u bindings given, the pipeline has %u", pipe->shader,
                        n_bindings, pipe->n_bindings);
    if (push_size != pipe->push_size || (push_size && !push))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "dispatch of %s: %u push-constant bytes given, the pipeline has %u",
                        pipe->shader, push_size, pipe->push_size);
    const hv_device_info *info = &c->dev->info;
    if (gx > info->max_workgroup_count[0] || gy > info->max_workgroup_count[1] || gz > info->max_workgroup_count[2])
        return hv_error(HV_ERR_UNSUPPORTED, "dispatch of %s: %u x %u x %u workgroups exceeds the device limit %u x %u x %u",
                        pipe->shader, gx, gy, gz, info->max_workgroup_count[0], info->max_workgroup_count[1],
                        info->max_workgroup_count[2]);
    VkDescriptorBufferInfo bi[32];
    VkWriteDescriptorSet w[32];
    for (uint32_t i = 0; i < n_bindings; i++) {
        hv_status st = check_binding(c, pipe, i, &bindings[i], &bi[i]);
        if (st) return st;
    }
    if (c->n_dispatch == c->cap_dispatch) {
        uint32_t cap = c->cap_dispatch ? 2 * c->cap_dispatch : 64;
        char **grown = realloc(c->labels, cap * sizeof *grown);
        if (!grown) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of host memory recording dispatches");
        c->labels = grown;
        c->cap_dispatch = cap;
    }
    char *copy = strdup(label ? label : pipe->shader);
    if (!copy) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of host memory recording dispatches");

    VkDescriptorSet set = VK_NULL_HANDLE;
    hv_status st = alloc_set(c, pipe, &set);
    if (st) {
        free(copy);
        return st;
    }
    for (uint32_t i = 0; i < n_bindings; i++)
        w[i] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstSet = set, .dstBinding = i,
                                      .descriptorCount = 1, .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                      .pBufferInfo = &bi[i]};
    if (n_bindings) vkUpdateDescriptorSets(c->dev->device, n_bindings, w, 0, NULL);

    VkQueryPool qp0 = VK_NULL_HANDLE, qp1 = VK_NULL_HANDLE;
    uint32_t q0 = 0, q1 = 0;
    if (c->profiling && ((st = timestamp_slot(c, 2 * c->n_dispatch, &qp0, &q0)) ||
                         (st = timestamp_slot(c, 2 * c->n_dispatch + 1, &qp1, &q1)))) {
        free(copy);
        return st;
    }
    if (c->profiling) vkCmdWriteTimestamp(c->cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, qp0, q0);
    vkCmdBindPipeline(c->cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipe->pipeline);
    vkCmdBindDescriptorSets(c->cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipe->layout, 0, 1, &set, 0, NULL);
    if (push_size) vkCmdPushConstants(c->cb, pipe->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, push_size, push);
    vkCmdDispatch(c->cb, gx, gy, gz);
    if (c->profiling) vkCmdWriteTimestamp(c->cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, qp1, q1);
    c->labels[c->n_dispatch++] = copy;
    return HV_OK;
}

static hv_status check_transfer(const char *fn, const hv_cmd *c, const hv_buffer *b, uint64_t off, uint64_t size) {
    if (!c) return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: NULL recording", fn);
    if (c->ended) return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: recording already ended", fn);
    if (!b || !b->block) return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: buffer is NULL or was freed", fn);
    if (off > b->size || size > b->size - off)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: range [%llu, %llu) is outside the %llu-byte buffer", fn,
                        (unsigned long long)off, (unsigned long long)(off + size), (unsigned long long)b->size);
    return HV_OK;
}

hv_status hv_cmd_copy(hv_cmd *c, const hv_buffer *src, uint64_t src_offset, const hv_buffer *dst, uint64_t dst_offset,
                      uint64_t size) {
    hv_status st = check_transfer("hv_cmd_copy (source)", c, src, src_offset, size);
    if (!st) st = check_transfer("hv_cmd_copy (destination)", c, dst, dst_offset, size);
    if (st || size == 0) return st;
    if (src->vk_buffer == dst->vk_buffer) {
        uint64_t a = src->offset + src_offset, b = dst->offset + dst_offset;
        if (a < b + size && b < a + size)
            return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_cmd_copy: source and destination ranges overlap");
    }
    VkBufferCopy region = {.srcOffset = src->offset + src_offset, .dstOffset = dst->offset + dst_offset, .size = size};
    vkCmdCopyBuffer(c->cb, (VkBuffer)(uintptr_t)src->vk_buffer, (VkBuffer)(uintptr_t)dst->vk_buffer, 1, &region);
    return HV_OK;
}

hv_status hv_cmd_fill(hv_cmd *c, const hv_buffer *dst, uint64_t offset, uint64_t size, uint32_t value) {
    hv_status st = check_transfer("hv_cmd_fill", c, dst, offset, size);
    if (st || size == 0) return st;
    if (offset % 4 || size % 4)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_cmd_fill: offset %llu and size %llu must be multiples of 4",
                        (unsigned long long)offset, (unsigned long long)size);
    vkCmdFillBuffer(c->cb, (VkBuffer)(uintptr_t)dst->vk_buffer, dst->offset + offset, size, value);
    return HV_OK;
}

void hv_cmd_barrier(hv_cmd *c) {
    if (c && !c->ended) full_barrier(c->cb, 0, 0);
}

hv_status hv_cmd_end(hv_cmd *c) {
    if (!c) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_cmd_end: NULL recording");
    if (c->ended) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_cmd_end: recording already ended");
    /* Results become visible to the host after the fence, and to the next submission. */
    full_barrier(c->cb, VK_ACCESS_HOST_READ_BIT, VK_PIPELINE_STAGE_HOST_BIT);
    VkResult r = vkEndCommandBuffer(c->cb);
    if (r != VK_SUCCESS) return hv_vk_fail(r, "vkEndCommandBuffer");
    c->ended = true;
    return HV_OK;
}

/* After the fence: read the timestamps of this submission. */
static void collect_timings(hv_cmd *c) {
    c->n_times = 0;
    if (!c->profiling || c->n_dispatch == 0) return;
    if (!c->times) {
        c->times = calloc(c->n_dispatch, sizeof *c->times);
        if (!c->times) return;
    }
    uint32_t total = 2 * c->n_dispatch;
    uint64_t *ts = calloc(total, sizeof *ts);
    if (!ts) return;
    for (uint32_t p = 0; p < c->n_qpools; p++) {
        uint32_t first = p * QUERIES_PER_POOL;
        uint32_t n = total - first < QUERIES_PER_POOL ? total - first : QUERIES_PER_POOL;
        VkResult r = vkGetQueryPoolResults(c->dev->device, c->qpools[p], 0, n, n * sizeof(uint64_t), ts + first,
                                           sizeof(uint64_t), VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
        if (r != VK_SUCCESS) {
            hv_log_warn("could not read GPU timestamps: %s", hv_vk_result_name(r));
            free(ts);
            return;
        }
    }
    uint32_t bits = c->dev->timestamp_valid_bits;
    uint64_t mask = bits >= 64 ? UINT64_MAX : ((1ull << bits) - 1);
    double period = c->dev->info.timestamp_period_ns;
    for (uint32_t i = 0; i < c->n_dispatch; i++) {
        uint64_t t0 = ts[2 * i] & mask, t1 = ts[2 * i + 1] & mask;
        uint64_t dt = (t1 - t0) & mask; /* wraps correctly within the valid bits */
        c->times[i].label = c->labels[i];
        c->times[i].ns = (double)dt * period;
    }
    c->n_times = c->n_dispatch;
    free(ts);
}

hv_status hv_cmd_wait(hv_cmd *c) {
    if (!c) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_cmd_wait: NULL recording");
    if (!c->pending) return HV_OK;
    VkResult r = vkWaitForFences(c->dev->device, 1, &c->fence, VK_TRUE, UINT64_MAX);
    if (r != VK_SUCCESS) return hv_vk_fail(r, "vkWaitForFences");
    c->pending = false;
    collect_timings(c);
    return HV_OK;
}

hv_status hv_cmd_submit(hv_cmd *c, bool wait) {
    if (!c) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_cmd_submit: NULL recording");
    if (!c->ended) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_cmd_submit: call hv_cmd_end() first");
    if (c->pending) {
        VkResult s = vkGetFenceStatus(c->dev->device, c->fence);
        if (s == VK_NOT_READY)
            return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_cmd_submit: the previous submission of this recording is "
                            "still running; call hv_cmd_wait() first");
        if (s != VK_SUCCESS) return hv_vk_fail(s, "vkGetFenceStatus");
        c->pending = false;
        collect_timings(c);
    }
    VkResult r = vkResetFences(c->dev->device, 1, &c->fence);
    if (r != VK_SUCCESS) return hv_vk_fail(r, "vkResetFences");
    c->n_times = 0;
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &c->cb};
    pthread_mutex_lock(&c->dev->queue_lock);
    r = vkQueueSubmit(c->dev->queue, 1, &si, c->fence);
    pthread_mutex_unlock(&c->dev->queue_lock);
    if (r != VK_SUCCESS) return hv_vk_fail(r, "vkQueueSubmit");
    c->pending = true;
    return wait ? hv_cmd_wait(c) : HV_OK;
}

uint32_t hv_cmd_timings(const hv_cmd *c, const hv_dispatch_time **out) {
    if (out) *out = c ? c->times : NULL;
    return c ? c->n_times : 0;
}

void hv_cmd_free(hv_cmd *c) {
    if (!c) return;
    VkDevice d = c->dev->device;
    if (c->pending) vkWaitForFences(d, 1, &c->fence, VK_TRUE, UINT64_MAX);
    for (uint32_t i = 0; i < c->n_qpools; i++) vkDestroyQueryPool(d, c->qpools[i], NULL);
    for (uint32_t i = 0; i < c->n_dpools; i++) vkDestroyDescriptorPool(d, c->dpools[i], NULL);
    if (c->fence) vkDestroyFence(d, c->fence, NULL);
    if (c->pool) vkDestroyCommandPool(d, c->pool, NULL);
    for (uint32_t i = 0; i < c->n_dispatch; i++) free(c->labels[i]);
    free(c->labels);
    free(c->times);
    free(c->qpools);
    free(c->dpools);
    free(c);
}
