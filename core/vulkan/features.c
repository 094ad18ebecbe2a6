/* Feature detection: everything hv_device_info reports about one physical device, and the pNext
 * chain that enables exactly the reported optional features at vkCreateDevice (so shaders that use
 * 16-bit storage, float16 or int8 pass validation). HEMOVK_DISABLE_{FP16,STORAGE16,INT8,SUBGROUP,
 * COOPMAT} switch a feature off in both places. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpu/host.h"
#include "vulkan/vk_internal.h"

/* VK_KHR_cooperative_matrix arrived in Vulkan headers 1.3.255; Debian 12 ships 1.3.239. The
 * structures are small and frozen by the registry, so declare them here when the headers lack them. */
#ifdef VK_KHR_cooperative_matrix
typedef VkCooperativeMatrixPropertiesKHR hv_coopmat_props;
typedef VkPhysicalDeviceCooperativeMatrixFeaturesKHR hv_coopmat_features;
#define HV_STYPE_COOPMAT_PROPS VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_KHR
#define HV_STYPE_COOPMAT_FEATURES VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_KHR
#else
typedef struct {
    VkStructureType sType;
    void *pNext;
    uint32_t MSize, NSize, KSize;
    int32_t AType, BType, CType, ResultType;
    VkBool32 saturatingAccumulation;
    int32_t scope;
} hv_coopmat_props;
typedef struct {
    VkStructureType sType;
    void *pNext;
    VkBool32 cooperativeMatrix;
    VkBool32 cooperativeMatrixRobustBufferAccess;
} hv_coopmat_features;
#define HV_STYPE_COOPMAT_PROPS ((VkStructureType)1000506001)
#define HV_STYPE_COOPMAT_FEATURES ((VkStructureType)1000506000)
#endif
#define HV_COOPMAT_EXT "VK_KHR_cooperative_matrix"
#define HV_COOPMAT_SCOPE_SUBGROUP 3 /* VK_SCOPE_SUBGROUP_KHR */
typedef VkResult(VKAPI_PTR *hv_pfn_coopmat_props)(VkPhysicalDevice, uint32_t *, hv_coopmat_props *);

_Static_assert(sizeof(hv_coopmat_features) <= sizeof(((hv_vk_enable *)0)->coopmat_features),
               "hv_vk_enable.coopmat_features too small");

static bool disabled(const char *what) {
    char name[64];
    snprintf(name, sizeof name, "HEMOVK_DISABLE_%s", what);
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0 && strcasecmp(v, "false") != 0 && strcasecmp(v, "off") != 0;
}

static bool has_extension(VkPhysicalDevice phys, const char *name) {
    uint32_t n = 0;
    if (vkEnumerateDeviceExtensionProperties(phys, NULL, &n, NULL) != VK_SUCCESS || !n) return false;
    VkExtensionProperties *p = calloc(n, sizeof *p);
    if (!p) return false;
    bool found = false;
    if (vkEnumerateDeviceExtensionProperties(phys, NULL, &n, p) == VK_SUCCESS)
        for (uint32_t i = 0; i < n && !found; i++) found = strcmp(p[i].extensionName, name) == 0;
    free(p);
    return found;
}

static hv_device_type map_type(VkPhysicalDeviceType t) {
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return HV_DEVICE_DISCRETE;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return HV_DEVICE_INTEGRATED;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return HV_DEVICE_VIRTUAL;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return HV_DEVICE_CPU;
    default: return HV_DEVICE_OTHER;
    }
}

/* The queue family for compute: prefer a compute-only family (async compute on discrete GPUs),
 * else any family with compute. */
static uint32_t pick_queue_family(VkPhysicalDevice phys, uint32_t *timestamp_bits) {
    uint32_t n = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(phys, &n, NULL);
    VkQueueFamilyProperties *q = calloc(n ? n : 1, sizeof *q);
    if (!q) return UINT32_MAX;
    vkGetPhysicalDeviceQueueFamilyProperties(phys, &n, q);
    uint32_t best = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++) {
        if (!(q[i].queueFlags & VK_QUEUE_COMPUTE_BIT) || q[i].queueCount == 0) continue;
        if (best == UINT32_MAX) best = i;
        /* Keep the first compute family unless a compute-only one also has timestamps. */
        if (!(q[i].queueFlags & VK_QUEUE_GRAPHICS_BIT) && q[i].timestampValidBits &&
            (q[best].queueFlags & VK_QUEUE_GRAPHICS_BIT))
            best = i;
    }
    *timestamp_bits = best == UINT32_MAX ? 0 : q[best].timestampValidBits;
    free(q);
    return best;
}

