/* The buffer sub-allocator: large VkDeviceMemory blocks (64 MiB, or maxMemoryAllocationSize if
 * smaller), each with ONE VkBuffer over all of it, handed out as aligned ranges from a sorted free
 * list whose neighbours coalesce on free. Requests over half a block get a dedicated block so big
 * tensors do not strand space. One pool per kind (device-local, upload, readback).
 *
 * Why one VkBuffer per block: descriptors bind (buffer, offset, range), so ranges of one buffer
 * cost nothing extra, and the executor can reuse memory between tensors without creating objects. */
#include <stdlib.h>
#include <string.h>

#include "hemovk/log.h"
#include "vulkan/vk_internal.h"

#define MiB(x) ((double)(x) / (1024.0 * 1024.0))

static const VkBufferUsageFlags k_usage =
    VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;

static const char *kind_name(hv_mem_kind k) {
    return k == HV_MEM_DEVICE ? "device" : k == HV_MEM_UPLOAD ? "upload" : "readback";
}

/* Score a memory type for a kind; -1 when it cannot serve it. */
static int score_type(hv_mem_kind kind, VkMemoryPropertyFlags f) {
    const VkMemoryPropertyFlags hv = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    bool local = f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
    bool cached = f & VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
    if (f & (VK_MEMORY_PROPERTY_PROTECTED_BIT | VK_MEMORY_PROPERTY_LAZILY_ALLOCATED_BIT)) return -1;
    switch (kind) {
    case HV_MEM_DEVICE: /* device-local, ideally not host-visible (host-visible local memory is scarce BAR) */
        return (local ? 8 : 0) + ((f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) ? 0 : 2);
    case HV_MEM_UPLOAD: /* coherent host memory; keep the small BAR window for the device */
        if ((f & hv) != hv) return -1;
        return (local ? 0 : 4) + (cached ? 0 : 1);
    default: /* readback: cached reads are much faster on the host */
        if ((f & hv) != hv) return -1;
        return (cached ? 4 : 0) + (local ? 0 : 2);
    }
}

/* Find the memory type for a kind once, from the requirements of a small probe buffer (buffers with
 * the same usage and flags share memoryTypeBits). */
static hv_status ensure_type(hv_device *dev, hv_mem_kind kind) {
    hv_mem_pool *pool = &dev->pools[kind];
    if (pool->type_index != UINT32_MAX) return HV_OK;
    VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = 4096, .usage = k_usage,
                              .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer probe;
    VkResult r = vkCreateBuffer(dev->device, &bci, NULL, &probe);
    if (r != VK_SUCCESS) return hv_vk_fail(r, "vkCreateBuffer (memory type probe)");
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(dev->device, probe, &req);
    vkDestroyBuffer(dev->device, probe, NULL);
    int best = -1, best_score = -1;
    for (uint32_t i = 0; i < dev->mem_props.memoryTypeCount; i++) {
        if (!(req.memoryTypeBits & (1u << i))) continue;
        int s = score_type(kind, dev->mem_props.memoryTypes[i].propertyFlags);
        if (s > best_score) {
            best_score = s;
            best = (int)i;
        }
    }
    if (best < 0)
        return hv_error(HV_ERR_UNSUPPORTED, "%s has no memory type usable for %s buffers", dev->info.name,
                        kind_name(kind));
    pool->type_index = (uint32_t)best;
    return HV_OK;
}

static uint32_t heap_of(const hv_device *dev, hv_mem_kind kind) {
    return dev->mem_props.memoryTypes[dev->pools[kind].type_index].heapIndex;
}

static hv_status out_of_memory(const hv_device *dev, hv_mem_kind kind, uint64_t size, const char *why) {
    uint32_t heap = heap_of(dev, kind);
    return hv_error(HV_ERR_DEVICE_OUT_OF_MEMORY,
                    "out of GPU memory on %s: asked for %.1f MiB of %s memory (%s); in use %.1f MiB of device "
                    "tensors (peak %.1f MiB), %.1f MiB of heap %u allocated, heap size %.1f MiB, largest single "
                    "allocation %.1f MiB. Try a smaller batch, f16 weights, fewer pipelines in parallel, or "
                    "another device (HEMOVK_DEVICE / --device)",
                    dev->info.name, MiB(size), kind_name(kind), why, MiB(dev->in_use), MiB(dev->peak),
                    MiB(dev->heap_used[heap]), heap, MiB(dev->mem_props.memoryHeaps[heap].size),
                    MiB(dev->info.max_memory_allocation_size));
}

