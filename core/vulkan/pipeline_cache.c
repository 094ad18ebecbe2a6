/* The VkPipelineCache persisted between runs, one file per device under $XDG_CACHE_HOME/hemovk/
 * (else ~/.cache/hemovk/), named by vendor id, device id, driver version and pipelineCacheUUID.
 *
 * Drivers do not all defend against foreign or damaged cache blobs, so the file starts with our own
 * header (magic, format version, the same key, data size, FNV-1a of the data) and the data must also
 * carry Vulkan's VkPipelineCacheHeaderVersionOne for this device. Anything that does not match is
 * ignored with a warning naming the file and the reason: a cache can only make start-up faster, never
 * make a run fail. Saving writes a temporary file and renames it, so readers never see half a file.
 * HEMOVK_PIPELINE_CACHE=0 turns persistence off. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hemovk/log.h"
#include "vulkan/vk_internal.h"

#define HV_PCACHE_MAGIC "HVPCACHE"
#define HV_PCACHE_VERSION 1u
#define HV_PCACHE_HEADER 56u /* magic 8, version 4, vendor 4, device 4, driver 4, uuid 16, size 8, fnv 8 */
#define HV_PCACHE_MAX (512ull << 20)

static uint64_t fnv1a64(const uint8_t *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static uint64_t get64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void write_header(const hv_device_info *info, uint64_t size, uint64_t sum, uint8_t h[HV_PCACHE_HEADER]) {
    memcpy(h, HV_PCACHE_MAGIC, 8);
    put32(h + 8, HV_PCACHE_VERSION);
    put32(h + 12, info->vendor_id);
    put32(h + 16, info->device_id);
    put32(h + 20, info->driver_version);
    memcpy(h + 24, info->pipeline_cache_uuid, 16);
    put64(h + 40, size);
    put64(h + 48, sum);
}

/* mkdir -p */
static int make_dirs(const char *path) {
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return (mkdir(tmp, 0755) != 0 && errno != EEXIST) ? -1 : 0;
}

static bool cache_dir(char *out, size_t cap) {
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (xdg && xdg[0] == '/') return (size_t)snprintf(out, cap, "%s/hemovk", xdg) < cap;
    const char *home = getenv("HOME");
    if (home && home[0]) return (size_t)snprintf(out, cap, "%s/.cache/hemovk", home) < cap;
    return false;
}

/* Why `blob` (the whole file) cannot be used, or NULL when it can; `*data`/`*size` get the payload. */
static const char *check_file(const hv_device_info *info, const uint8_t *blob, size_t n, const uint8_t **data,
                              size_t *size) {
    if (n < HV_PCACHE_HEADER) return "shorter than its header (truncated)";
    if (memcmp(blob, HV_PCACHE_MAGIC, 8) != 0) return "not a hemovk pipeline cache (bad magic)";
    if (get32(blob + 8) != HV_PCACHE_VERSION) return "written by another hemovk cache format version";
    if (get32(blob + 12) != info->vendor_id || get32(blob + 16) != info->device_id ||
        get32(blob + 20) != info->driver_version || memcmp(blob + 24, info->pipeline_cache_uuid, 16) != 0)
        return "made for another device or driver version";
    uint64_t want = get64(blob + 40);
    if (want != n - HV_PCACHE_HEADER) return "its size does not match its header (truncated or extended)";
    *data = blob + HV_PCACHE_HEADER;
    *size = (size_t)want;
    if (fnv1a64(*data, *size) != get64(blob + 48)) return "checksum mismatch (corrupted)";
    /* Vulkan's own header: VkPipelineCacheHeaderVersionOne. */
    if (*size < 32) return "its Vulkan cache data is shorter than a Vulkan cache header";
    if (get32(*data) < 32 || get32(*data + 4) != VK_PIPELINE_CACHE_HEADER_VERSION_ONE)
        return "its Vulkan cache header has an unknown version";
    if (get32(*data + 8) != info->vendor_id || get32(*data + 12) != info->device_id ||
        memcmp(*data + 16, info->pipeline_cache_uuid, 16) != 0)
        return "its Vulkan cache header names another device";
    return NULL;
}

static uint8_t *read_file(const char *path, size_t *n, bool *missing) {
    *missing = false;
    FILE *f = fopen(path, "rb");
    if (!f) {
        *missing = errno == ENOENT;
        return NULL;
    }
    uint8_t *buf = NULL;
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && (uint64_t)len <= HV_PCACHE_MAX && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc(len ? (size_t)len : 1);
        if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    *n = buf ? (size_t)len : 0;
    return buf;
}

void hv_vk_pipeline_cache_prepare(hv_device *dev) {
    const hv_device_info *info = &dev->info;
    const char *off = getenv("HEMOVK_PIPELINE_CACHE");
    bool persist = !(off && (strcmp(off, "0") == 0 || strcasecmp(off, "off") == 0));
    char dir[900];
    dev->pipeline_cache_path[0] = 0;
    if (!persist || !cache_dir(dir, sizeof dir)) return;
    char uuid[33];
    for (int i = 0; i < 16; i++) snprintf(uuid + 2 * i, 3, "%02x", info->pipeline_cache_uuid[i]);
    snprintf(dev->pipeline_cache_path, sizeof dev->pipeline_cache_path, "%s/pipelines-%04x-%04x-%08x-%s.bin", dir,
             info->vendor_id, info->device_id, info->driver_version, uuid);
    /* Create the folder now: drivers keep their own caches beside ours (Mesa: mesa_shader_cache)
     * and complain at device creation when $XDG_CACHE_HOME does not exist. */
    if (make_dirs(dir) != 0)
        hv_log_warn("pipeline cache folder %s could not be created (%s); pipelines will not be cached", dir,
                    strerror(errno));
}

hv_status hv_vk_pipeline_cache_open(hv_device *dev) {
    const hv_device_info *info = &dev->info;
    const uint8_t *data = NULL;
    size_t size = 0;
    uint8_t *blob = NULL;
    if (dev->pipeline_cache_path[0]) {
        size_t n = 0;
        bool missing = false;
        blob = read_file(dev->pipeline_cache_path, &n, &missing);
        if (!blob && !missing)
            hv_log_warn("pipeline cache %s could not be read (%s); ignoring it", dev->pipeline_cache_path, strerror(errno));
        if (blob) {
            const char *why = check_file(info, blob, n, &data, &size);
            if (why) {
                hv_log_warn("pipeline cache %s ignored: %s; it will be rewritten", dev->pipeline_cache_path, why);
                data = NULL;
                size = 0;
            }
        }
    }
    VkPipelineCacheCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO, .initialDataSize = size,
                                    .pInitialData = size ? data : NULL};
    VkResult r = vkCreatePipelineCache(dev->device, &ci, NULL, &dev->pipeline_cache);
    if (r != VK_SUCCESS && size) {
        hv_log_warn("pipeline cache %s rejected by the driver (%s); starting empty", dev->pipeline_cache_path,
                    hv_vk_result_name(r));
        size = 0;
        ci.initialDataSize = 0;
        ci.pInitialData = NULL;
        r = vkCreatePipelineCache(dev->device, &ci, NULL, &dev->pipeline_cache);
    }
    free(blob);
    if (r != VK_SUCCESS) return hv_vk_fail(r, "vkCreatePipelineCache");
    dev->pipeline_cache_loaded = size;
    if (size) hv_log_debug("pipeline cache: loaded %zu bytes from %s", size, dev->pipeline_cache_path);
    return HV_OK;
}