static void query_coopmat(VkInstance instance, VkPhysicalDevice phys, hv_device_info *info) {
    hv_pfn_coopmat_props get =
        (hv_pfn_coopmat_props)vkGetInstanceProcAddr(instance, "vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR");
    if (!get) return;
    uint32_t n = 0;
    if (get(phys, &n, NULL) != VK_SUCCESS || n == 0) return;
    hv_coopmat_props *p = calloc(n, sizeof *p);
    if (!p) return;
    for (uint32_t i = 0; i < n; i++) p[i].sType = HV_STYPE_COOPMAT_PROPS;
    if (get(phys, &n, p) == VK_SUCCESS) {
        for (uint32_t i = 0; i < n && info->coopmat_shape_count < 16; i++) {
            if (p[i].scope != HV_COOPMAT_SCOPE_SUBGROUP) continue;
            hv_coopmat_shape *s = &info->coopmat_shapes[info->coopmat_shape_count++];
            s->m = p[i].MSize;
            s->n = p[i].NSize;
            s->k = p[i].KSize;
            s->a_type = (uint32_t)p[i].AType;
            s->b_type = (uint32_t)p[i].BType;
            s->c_type = (uint32_t)p[i].CType;
        }
    }
    free(p);
}

void hv_vk_query_device(VkInstance instance, VkPhysicalDevice phys, uint32_t index, hv_device_info *info,
                        hv_vk_enable *enable, uint32_t *queue_family) {
    memset(info, 0, sizeof *info);
    info->index = index;

    VkPhysicalDeviceDriverProperties driver = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    VkPhysicalDeviceSubgroupProperties subgroup = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
    VkPhysicalDeviceMaintenance3Properties maint3 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES,
                                                     .pNext = &subgroup};
    VkPhysicalDeviceProperties2 props2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &maint3};
    VkPhysicalDeviceProperties base;
    vkGetPhysicalDeviceProperties(phys, &base);
    bool api12 = base.apiVersion >= VK_API_VERSION_1_2;
    bool has_driver_props = api12 || has_extension(phys, VK_KHR_DRIVER_PROPERTIES_EXTENSION_NAME);
    if (has_driver_props) subgroup.pNext = &driver;
    vkGetPhysicalDeviceProperties2(phys, &props2);
    const VkPhysicalDeviceProperties *p = &props2.properties;

    snprintf(info->name, sizeof info->name, "%s", p->deviceName);
    info->type = map_type(p->deviceType);
    info->vendor_id = p->vendorID;
    info->device_id = p->deviceID;
    info->driver_version = p->driverVersion;
    info->api_version = p->apiVersion;
    memcpy(info->pipeline_cache_uuid, p->pipelineCacheUUID, 16);
    if (has_driver_props) {
        snprintf(info->driver_name, sizeof info->driver_name, "%s", driver.driverName);
        snprintf(info->driver_info, sizeof info->driver_info, "%s", driver.driverInfo);
    }

    VkPhysicalDeviceMemoryProperties mem;
    vkGetPhysicalDeviceMemoryProperties(phys, &mem);
    info->heap_count = mem.memoryHeapCount < 16 ? mem.memoryHeapCount : 16;
    for (uint32_t i = 0; i < info->heap_count; i++) {
        info->heap_size[i] = mem.memoryHeaps[i].size;
        info->heap_device_local[i] = (mem.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) != 0;
    }

    const VkPhysicalDeviceLimits *l = &p->limits;
    info->max_storage_buffer_range = l->maxStorageBufferRange;
    info->max_memory_allocation_size = maint3.maxMemoryAllocationSize;
    info->max_shared_memory = l->maxComputeSharedMemorySize;
    info->max_workgroup_invocations = l->maxComputeWorkGroupInvocations;
    for (int i = 0; i < 3; i++) {
        info->max_workgroup_size[i] = l->maxComputeWorkGroupSize[i];
        info->max_workgroup_count[i] = l->maxComputeWorkGroupCount[i];
    }
    info->max_push_constants = l->maxPushConstantsSize;
    info->min_storage_buffer_offset_alignment = l->minStorageBufferOffsetAlignment;

    uint32_t ts_bits = 0;
    uint32_t qf = pick_queue_family(phys, &ts_bits);
    if (queue_family) *queue_family = qf;
    info->timestamp_period_ns = ts_bits ? l->timestampPeriod : 0.0f;

    /* Subgroups: report the size always; "ops" means compute-stage basic+arithmetic+shuffle. */
    info->subgroup_size = subgroup.subgroupSize;
    info->subgroup_supported_ops = subgroup.supportedOperations;
    const VkSubgroupFeatureFlags want = VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_ARITHMETIC_BIT |
                                        VK_SUBGROUP_FEATURE_SHUFFLE_BIT;
    info->subgroup_ops = (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                         (subgroup.supportedOperations & want) == want && !disabled("SUBGROUP");

    /* Optional features. */
    bool f16i8_available = api12 || has_extension(phys, VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME);
    bool coopmat_ext = has_extension(phys, HV_COOPMAT_EXT);
    hv_coopmat_features cm = {.sType = HV_STYPE_COOPMAT_FEATURES};
    VkPhysicalDeviceShaderFloat16Int8Features f16i8 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES,
                                                        .pNext = coopmat_ext ? (void *)&cm : NULL};
    VkPhysicalDevice16BitStorageFeatures s16 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES,
                                                .pNext = f16i8_available ? (void *)&f16i8 : (coopmat_ext ? (void *)&cm : NULL)};
    VkPhysicalDeviceFeatures2 f2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &s16};
    vkGetPhysicalDeviceFeatures2(phys, &f2);

    info->storage16 = s16.storageBuffer16BitAccess && !disabled("STORAGE16");
    info->float16 = f16i8_available && f16i8.shaderFloat16 && !disabled("FP16");
    info->int8 = f16i8_available && f16i8.shaderInt8 && !disabled("INT8");
    info->coopmat = coopmat_ext && cm.cooperativeMatrix && !disabled("COOPMAT");
    if (info->coopmat) query_coopmat(instance, phys, info);

    if (!enable) return;
    memset(enable, 0, sizeof *enable);
    enable->features2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
    enable->storage16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES;
    enable->f16i8.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES;
    hv_coopmat_features *ecm = (hv_coopmat_features *)(void *)enable->coopmat_features;
    ecm->sType = HV_STYPE_COOPMAT_FEATURES;
    /* 64-bit ints/floats are handy for reductions and are core features: enable what exists. */
    enable->features2.features.shaderInt64 = f2.features.shaderInt64;
    enable->features2.features.shaderInt16 = f2.features.shaderInt16 && (info->storage16 || info->float16);
    void **tail = &enable->features2.pNext;
    if (info->storage16) {
        enable->storage16.storageBuffer16BitAccess = VK_TRUE;
        enable->storage16.uniformAndStorageBuffer16BitAccess = s16.uniformAndStorageBuffer16BitAccess;
        enable->storage16.storagePushConstant16 = s16.storagePushConstant16;
        *tail = &enable->storage16;
        tail = &enable->storage16.pNext;
    }
    if (info->float16 || info->int8) {
        enable->f16i8.shaderFloat16 = info->float16;
        enable->f16i8.shaderInt8 = info->int8;
        *tail = &enable->f16i8;
        tail = &enable->f16i8.pNext;
        if (!api12) enable->extensions[enable->extension_count++] = VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME;
    }
    if (info->coopmat) {
        ecm->cooperativeMatrix = VK_TRUE;
        *tail = ecm;
        tail = &ecm->pNext;
        enable->extensions[enable->extension_count++] = HV_COOPMAT_EXT;
    }
}

