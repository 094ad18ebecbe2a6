/* Parameter readers shared by the backbone components: lists of integers, floats, tri-states. The
 * schemas already checked types and ranges, so these only convert (and still fail cleanly). */
#include "backbones_plugin.h"

#include <stdio.h>

hv_status bb_get_int_list(const hv_config_node *params, const char *key, int32_t *out, uint32_t cap, uint32_t *n) {
    *n = 0;
    const hv_config_node *list = hv_config_get(params, key);
    if (!list || hv_config_kind_of(list) == HV_CONFIG_SCALAR) return HV_OK; /* absent or null */
    size_t size = hv_config_size(list);
    if (size > cap)
        return hv_error(HV_ERR_SCHEMA, "%s:%d:%d: '%s': at most %u values, got %zu", hv_config_file(list),
                        hv_config_line(list), hv_config_column(list), key, cap, size);
    for (size_t i = 0; i < size; i++) {
        int64_t v = 0;
        hv_status st = hv_config_as_int(hv_config_item(list, i), &v);
        if (st) return st;
        if (v < INT32_MIN || v > INT32_MAX)
            return hv_error(HV_ERR_SCHEMA, "%s:%d:%d: '%s[%zu]': %lld is out of range", hv_config_file(list),
                            hv_config_line(list), hv_config_column(list), key, i, (long long)v);
        out[i] = (int32_t)v;
    }
    *n = (uint32_t)size;
    return HV_OK;
}

hv_status bb_need_int_list(const hv_config_node *params, const char *key, int32_t *out, uint32_t cap, uint32_t *n) {
    const hv_config_node *list = NULL;
    *n = 0;
    hv_status st = hv_config_need(params, key, &list);
    return st ? st : bb_get_int_list(params, key, out, cap, n);
}

hv_status bb_need_float(const hv_config_node *params, const char *key, float *out) {
    double v = 0;
    hv_status st = hv_config_need_double(params, key, &v);
    *out = (float)v;
    return st;
}

hv_status bb_get_float_or_arch(const hv_config_node *params, const char *key, float *out) {
    double v = 0;
    hv_status st = hv_config_get_double(params, key, 0, &v); /* no schema default: 0 = the arch's */
    *out = (float)v;
    return st;
}

hv_status bb_get_tristate(const hv_config_node *params, const char *key, hv_tristate *out) {
    *out = HV_TRI_AUTO;
    const hv_config_node *node = hv_config_get(params, key);
    if (!node || hv_config_scalar_type(node) == HV_SCALAR_NULL) return HV_OK;
    int b = 0;
    hv_status st = hv_config_as_bool(node, &b);
    if (!st) *out = b ? HV_TRI_ON : HV_TRI_OFF;
    return st;
}

hv_status bb_context(hv_status st, const hv_component_info *info, const char *component) {
    if (!st) return st;
    return hv_error_context(st, "%s (%s)", info && info->instance_id ? info->instance_id : "backbone", component);
}
