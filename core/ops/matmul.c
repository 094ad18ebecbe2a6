/* Batched matmul: a [..., M, K] × b [..., K, N] (or b [..., N, K] with trans_b) → [..., M, N]. */
#include "ops/ops_basic_defs.h"
#include "ops/opsconv_util.h"

static hv_status matmul_check(const hv_matmul_params *p, const hv_tensor_desc *src, uint32_t n_src,
                              opsbasic_gemm *g, hv_tensor_desc *dst) {
    if (n_src != 2) return hv_error(HV_ERR_INVALID_ARGUMENT, "matmul: got %u inputs, expected 2", n_src);
    hv_status st = opsbasic_check_sources("matmul", src, 2);
    if (!st) st = opsconv_same_dtype("matmul", src, 2);
    if (st) return st;
    const hv_tensor_desc *a = &src[0], *b = &src[1];
    if (a->rank < 2 || b->rank < 2)
        return hv_error(HV_ERR_SHAPE, "matmul: inputs %s and %s must have rank 2..4", opsconv_shape(a), opsconv_shape(b));
    int64_t m = a->dims[a->rank - 2], k = a->dims[a->rank - 1];
    int64_t bk = p->trans_b ? b->dims[b->rank - 1] : b->dims[b->rank - 2];
    int64_t n = p->trans_b ? b->dims[b->rank - 2] : b->dims[b->rank - 1];
    if (bk != k)
        return hv_error(HV_ERR_SHAPE, "matmul: a %s has K = %lld but b %s%s has K = %lld", opsconv_shape(a),
                        (long long)k, opsconv_shape(b), p->trans_b ? " (transposed)" : "", (long long)bk);
    int64_t batch = hv_desc_numel(a) / (m * k), bbatch = hv_desc_numel(b) / (n * k);
    int same = a->rank == b->rank;
    for (uint32_t i = 0; same && i + 2 < a->rank; i++) same = a->dims[i] == b->dims[i];
    if (!same && bbatch != 1)
        return hv_error(HV_ERR_SHAPE, "matmul: batch dims of a %s and b %s differ (b's must equal a's or all be 1)",
                        opsconv_shape(a), opsconv_shape(b));
    if (batch > 65535 || m * k > UINT32_MAX || n * k > UINT32_MAX || batch * m * n > UINT32_MAX ||
        batch * m * k > UINT32_MAX)
        return hv_error(HV_ERR_UNSUPPORTED, "matmul: %s × %s is too large", opsconv_shape(a), opsconv_shape(b));
    *g = (opsbasic_gemm){.m = (uint32_t)m, .n = (uint32_t)n, .k = (uint32_t)k, .batch = (uint32_t)batch,
                         .trans_b = p->trans_b};
    g->a_batch = g->m * g->k;
    g->b_batch = bbatch == 1 ? 0 : g->n * g->k;
    g->c_batch = g->m * g->n;
    *dst = *a;
    dst->dims[dst->rank - 1] = n;
    return HV_OK;
}

static hv_status matmul_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    opsbasic_gemm g;
    return matmul_check(params, src, n_src, &g, dst);
}

static hv_status matmul_ref(const void *params, const hv_tensor_desc *src, const float *const *d, uint32_t n_src,
                            const hv_tensor_desc *dst, float *y) {
    opsbasic_gemm g;
    hv_tensor_desc o;
    hv_status st = matmul_check(params, src, n_src, &g, &o);
    if (st) return st;
    opsbasic_ref_gemm(&g, HV_ACT_NONE, d[0], d[1], NULL, NULL, y);
    (void)dst;
    return HV_OK;
}

static hv_status matmul_record(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                               const hv_binding *b, uint32_t n_src, const hv_tensor_desc *dst, const hv_binding *db,
                               const hv_binding *scratch) {
    opsbasic_gemm g;
    hv_tensor_desc o;
    hv_status st = matmul_check(params, src, n_src, &g, &o);
    if (st) return st;
    (void)scratch;
    return opsbasic_record_gemm(cmd, dev, dst->dtype, &g, HV_ACT_NONE, &b[0], &b[1], db, NULL, NULL, "matmul");
}

const hv_op_def hv_op_matmul = {
    .name = "matmul",
    .param_size = sizeof(hv_matmul_params),
    .min_src = 2,
    .max_src = 2,
    .infer = matmul_infer,
    .ref = matmul_ref,
    .record = matmul_record,
};