hv_status hv_vk_enumerate(VkInstance instance, VkPhysicalDevice **phys_out, hv_device_info **infos_out,
                          uint32_t *count_out) {
    *phys_out = NULL;
    *infos_out = NULL;
    *count_out = 0;
    uint32_t n = 0;
    VkResult r = vkEnumeratePhysicalDevices(instance, &n, NULL);
    if (r != VK_SUCCESS) return hv_vk_fail(r, "vkEnumeratePhysicalDevices");
    /* one more: the CPU backend, listed last (phys VK_NULL_HANDLE) */
    VkPhysicalDevice *phys = calloc(n + 1, sizeof *phys);
    hv_device_info *infos = calloc(n + 1, sizeof *infos);
    if (!phys || !infos) {
        free(phys);
        free(infos);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of host memory listing Vulkan devices");
    }
    if (n) {
        r = vkEnumeratePhysicalDevices(instance, &n, phys);
        if (r != VK_SUCCESS && r != VK_INCOMPLETE) {
            free(phys);
            free(infos);
            return hv_vk_fail(r, "vkEnumeratePhysicalDevices");
        }
    }
    for (uint32_t i = 0; i < n; i++) hv_vk_query_device(instance, phys[i], i, &infos[i], NULL, NULL);
    hv_host_fill_info(&infos[n], n);
    phys[n] = VK_NULL_HANDLE;
    n++;
    *phys_out = phys;
    *infos_out = infos;
    *count_out = n;
    return HV_OK;
}
