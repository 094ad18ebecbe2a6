/* Blocking host<->device copies for weights and tests: through one reusable staging buffer per
 * direction (16 MiB, so a 256 MiB tensor moves in 16 chunks), one submit and one fence wait per
 * chunk. Host-visible destinations (upload/readback kinds) are plain memcpy. */
#include <string.h>

#include "vulkan/vk_internal.h"

static const uint64_t k_chunk = 16ull << 20;

static hv_status check_range(const char *fn, const hv_buffer *b, uint64_t off, uint64_t size) {
    if (!b || !b->block) return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: buffer is NULL or was freed", fn);
    if (off > b->size || size > b->size - off)
        return hv_error(HV_ERR_INVALID_ARGUMENT,
                        "%s: range [%llu, %llu) is outside the %llu-byte buffer", fn, (unsigned long long)off,
                        (unsigned long long)(off + size), (unsigned long long)b->size);
    return HV_OK;
}

/* Record and run one copy with barriers that make earlier GPU writes visible to it and its result
 * visible to later GPU work and to the host; waits on the transfer fence. */
static hv_status run_copy(hv_device *dev, VkBuffer src, uint64_t src_off, VkBuffer dst, uint64_t dst_off, uint64_t size) {
    VkResult r = vkResetCommandBuffer(dev->xfer_cb, 0);
    if (r != VK_SUCCESS) return hv_vk_fail(r, "vkResetCommandBuffer");
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    r = vkBeginCommandBuffer(dev->xfer_cb, &bi);
    if (r != VK_SUCCESS) return hv_vk_fail(r, "vkBeginCommandBuffer");
    VkMemoryBarrier before = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                              .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                              .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT};
    vkCmdPipelineBarrier(dev->xfer_cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &before, 0, NULL, 0, NULL);
    VkBufferCopy region = {.srcOffset = src_off, .dstOffset = dst_off, .size = size};
    vkCmdCopyBuffer(dev->xfer_cb, src, dst, 1, &region);
    VkMemoryBarrier after = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                             .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                             .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                                              VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT |
                                              VK_ACCESS_HOST_READ_BIT};
    vkCmdPipelineBarrier(dev->xfer_cb, VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_HOST_BIT,
                         0, 1, &after, 0, NULL, 0, NULL);
    r = vkEndCommandBuffer(dev->xfer_cb);
    if (r != VK_SUCCESS) return hv_vk_fail(r, "vkEndCommandBuffer");
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &dev->xfer_cb};
    pthread_mutex_lock(&dev->queue_lock);
    r = vkQueueSubmit(dev->queue, 1, &si, dev->xfer_fence);
    pthread_mutex_unlock(&dev->queue_lock);
    if (r != VK_SUCCESS) return hv_vk_fail(r, "vkQueueSubmit (buffer copy)");
    r = vkWaitForFences(dev->device, 1, &dev->xfer_fence, VK_TRUE, UINT64_MAX);
    VkResult r2 = vkResetFences(dev->device, 1, &dev->xfer_fence);
    if (r != VK_SUCCESS) return hv_vk_fail(r, "vkWaitForFences (buffer copy)");
    if (r2 != VK_SUCCESS) return hv_vk_fail(r2, "vkResetFences");
    return HV_OK;
}

static hv_status ensure_staging(hv_device *dev, hv_mem_kind kind, hv_buffer *sb) {
    if (sb->block) return HV_OK;
    hv_status st = hv_buffer_alloc(dev, kind, k_chunk, sb);
    return st ? hv_error_context(st, "allocating the %s staging buffer", kind == HV_MEM_UPLOAD ? "upload" : "readback")
              : HV_OK;
}

hv_status hv_buffer_upload(hv_device *dev, const hv_buffer *dst, uint64_t dst_offset, const void *src, uint64_t size) {
    if (!dev || (!src && size)) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_buffer_upload: NULL argument");
    hv_status st = check_range("hv_buffer_upload", dst, dst_offset, size);
    if (st || size == 0) return st;
    if (dst->mapped) {
        memcpy((char *)dst->mapped + dst_offset, src, size);
        return HV_OK;
    }
    pthread_mutex_lock(&dev->xfer_lock);
    st = ensure_staging(dev, HV_MEM_UPLOAD, &dev->staging_up);
    for (uint64_t done = 0; !st && done < size; done += k_chunk) {
        uint64_t n = size - done < k_chunk ? size - done : k_chunk;
        memcpy(dev->staging_up.mapped, (const char *)src + done, n);
        st = run_copy(dev, (VkBuffer)(uintptr_t)dev->staging_up.vk_buffer, dev->staging_up.offset,
                      (VkBuffer)(uintptr_t)dst->vk_buffer, dst->offset + dst_offset + done, n);
    }
    pthread_mutex_unlock(&dev->xfer_lock);
    return st;
}

hv_status hv_buffer_download(hv_device *dev, const hv_buffer *src, uint64_t src_offset, void *dst, uint64_t size) {
    if (!dev || (!dst && size)) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_buffer_download: NULL argument");
    hv_status st = check_range("hv_buffer_download", src, src_offset, size);
    if (st || size == 0) return st;
    if (src->mapped) {
        memcpy(dst, (const char *)src->mapped + src_offset, size);
        return HV_OK;
    }
    pthread_mutex_lock(&dev->xfer_lock);
    st = ensure_staging(dev, HV_MEM_READBACK, &dev->staging_down);
    for (uint64_t done = 0; !st && done < size; done += k_chunk) {
        uint64_t n = size - done < k_chunk ? size - done : k_chunk;
        st = run_copy(dev, (VkBuffer)(uintptr_t)src->vk_buffer, src->offset + src_offset + done,
                      (VkBuffer)(uintptr_t)dev->staging_down.vk_buffer, dev->staging_down.offset, n);
        if (!st) memcpy((char *)dst + done, dev->staging_down.mapped, n);
    }
    pthread_mutex_unlock(&dev->xfer_lock);
    return st;
}