static void destroy_block(hv_device *dev, hv_mem_block *b) {
    if (b->mapped) vkUnmapMemory(dev->device, b->memory);
    if (b->buffer) vkDestroyBuffer(dev->device, b->buffer, NULL);
    if (b->memory) {
        vkFreeMemory(dev->device, b->memory, NULL);
        dev->heap_used[b->heap] -= b->mem_size;
    }
    free(b->free);
    free(b);
}

static hv_status create_block(hv_device *dev, hv_mem_kind kind, uint64_t size, bool dedicated, hv_mem_block **out) {
    hv_mem_block *b = calloc(1, sizeof *b);
    if (!b) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of host memory");
    b->size = size;
    b->kind = kind;
    b->dedicated = dedicated;
    b->heap = heap_of(dev, kind);
    VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = size, .usage = k_usage,
                              .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkResult r = vkCreateBuffer(dev->device, &bci, NULL, &b->buffer);
    if (r != VK_SUCCESS) {
        destroy_block(dev, b);
        return r == VK_ERROR_OUT_OF_DEVICE_MEMORY ? out_of_memory(dev, kind, size, "vkCreateBuffer")
                                                  : hv_vk_fail(r, "vkCreateBuffer");
    }
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(dev->device, b->buffer, &req);
    VkMemoryDedicatedAllocateInfo ded = {.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO, .buffer = b->buffer};
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .pNext = dedicated ? &ded : NULL,
                               .allocationSize = req.size,
                               .memoryTypeIndex = dev->pools[kind].type_index};
    r = vkAllocateMemory(dev->device, &ai, NULL, &b->memory);
    if (r != VK_SUCCESS) {
        b->memory = VK_NULL_HANDLE;
        destroy_block(dev, b);
        return r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY
                   ? out_of_memory(dev, kind, size, hv_vk_result_name(r))
                   : hv_vk_fail(r, "vkAllocateMemory");
    }
    b->mem_size = req.size;
    dev->heap_used[b->heap] += b->mem_size;
    r = vkBindBufferMemory(dev->device, b->buffer, b->memory, 0);
    if (r != VK_SUCCESS) {
        destroy_block(dev, b);
        return hv_vk_fail(r, "vkBindBufferMemory");
    }
    if (kind != HV_MEM_DEVICE) {
        r = vkMapMemory(dev->device, b->memory, 0, VK_WHOLE_SIZE, 0, &b->mapped);
        if (r != VK_SUCCESS) {
            b->mapped = NULL;
            destroy_block(dev, b);
            return hv_vk_fail(r, "vkMapMemory");
        }
    }
    b->free = malloc(4 * sizeof *b->free);
    if (!b->free) {
        destroy_block(dev, b);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    b->free_cap = 4;
    b->free_count = 1;
    b->free[0] = (hv_mem_range){0, size};
    *out = b;
    return HV_OK;
}

/* First fit in a block; returns the offset or UINT64_MAX. Sizes are multiples of the alignment,
 * so every free range starts aligned. */
static uint64_t take_range(hv_mem_block *b, uint64_t size) {
    for (uint32_t i = 0; i < b->free_count; i++) {
        hv_mem_range *r = &b->free[i];
        if (r->size < size) continue;
        uint64_t off = r->offset;
        r->offset += size;
        r->size -= size;
        if (r->size == 0) {
            memmove(r, r + 1, (b->free_count - i - 1) * sizeof *r);
            b->free_count--;
        }
        b->live++;
        return off;
    }
    return UINT64_MAX;
}

/* Return [off, off+size) to the block's sorted free list, merging with its neighbours. */
static bool give_range(hv_mem_block *b, uint64_t off, uint64_t size) {
    uint32_t i = 0;
    while (i < b->free_count && b->free[i].offset < off) i++;
    bool merge_prev = i > 0 && b->free[i - 1].offset + b->free[i - 1].size == off;
    bool merge_next = i < b->free_count && off + size == b->free[i].offset;
    if (merge_prev && merge_next) {
        b->free[i - 1].size += size + b->free[i].size;
        memmove(&b->free[i], &b->free[i + 1], (b->free_count - i - 1) * sizeof *b->free);
        b->free_count--;
    } else if (merge_prev) {
        b->free[i - 1].size += size;
    } else if (merge_next) {
        b->free[i].offset = off;
        b->free[i].size += size;
    } else {
        if (b->free_count == b->free_cap) {
            hv_mem_range *n = realloc(b->free, 2 * b->free_cap * sizeof *n);
            if (!n) return false; /* leaks the range, never corrupts */
            b->free = n;
            b->free_cap *= 2;
        }
        memmove(&b->free[i + 1], &b->free[i], (b->free_count - i) * sizeof *b->free);
        b->free[i] = (hv_mem_range){off, size};
        b->free_count++;
    }
    b->live--;
    return true;
}

