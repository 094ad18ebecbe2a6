/* Helpers shared by the conv-family ops; see opsconv_util.h. */
#include "ops/opsconv_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/device.h"
#include "hemovk/log.h"
#include "vulkan/shaders.h"

const char *opsconv_shape(const hv_tensor_desc *d) {
    static _Thread_local char ring[4][96];
    static _Thread_local unsigned slot;
    char *buf = ring[slot++ % 4];
    if (!d) {
        snprintf(buf, sizeof ring[0], "(none)");
        return buf;
    }
    size_t len = 0;
    len += (size_t)snprintf(buf + len, sizeof ring[0] - len, "[");
    for (uint32_t i = 0; i < d->rank && i < HV_MAX_DIMS && len < sizeof ring[0]; i++)
        len += (size_t)snprintf(buf + len, sizeof ring[0] - len, "%s%lld", i ? ", " : "", (long long)d->dims[i]);
    if (len < sizeof ring[0])
        snprintf(buf + len, sizeof ring[0] - len, "] %s", d->dtype == HV_F16 ? "f16" : "f32");
    return buf;
}

hv_status opsconv_axis(const char *op, int32_t axis, const hv_tensor_desc *d, uint32_t *out) {
    int64_t a = axis < 0 ? (int64_t)d->rank + axis : axis;
    if (d->rank < 1 || d->rank > HV_MAX_DIMS || a < 0 || a >= (int64_t)d->rank)
        return hv_error(HV_ERR_SHAPE, "%s: axis %d is out of range for a rank-%u tensor %s", op, (int)axis,
                        (unsigned)d->rank, opsconv_shape(d));
    *out = (uint32_t)a;
    return HV_OK;
}

void opsconv_split(const hv_tensor_desc *d, uint32_t axis, int64_t *outer, int64_t *len, int64_t *inner) {
    int64_t o = 1, i = 1;
    for (uint32_t k = 0; k < axis; k++) o *= d->dims[k];
    for (uint32_t k = axis + 1; k < d->rank; k++) i *= d->dims[k];
    *outer = o;
    *len = d->dims[axis];
    *inner = i;
}

hv_status opsconv_same_dtype(const char *op, const hv_tensor_desc *src, uint32_t n_src) {
    for (uint32_t i = 1; i < n_src; i++)
        if (src[i].dtype != src[0].dtype)
            return hv_error(HV_ERR_SHAPE, "%s: input %u is %s but input 0 is %s; all inputs must share one dtype",
                            op, (unsigned)i, opsconv_shape(&src[i]), opsconv_shape(&src[0]));
    return HV_OK;
}

hv_status opsconv_grid1d(const char *op, uint64_t invocations, uint32_t *gx, uint32_t *gy) {
    uint64_t groups = (invocations + OPSCONV_LOCAL - 1) / OPSCONV_LOCAL;
    if (groups == 0) groups = 1;
    uint64_t x = groups < 65535 ? groups : 65535;
    uint64_t y = (groups + x - 1) / x;
    if (y > 65535)
        return hv_error(HV_ERR_UNSUPPORTED, "%s: %llu invocations exceed one dispatch; split the batch", op,
                        (unsigned long long)invocations);
    *gx = (uint32_t)x;
    *gy = (uint32_t)y;
    return HV_OK;
}

hv_status opsconv_dispatch(hv_cmd *cmd, hv_device *dev, const char *stem, hv_dtype dt, const hv_binding *binds,
                           uint32_t n_binds, const void *push, uint32_t push_size, const uint32_t *spec,
                           uint32_t n_spec, uint32_t gx, uint32_t gy, uint32_t gz, const char *label) {
    char name[64];
    snprintf(name, sizeof name, "%s_%s", stem, dt == HV_F16 ? "f16" : "f32");
    /* A kernel that has an fp16-arithmetic variant ("<stem>_f16a") runs it where opsconv_fp16_arith says. */
    if (dt == HV_F16 && opsconv_fp16_arith(hv_device_get_info(dev), dt)) {
        char f16a[64];
        snprintf(f16a, sizeof f16a, "%s_f16a", stem);
        if (hv_shader_find(f16a)) memcpy(name, f16a, sizeof name);
    }
    hv_vk_pipeline_desc desc = {.shader = name, .n_bindings = n_binds, .push_size = push_size, .n_spec = n_spec,
                             .spec = spec};
    hv_vk_pipeline *pipe = NULL;
    hv_status st = hv_vk_pipeline_get(dev, &desc, &pipe);
    if (st) return hv_error_context(st, "%s: building pipeline %s", label, name);
    st = hv_cmd_dispatch(cmd, pipe, binds, n_binds, push, push_size, gx, gy, gz, label);
    if (st) return hv_error_context(st, "%s: recording %s", label, name);
    return HV_OK;
}

