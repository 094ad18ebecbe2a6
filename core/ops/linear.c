/* linear: y[..., n] = act(Σ_k x[..., k]·W[n, k] + b[n]) + r[..., n]  (nn.Linear, 1×1 conv on NHWC). */
#include <string.h>

#include "ops/ops_basic_defs.h"
#include "ops/opsconv_util.h"

/* Check shapes; on success fill the GEMM geometry (M = rows of x, N = out features, K = in features). */
static hv_status linear_check(const hv_linear_params *p, const hv_tensor_desc *src, uint32_t n_src, opsbasic_gemm *g) {
    uint32_t want = 2u + (p->has_bias ? 1u : 0u) + (p->has_residual ? 1u : 0u);
    if (n_src != want)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "linear: got %u inputs, expected %u (x, w%s%s)", n_src, want,
                        p->has_bias ? ", bias" : "", p->has_residual ? ", residual" : "");
    hv_status st = opsbasic_check_sources("linear", src, n_src);
    if (!st) st = opsconv_same_dtype("linear", src, n_src);
    if (st) return st;
    const hv_tensor_desc *x = &src[0], *w = &src[1];
    if (p->act < HV_ACT_NONE || p->act > HV_ACT_SIGMOID)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "linear: unknown activation %d", (int)p->act);
    if (w->rank != 2)
        return hv_error(HV_ERR_SHAPE, "linear: weight %s must be 2-D [out, in]", opsconv_shape(w));
    int64_t k = x->dims[x->rank - 1];
    if (w->dims[1] != k)
        return hv_error(HV_ERR_SHAPE, "linear: input %s has %lld features but weight %s expects %lld", opsconv_shape(x),
                        (long long)k, opsconv_shape(w), (long long)w->dims[1]);
    int64_t rows = hv_desc_numel(x) / k;
    if (p->has_bias && (src[2].rank != 1 || src[2].dims[0] != w->dims[0]))
        return hv_error(HV_ERR_SHAPE, "linear: bias %s must be [%lld] for weight %s", opsconv_shape(&src[2]),
                        (long long)w->dims[0], opsconv_shape(w));
    if (rows > UINT32_MAX || w->dims[0] > UINT32_MAX || k > UINT32_MAX || rows * w->dims[0] > UINT32_MAX ||
        rows * k > UINT32_MAX)
        return hv_error(HV_ERR_UNSUPPORTED, "linear: input %s × weight %s is too large", opsconv_shape(x),
                        opsconv_shape(w));
    *g = (opsbasic_gemm){.m = (uint32_t)rows, .n = (uint32_t)w->dims[0], .k = (uint32_t)k, .batch = 1, .trans_b = 1};
    g->c_batch = g->m * g->n;
    return HV_OK;
}

static hv_status linear_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    const hv_linear_params *p = params;
    opsbasic_gemm g = {0};
    hv_status st = linear_check(p, src, n_src, &g);
    if (st) return st;
    *dst = src[0];
    dst->dims[dst->rank - 1] = g.n;
    if (p->has_residual) {
        const hv_tensor_desc *r = &src[n_src - 1];
        if (r->rank != dst->rank || memcmp(r->dims, dst->dims, sizeof r->dims))
            return hv_error(HV_ERR_SHAPE, "linear: residual %s must match the output %s", opsconv_shape(r),
                            opsconv_shape(dst));
    }
    return HV_OK;
}

static hv_status linear_ref(const void *params, const hv_tensor_desc *src, const float *const *d, uint32_t n_src,
                            const hv_tensor_desc *dst, float *y) {
    const hv_linear_params *p = params;
    opsbasic_gemm g = {0};
    hv_status st = linear_check(p, src, n_src, &g);
    if (st) return st;
    opsbasic_ref_gemm(&g, p->act, d[0], d[1], p->has_bias ? d[2] : NULL, p->has_residual ? d[n_src - 1] : NULL, y);
    (void)dst;
    return HV_OK;
}

static hv_status linear_record(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                               const hv_binding *b, uint32_t n_src, const hv_tensor_desc *dst, const hv_binding *db,
                               const hv_binding *scratch) {
    const hv_linear_params *p = params;
    opsbasic_gemm g = {0};
    hv_status st = linear_check(p, src, n_src, &g);
    if (st) return st;
    (void)scratch;
    return opsbasic_record_gemm(cmd, dev, dst->dtype, &g, p->act, &b[0], &b[1], db, p->has_bias ? &b[2] : NULL,
                                p->has_residual ? &b[n_src - 1] : NULL, "linear");
}

static int linear_fuse_activation(void *params, int act) {
    hv_linear_params *p = params;
    if (p->act != HV_ACT_NONE || p->has_residual) return 0;
    p->act = (hv_activation)act;
    return 1;
}

static int linear_fuse_residual(void *params) {
    hv_linear_params *p = params;
    if (p->has_residual) return 0;
    p->has_residual = true;
    return 1;
}

const hv_op_def hv_op_linear = {
    .name = "linear",
    .param_size = sizeof(hv_linear_params),
    .min_src = 2,
    .max_src = 4,
    .infer = linear_infer,
    .ref = linear_ref,
    .record = linear_record,
    .fuse_activation = linear_fuse_activation,
    .fuse_residual = linear_fuse_residual,
};