hv_status hv_buffer_alloc(hv_device *dev, hv_mem_kind kind, uint64_t size, hv_buffer *out) {
    if (!dev || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_buffer_alloc: NULL argument");
    memset(out, 0, sizeof *out);
    if (size == 0) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_buffer_alloc: size 0 (tensors need at least one byte)");
    if ((unsigned)kind > HV_MEM_READBACK) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_buffer_alloc: bad kind %d", (int)kind);
    uint64_t align = dev->min_storage_align < 4 ? 4 : dev->min_storage_align;

    pthread_mutex_lock(&dev->lock);
    hv_status st = ensure_type(dev, kind);
    if (st) goto done;
    if (size > UINT64_MAX - align) {
        st = out_of_memory(dev, kind, size, "more than any device can hold");
        goto done;
    }
    uint64_t asize = (size + align - 1) / align * align;
    uint32_t heap = heap_of(dev, kind);
    uint64_t heap_size = dev->mem_props.memoryHeaps[heap].size;
    if (dev->info.max_memory_allocation_size && asize > dev->info.max_memory_allocation_size) {
        st = out_of_memory(dev, kind, size, "more than the device's largest single allocation");
        goto done;
    }
    if (asize > heap_size) {
        st = out_of_memory(dev, kind, size, "more than the whole memory heap");
        goto done;
    }

    hv_mem_pool *pool = &dev->pools[kind];
    hv_mem_block *blk = NULL;
    uint64_t off = UINT64_MAX;
    bool dedicated = asize > dev->block_size / 2;
    if (!dedicated)
        for (hv_mem_block *b = pool->blocks; b && off == UINT64_MAX; b = b->next)
            if (!b->dedicated && (off = take_range(b, asize)) != UINT64_MAX) blk = b;
    if (!blk) {
        uint64_t bsize = dedicated ? asize : dev->block_size;
        if (dev->heap_used[heap] + bsize > heap_size) {
            if (dev->heap_used[heap] + asize > heap_size) {
                st = out_of_memory(dev, kind, size, "the heap is full");
                goto done;
            }
            bsize = asize; /* not room for a whole block: allocate just this range */
        }
        st = create_block(dev, kind, bsize, dedicated, &blk);
        if (st) goto done;
        blk->next = pool->blocks;
        pool->blocks = blk;
        off = take_range(blk, asize);
    }
    out->vk_buffer = (uint64_t)(uintptr_t)blk->buffer;
    out->offset = off;
    out->size = size;
    out->mapped = blk->mapped ? (char *)blk->mapped + off : NULL;
    out->kind = kind;
    out->block = blk;
    if (kind == HV_MEM_DEVICE) {
        dev->in_use += asize;
        if (dev->in_use > dev->peak) dev->peak = dev->in_use;
    }
done:
    pthread_mutex_unlock(&dev->lock);
    return st;
}

void hv_buffer_free(hv_device *dev, hv_buffer *buf) {
    if (!dev || !buf || !buf->block) return;
    hv_mem_block *b = buf->block;
    uint64_t align = dev->min_storage_align < 4 ? 4 : dev->min_storage_align;
    uint64_t asize = (buf->size + align - 1) / align * align;
    pthread_mutex_lock(&dev->lock);
    give_range(b, buf->offset, asize);
    if (buf->kind == HV_MEM_DEVICE) dev->in_use -= asize;
    hv_mem_pool *pool = &dev->pools[b->kind];
    if (b->live == 0) {
        /* Keep one empty shared block per pool warm; give dedicated and surplus blocks back. */
        bool other_shared = false;
        for (hv_mem_block *o = pool->blocks; o; o = o->next)
            if (o != b && !o->dedicated) other_shared = true;
        if (b->dedicated || other_shared) {
            hv_mem_block **pp = &pool->blocks;
            while (*pp && *pp != b) pp = &(*pp)->next;
            if (*pp) *pp = b->next;
            destroy_block(dev, b);
        }
    }
    pthread_mutex_unlock(&dev->lock);
    memset(buf, 0, sizeof *buf);
}

void hv_device_memory_usage(const hv_device *dev, uint64_t *in_use, uint64_t *peak) {
    if (in_use) *in_use = dev ? dev->in_use : 0;
    if (peak) *peak = dev ? dev->peak : 0;
}

void hv_mem_destroy_all(hv_device *dev) {
    for (int k = 0; k < 3; k++) {
        hv_mem_block *b = dev->pools[k].blocks;
        while (b) {
            hv_mem_block *n = b->next;
            if (b->live) hv_log_debug("device close: %u %s buffer range(s) still allocated", b->live, kind_name(b->kind));
            destroy_block(dev, b);
            b = n;
        }
        dev->pools[k].blocks = NULL;
    }
}
