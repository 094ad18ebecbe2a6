/* Opening and closing a device: choose the physical device, create the VkDevice with one compute
 * queue and the optional features hv_device_info reports, and set up the transfer command buffer
 * and the pipeline cache. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hemovk/log.h"
#include "cpu/host.h"
#include "vulkan/vk_internal.h"

static const uint64_t k_block_size = 64ull << 20;

static bool env_on(const char *name) {
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0 && strcasecmp(v, "false") != 0 && strcasecmp(v, "off") != 0;
}

/* `enable` holds the feature chain hv_vk_query_device() built (pointers into itself). */
static hv_status create_logical_device(hv_device *dev, hv_vk_enable *enable) {
    float priority = 1.0f;
    VkDeviceQueueCreateInfo qci = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
        .queueFamilyIndex = dev->queue_family,
        .queueCount = 1,
        .pQueuePriorities = &priority,
    };
    VkDeviceCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
        .pNext = &enable->features2,
        .queueCreateInfoCount = 1,
        .pQueueCreateInfos = &qci,
        .enabledExtensionCount = enable->extension_count,
        .ppEnabledExtensionNames = enable->extension_count ? enable->extensions : NULL,
    };
    VkResult r = vkCreateDevice(dev->phys, &ci, NULL, &dev->device);
    if (r != VK_SUCCESS) return hv_error_context(hv_vk_fail(r, "vkCreateDevice"), "opening %s", dev->info.name);
    vkGetDeviceQueue(dev->device, dev->queue_family, 0, &dev->queue);
    return HV_OK;
}

static hv_status create_transfer_objects(hv_device *dev) {
    VkCommandPoolCreateInfo pci = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
        .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
        .queueFamilyIndex = dev->queue_family,
    };
    VkResult r = vkCreateCommandPool(dev->device, &pci, NULL, &dev->xfer_pool);
    if (r != VK_SUCCESS) return hv_vk_fail(r, "vkCreateCommandPool");
    VkCommandBufferAllocateInfo ai = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = dev->xfer_pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1,
    };
    r = vkAllocateCommandBuffers(dev->device, &ai, &dev->xfer_cb);
    if (r != VK_SUCCESS) return hv_vk_fail(r, "vkAllocateCommandBuffers");
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    r = vkCreateFence(dev->device, &fci, NULL, &dev->xfer_fence);
    if (r != VK_SUCCESS) return hv_vk_fail(r, "vkCreateFence");
    return HV_OK;
}

/* "cpu" (any case, spaces around): the CPU backend by its short name. */
static bool is_cpu_selector(const char *sel) {
    while (isspace((unsigned char)*sel)) sel++;
    if (strncasecmp(sel, "cpu", 3)) return false;
    for (sel += 3; *sel; sel++)
        if (!isspace((unsigned char)*sel)) return false;
    return true;
}

/* Finish `dev` as the CPU backend: no Vulkan objects; plans on it run through exec_host.c. */
static hv_status open_host(hv_device *dev, uint32_t index, hv_device **out) {
    dev->host = true;
    hv_host_fill_info(&dev->info, index);
    hv_log_info("device: %s", dev->info.name);
    *out = dev;
    return HV_OK;
}

bool hv_device_is_host(const hv_device *dev) { return dev && dev->host; }

