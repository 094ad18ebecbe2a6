/* Helpers shared by the detector ops (see opsdcn_util.h). */
#include "ops/opsdcn_util.h"

#include <stdio.h>

const char *opsdcn_shape(const hv_tensor_desc *d) {
    static _Thread_local char ring[4][96];
    static _Thread_local unsigned slot;
    char *buf = ring[slot++ & 3u];
    return hv_desc_str(d, buf, sizeof ring[0]);
}

hv_status opsdcn_grid1d(const char *op, uint64_t invocations, uint32_t *gx, uint32_t *gy) {
    uint64_t groups = (invocations + OPSDCN_LOCAL - 1) / OPSDCN_LOCAL;
    if (groups == 0) groups = 1;
    uint64_t x = groups < 65535u ? groups : 65535u;
    uint64_t y = (groups + x - 1) / x;
    if (y > 65535u)
        return hv_error(HV_ERR_UNSUPPORTED, "%s: %llu invocations exceed one dispatch (65535² workgroups of %u); "
                        "split the batch", op, (unsigned long long)invocations, OPSDCN_LOCAL);
    *gx = (uint32_t)x;
    *gy = (uint32_t)y;
    return HV_OK;
}

hv_status opsdcn_dispatch(hv_cmd *cmd, hv_device *dev, const char *stem, hv_dtype dt, const hv_binding *binds,
                          uint32_t n_binds, const void *push, uint32_t push_size, uint32_t gx, uint32_t gy,
                          const char *label) {
    char name[64];
    snprintf(name, sizeof name, "%s_%s", stem, dt == HV_F16 ? "f16" : "f32");
    hv_vk_pipeline_desc pd = {.shader = name, .n_bindings = n_binds, .push_size = push_size, .n_spec = 0, .spec = NULL};
    hv_vk_pipeline *pipe = NULL;
    hv_status st = hv_vk_pipeline_get(dev, &pd, &pipe);
    if (st) return st;
    return hv_cmd_dispatch(cmd, pipe, binds, n_binds, push, push_size, gx, gy, 1, label);
}