hv_status opsconv_record_axis_copy(hv_cmd *cmd, hv_device *dev, hv_dtype dt, const hv_binding *src,
                                   const hv_binding *dst, const opsconv_axis_copy *c, const char *label) {
    uint32_t gx = 0, gy = 0;
    uint64_t n = (uint64_t)c->outer * c->count * c->inner;
    hv_status st = opsconv_grid1d(label, n, &gx, &gy);
    if (st) return st;
    hv_binding binds[2] = {*src, *dst};
    return opsconv_dispatch(cmd, dev, "slice", dt, binds, 2, c, sizeof *c, NULL, 0, gx, gy, 1, label);
}

void opsconv_ref_axis_copy(const float *src, float *dst, const opsconv_axis_copy *c) {
    for (uint64_t o = 0; o < c->outer; o++)
        for (uint64_t l = 0; l < c->count; l++)
            for (uint64_t i = 0; i < c->inner; i++)
                dst[(o * c->dst_len + c->dst_start + l) * c->inner + i] =
                    src[((int64_t)(o * c->src_len + c->src_start) + (int64_t)l * (int32_t)c->src_step) * (int64_t)c->inner +
                        (int64_t)i];
}

bool opsconv_cpu_kernels(const hv_device *dev) {
    const char *env = getenv("HEMOVK_KERNELS");
    if (env && *env) {
        if (!strcmp(env, "cpu")) return true;
        if (!strcmp(env, "gpu")) return false;
        static _Thread_local bool warned;
        if (!warned) hv_log_warn("HEMOVK_KERNELS=%s is not cpu or gpu; choosing by device type", env);
        warned = true;
    }
    const hv_device_info *info = dev ? hv_device_get_info(dev) : NULL;
    return info && info->type == HV_DEVICE_CPU;
}

uint32_t opsconv_cpu_lanes(uint64_t a, uint32_t tile_a, uint64_t b, uint32_t tile_b, bool penalise_narrow_a) {
    uint32_t best = 8;
    uint64_t best_work = UINT64_MAX;
    for (uint32_t lanes_a = 1; lanes_a <= 64; lanes_a *= 2) {
        uint64_t ta = (uint64_t)lanes_a * tile_a, tb = (uint64_t)(64 / lanes_a) * tile_b;
        uint64_t work = (a + ta - 1) / ta * ta * ((b + tb - 1) / tb * tb);
        if (penalise_narrow_a && lanes_a < 8) work = work / 4 * 5;
        if (work < best_work || (work == best_work && lanes_a == 8)) best = lanes_a, best_work = work;
    }
    return best;
}

uint32_t opsconv_gemm_tile(const hv_device_info *info, uint64_t m, uint64_t n) {
    const char *env = getenv("HEMOVK_GEMM_TILE");
    if (env && (!strcmp(env, "32") || !strcmp(env, "64"))) return (uint32_t)atoi(env);
    if (env && *env) {
        static _Thread_local bool warned;
        if (!warned) hv_log_warn("HEMOVK_GEMM_TILE=%s is not 32 or 64; choosing by device and size", env);
        warned = true;
    }
    if (!info) return 64;
    const uint32_t shared64 = 2u * 16u * 65u * 4u; /* As and Bs of gemm.comp at TILE 64 */
    if (info->max_workgroup_invocations < 256 || info->max_workgroup_size[0] < 256 || info->max_shared_memory < shared64)
        return 32;
    uint64_t tiles64 = ((m + 63) / 64) * ((n + 63) / 64);
    return tiles64 >= 64 ? 64 : 32;
}

bool opsconv_fp16_arith(const hv_device_info *info, hv_dtype dt) {
    if (dt != HV_F16 || !info || !info->float16) return false;
    const char *env = getenv("HEMOVK_FP16_ARITH");
    if (env && (!strcmp(env, "0") || !strcmp(env, "1"))) return env[0] == '1';
    if (env && *env) {
        static _Thread_local bool warned;
        if (!warned) hv_log_warn("HEMOVK_FP16_ARITH=%s is not 0 or 1; choosing by device type", env);
        warned = true;
    }
    return info->type != HV_DEVICE_CPU;
}
