/* Unary activations y = act(x) (relu, silu, gelu-erf, sigmoid; none = copy). The planner folds them
 * into a single-use conv2d / linear producer through pure_activation. */
#include <math.h>
#include "ops/ops_basic_defs.h"
#include "ops/ops_conv_defs.h"
#include "ops/opsconv_util.h"

const char *hv_activation_name(hv_activation act) {
    static const char *const names[] = {"none", "relu", "silu", "gelu", "sigmoid"};
    return act >= HV_ACT_NONE && act <= HV_ACT_SIGMOID ? names[act] : "?";
}

static hv_status unary_check(const hv_unary_params *p, const hv_tensor_desc *src, uint32_t n_src) {
    if (n_src != 1) return hv_error(HV_ERR_INVALID_ARGUMENT, "unary: got %u inputs, expected 1", n_src);
    hv_status st = opsbasic_check_sources("unary", src, n_src);
    if (st) return st;
    if (p->act < HV_ACT_NONE || p->act > HV_ACT_SIGMOID)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "unary: unknown activation %d", (int)p->act);
    if (p->cast && p->out_dtype != HV_F32 && p->out_dtype != HV_F16)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "unary: unknown cast dtype %d (HV_F32 or HV_F16)", (int)p->out_dtype);
    if (hv_desc_numel(&src[0]) > UINT32_MAX)
        return hv_error(HV_ERR_UNSUPPORTED, "unary: input %s is too large", opsconv_shape(&src[0]));
    return HV_OK;
}

static hv_status unary_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    const hv_unary_params *p = params;
    hv_status st = unary_check(p, src, n_src);
    if (st) return st;
    *dst = src[0];
    if (p->cast) dst->dtype = p->out_dtype;
    return HV_OK;
}

static hv_status unary_ref(const void *params, const hv_tensor_desc *src, const float *const *d, uint32_t n_src,
                           const hv_tensor_desc *dst, float *y) {
    const hv_unary_params *p = params;
    hv_status st = unary_check(p, src, n_src);
    if (st) return st;
    int64_t n = hv_desc_numel(&src[0]);
    for (int64_t i = 0; i < n; i++) y[i] = (float)hv_opsconv_act(p->act, d[0][i]);
    /* A cast to f16 is a rounding: the reference rounds (and saturates) the same way the store does. */
    if (p->cast && p->out_dtype == HV_F16)
        for (int64_t i = 0; i < n; i++) y[i] = hv_f16_round(y[i]);
    (void)dst;
    return HV_OK;
}

/* The host backend's unary (core/cpu/rows_host.c): values [r0, r1) ("rows" of one value) in float. */
hv_status opsbasic_unary_rows(const void *params, const hv_tensor_desc *src, const float *const *d, float *y,
                              int64_t r0, int64_t r1) {
    const hv_unary_params *p = params;
    hv_status st = unary_check(p, src, 1);
    if (st) return st;
    const float *x = d[0];
    switch (p->act) {
    case HV_ACT_RELU:
        for (int64_t i = r0; i < r1; i++) y[i] = x[i] > 0 ? x[i] : 0;
        break;
    case HV_ACT_SILU:
        for (int64_t i = r0; i < r1; i++) y[i] = x[i] / (1.0f + expf(-x[i]));
        break;
    case HV_ACT_GELU:
        for (int64_t i = r0; i < r1; i++) y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
        break;
    case HV_ACT_SIGMOID:
        for (int64_t i = r0; i < r1; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
        break;
    default:
        for (int64_t i = r0; i < r1; i++) y[i] = x[i];
    }
    if (p->cast && p->out_dtype == HV_F16)
        for (int64_t i = r0; i < r1; i++) y[i] = hv_f16_round(y[i]);
    return HV_OK;
}

int64_t opsbasic_unary_row_count(const void *params, const hv_tensor_desc *src, int64_t *row_len) {
    (void)params;
    if (row_len) *row_len = 1;
    return hv_desc_numel(&src[0]);
}

typedef struct elt_push { /* shaders/eltwise.comp's push constants (only n is read in unary mode) */
    uint32_t dims[4], sa[4], sb[4], n;
} elt_push;

static hv_status unary_record(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                              const hv_binding *b, uint32_t n_src, const hv_tensor_desc *dst, const hv_binding *db,
                              const hv_binding *scratch) {
    const hv_unary_params *p = params;
    hv_status st = unary_check(p, src, n_src);
    if (st) return st;
    elt_push pc = {.n = (uint32_t)hv_desc_numel(dst)};
    uint32_t spec[3] = {0u, 0u, (uint32_t)p->act};
    hv_binding binds[3] = {b[0], b[0], *db};
    uint32_t gx, gy;
    if ((st = opsconv_grid1d("unary", pc.n, &gx, &gy))) return st;
    (void)scratch;
    /* Same dtype: eltwise_f32 / eltwise_f16; a cast: eltwise_f32_to_f16 / eltwise_f16_to_f32. */
    const char *stem = src[0].dtype == dst->dtype ? "eltwise" : src[0].dtype == HV_F32 ? "eltwise_f32_to" : "eltwise_f16_to";
    return opsconv_dispatch(cmd, dev, stem, dst->dtype, binds, 3, &pc, sizeof pc, spec, 3, gx, gy, 1,
                            src[0].dtype == dst->dtype ? hv_activation_name(p->act) : "cast");
}

/* Only a dtype-keeping activation may fold into its producer (the fused op would not cast). */
static int unary_pure_activation(const void *params) {
    const hv_unary_params *p = params;
    return p->cast ? -1 : (int)p->act;
}

const hv_op_def hv_op_unary = {
    .name = "unary",
    .param_size = sizeof(hv_unary_params),
    .min_src = 1,
    .max_src = 1,
    .infer = unary_infer,
    .ref = unary_ref,
    .record = unary_record,
    .pure_activation = unary_pure_activation,
};