hv_status hv_device_open(const char *selector, hv_device **out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_device_open: NULL output");
    *out = NULL;
    const char *source = NULL; /* a selector the caller gives: the caller says where it came from */
    if (!selector) {
        selector = getenv("HEMOVK_DEVICE");
        source = "HEMOVK_DEVICE";
    }
    hv_device *dev = calloc(1, sizeof *dev);
    if (!dev) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of host memory opening a device");
    pthread_mutex_init(&dev->lock, NULL);
    pthread_mutex_init(&dev->queue_lock, NULL);
    pthread_mutex_init(&dev->xfer_lock, NULL);
    for (int k = 0; k < 3; k++) dev->pools[k].type_index = UINT32_MAX;
    if (selector && is_cpu_selector(selector)) return open_host(dev, UINT32_MAX, out); /* no Vulkan needed */

    hv_status st = hv_vk_instance_acquire(&dev->instance);
    if (st) {
        pthread_mutex_destroy(&dev->lock);
        pthread_mutex_destroy(&dev->queue_lock);
        pthread_mutex_destroy(&dev->xfer_lock);
        free(dev);
        return st;
    }
    VkPhysicalDevice *phys = NULL;
    hv_device_info *infos = NULL;
    uint32_t count = 0, chosen = 0;
    st = hv_vk_enumerate(dev->instance, &phys, &infos, &count);
    if (!st) {
        st = hv_device_choose(infos, count, selector, &chosen);
        if (st && selector && *selector && source)
            hv_error_context(st, "choosing the device \"%s\" (from %s)", selector, source);
    }
    if (st) {
        free(phys);
        free(infos);
        hv_device_close(dev);
        return st;
    }
    dev->phys = phys[chosen];
    uint32_t listed = count;
    free(phys);
    free(infos);
    if (dev->phys == VK_NULL_HANDLE) { /* the CPU backend's entry, chosen by index, name or rule */
        hv_vk_instance_release();
        dev->instance = VK_NULL_HANDLE;
        return open_host(dev, listed - 1, out);
    }

    hv_vk_enable enable;
    hv_vk_query_device(dev->instance, dev->phys, chosen, &dev->info, &enable, &dev->queue_family);
    if (dev->queue_family == UINT32_MAX) {
        st = hv_error(HV_ERR_UNSUPPORTED, "device %u (%s) has no compute queue; choose another with HEMOVK_DEVICE",
                      chosen, dev->info.name);
        hv_device_close(dev);
        return st;
    }
    if (dev->info.api_version < VK_API_VERSION_1_1) {
        st = hv_error(HV_ERR_UNSUPPORTED, "device %u (%s) supports Vulkan %u.%u only; hemovk needs 1.1 or newer",
                      chosen, dev->info.name, VK_API_VERSION_MAJOR(dev->info.api_version),
                      VK_API_VERSION_MINOR(dev->info.api_version));
        hv_device_close(dev);
        return st;
    }
    uint32_t nq = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(dev->phys, &nq, NULL);
    VkQueueFamilyProperties *qp = calloc(nq ? nq : 1, sizeof *qp);
    if (qp) {
        vkGetPhysicalDeviceQueueFamilyProperties(dev->phys, &nq, qp);
        dev->timestamp_valid_bits = qp[dev->queue_family].timestampValidBits;
        free(qp);
    }
    vkGetPhysicalDeviceMemoryProperties(dev->phys, &dev->mem_props);
    dev->min_storage_align = dev->info.min_storage_buffer_offset_alignment ? dev->info.min_storage_buffer_offset_alignment : 16;
    dev->block_size = k_block_size;
    if (dev->info.max_memory_allocation_size && dev->block_size > dev->info.max_memory_allocation_size)
        dev->block_size = dev->info.max_memory_allocation_size;

    hv_vk_pipeline_cache_prepare(dev);
    if ((st = create_logical_device(dev, &enable)) || (st = create_transfer_objects(dev)) ||
        (st = hv_vk_pipeline_cache_open(dev))) {
        hv_device_close(dev);
        return st;
    }
    dev->profiling = env_on("HEMOVK_PROFILE");
    hv_log_info("device %u: %s (%s, %s%s%s, Vulkan %u.%u)%s", chosen, dev->info.name,
                hv_device_type_name(dev->info.type), dev->info.driver_name[0] ? dev->info.driver_name : "driver",
                dev->info.driver_info[0] ? " " : "", dev->info.driver_info, VK_API_VERSION_MAJOR(dev->info.api_version),
                VK_API_VERSION_MINOR(dev->info.api_version), hv_vk_validation_enabled() ? " with validation" : "");
    *out = dev;
    return HV_OK;
}

void hv_device_close(hv_device *dev) {
    if (!dev) return;
    if (dev->device) {
        vkDeviceWaitIdle(dev->device);
        hv_vk_pipelines_destroy(dev);
        hv_vk_pipeline_cache_close(dev);
        hv_buffer_free(dev, &dev->staging_up);
        hv_buffer_free(dev, &dev->staging_down);
        hv_mem_destroy_all(dev);
        if (dev->xfer_fence) vkDestroyFence(dev->device, dev->xfer_fence, NULL);
        if (dev->xfer_pool) vkDestroyCommandPool(dev->device, dev->xfer_pool, NULL);
        vkDestroyDevice(dev->device, NULL);
    }
    if (dev->instance) hv_vk_instance_release();
    hv_weight_blocks_destroy(dev);
    pthread_mutex_destroy(&dev->lock);
    pthread_mutex_destroy(&dev->queue_lock);
    pthread_mutex_destroy(&dev->xfer_lock);
    free(dev);
}

const hv_device_info *hv_device_get_info(const hv_device *dev) { return dev ? &dev->info : NULL; }

void hv_device_set_profiling(hv_device *dev, bool on) {
    if (dev) dev->profiling = on;
}

uint64_t hv_device_pipeline_cache_loaded(const hv_device *dev) { return dev ? dev->pipeline_cache_loaded : 0; }

const char *hv_device_pipeline_cache_path(const hv_device *dev) { return dev ? dev->pipeline_cache_path : ""; }

void hv_vk_count_transfer(hv_device *dev, hv_vk_traffic kind, uint64_t bytes) {
    if (!dev) return;
    switch (kind) {
    case HV_VK_UPLOAD: atomic_fetch_add(&dev->xfer_uploads, 1), atomic_fetch_add(&dev->xfer_upload_bytes, bytes); break;
    case HV_VK_DOWNLOAD: atomic_fetch_add(&dev->xfer_downloads, 1), atomic_fetch_add(&dev->xfer_download_bytes, bytes); break;
    case HV_VK_SUBMIT: atomic_fetch_add(&dev->xfer_submits, 1); break;
    }
}

void hv_device_transfer_stats(const hv_device *dev, hv_transfer_stats *out) {
    if (!out) return;
    memset(out, 0, sizeof *out);
    if (!dev) return;
    hv_device *d = (hv_device *)dev; /* atomic loads of const objects: C11 takes non-const pointers */
    out->uploads = atomic_load(&d->xfer_uploads);
    out->upload_bytes = atomic_load(&d->xfer_upload_bytes);
    out->downloads = atomic_load(&d->xfer_downloads);
    out->download_bytes = atomic_load(&d->xfer_download_bytes);
    out->submits = atomic_load(&d->xfer_submits);
}