static void save(hv_device *dev) {
    const char *path = dev->pipeline_cache_path;
    size_t n = 0;
    VkResult r = vkGetPipelineCacheData(dev->device, dev->pipeline_cache, &n, NULL);
    if (r != VK_SUCCESS || n == 0) return;
    uint8_t *buf = malloc(HV_PCACHE_HEADER + n);
    if (!buf) return;
    r = vkGetPipelineCacheData(dev->device, dev->pipeline_cache, &n, buf + HV_PCACHE_HEADER);
    if (r != VK_SUCCESS) {
        free(buf);
        hv_log_warn("pipeline cache not saved: vkGetPipelineCacheData: %s", hv_vk_result_name(r));
        return;
    }
    write_header(&dev->info, n, fnv1a64(buf + HV_PCACHE_HEADER, n), buf);

    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = NULL;
    bool ok = make_dirs(dir) == 0 && (f = fopen(tmp, "wb")) != NULL;
    if (ok) ok = fwrite(buf, 1, HV_PCACHE_HEADER + n, f) == HV_PCACHE_HEADER + n;
    if (f) ok = (fflush(f) == 0) && ok && fsync(fileno(f)) == 0, ok = (fclose(f) == 0) && ok;
    if (ok) ok = rename(tmp, path) == 0;
    if (!ok) {
        hv_log_warn("pipeline cache not saved to %s: %s (the next run rebuilds its pipelines)", path, strerror(errno));
        if (f) remove(tmp);
    } else {
        hv_log_debug("pipeline cache: saved %zu bytes to %s", n, path);
    }
    free(buf);
}

void hv_vk_pipeline_cache_close(hv_device *dev) {
    if (!dev->pipeline_cache) return;
    if (dev->pipeline_cache_path[0] && dev->pipelines_built > 0) save(dev);
    vkDestroyPipelineCache(dev->device, dev->pipeline_cache, NULL);
    dev->pipeline_cache = VK_NULL_HANDLE;
}
