/* hv_device_list(): every physical device with its features, without opening any. */
#include <stdlib.h>

#include "vulkan/vk_internal.h"

static hv_device_info *g_list;

hv_status hv_device_list(const hv_device_info **out, uint32_t *count) {
    if (!out || !count) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_device_list: NULL argument");
    VkInstance instance;
    hv_status st = hv_vk_instance_acquire(&instance);
    if (st) return st;
    VkPhysicalDevice *phys = NULL;
    hv_device_info *infos = NULL;
    uint32_t n = 0;
    st = hv_vk_enumerate(instance, &phys, &infos, &n);
    free(phys);
    hv_vk_instance_release();
    if (st) return st;
    free(g_list);
    g_list = infos;
    *out = g_list;
    *count = n;
    return HV_OK;
}
