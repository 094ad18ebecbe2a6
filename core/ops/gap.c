/* Global average pool: NCHW [N,C,H,W] → [N,C,1,1], NHWC [N,H,W,C] → [N,1,1,C]. */
#include "ops/ops_basic_defs.h"
#include "ops/opsconv_util.h"

typedef struct gap_geom {
    int64_t n, c, hw;
    int nhwc;
} gap_geom;

static hv_status gap_check(const hv_tensor_desc *src, uint32_t n_src, gap_geom *g) {
    if (n_src != 1) return hv_error(HV_ERR_INVALID_ARGUMENT, "global_avg_pool: got %u inputs, expected 1", n_src);
    hv_status st = opsbasic_check_sources("global_avg_pool", src, n_src);
    if (st) return st;
    const hv_tensor_desc *x = &src[0];
    if (x->rank != 4 || (x->layout != HV_LAYOUT_NCHW && x->layout != HV_LAYOUT_NHWC))
        return hv_error(HV_ERR_SHAPE, "global_avg_pool: input %s must be rank 4 with layout NCHW or NHWC",
                        opsconv_shape(x));
    g->nhwc = x->layout == HV_LAYOUT_NHWC;
    g->n = x->dims[0];
    g->c = g->nhwc ? x->dims[3] : x->dims[1];
    g->hw = g->nhwc ? x->dims[1] * x->dims[2] : x->dims[2] * x->dims[3];
    if (hv_desc_numel(x) > UINT32_MAX)
        return hv_error(HV_ERR_UNSUPPORTED, "global_avg_pool: input %s is too large", opsconv_shape(x));
    return HV_OK;
}

static hv_status gap_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    gap_geom g;
    hv_status st = gap_check(src, n_src, &g);
    if (st) return st;
    *dst = src[0];
    if (g.nhwc) dst->dims[1] = dst->dims[2] = 1;
    else dst->dims[2] = dst->dims[3] = 1;
    (void)params;
    return HV_OK;
}

static hv_status gap_ref(const void *params, const hv_tensor_desc *src, const float *const *d, uint32_t n_src,
                         const hv_tensor_desc *dst, float *y) {
    gap_geom g;
    hv_status st = gap_check(src, n_src, &g);
    if (st) return st;
    for (int64_t n = 0; n < g.n; n++)
        for (int64_t c = 0; c < g.c; c++) {
            double s = 0;
            for (int64_t j = 0; j < g.hw; j++)
                s += g.nhwc ? d[0][(n * g.hw + j) * g.c + c] : d[0][(n * g.c + c) * g.hw + j];
            y[n * g.c + c] = (float)(s / (double)g.hw);
        }
    (void)params;
    (void)dst;
    return HV_OK;
}

static hv_status gap_record(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                            const hv_binding *b, uint32_t n_src, const hv_tensor_desc *dst, const hv_binding *db,
                            const hv_binding *scratch) {
    gap_geom g;
    hv_status st = gap_check(src, n_src, &g);
    if (st) return st;
    uint32_t pc[3] = {(uint32_t)(g.n * g.c), (uint32_t)g.hw, (uint32_t)g.c};
    uint32_t spec[1] = {g.nhwc ? 0u : 1u};
    hv_binding binds[2] = {b[0], *db};
    uint32_t gx, gy;
    (void)params;
    (void)scratch;
    if (opsconv_cpu_kernels(dev)) {
        /* gap_cpu: one invocation per (n, c), 64 per workgroup (4 per OPSCONV_LOCAL for the grid
         * helper); channel stride 1 for NCHW rows, C for NHWC. */
        if (!g.nhwc) pc[2] = 1;
        if ((st = opsconv_grid1d("global_avg_pool", (uint64_t)pc[0] * 4u, &gx, &gy))) return st;
        return opsconv_dispatch(cmd, dev, "gap_cpu", dst->dtype, binds, 2, pc, sizeof pc, NULL, 0, gx, gy, 1,
                                "global_avg_pool");
    }
    /* ROWS: one workgroup per row, i.e. rows·256 invocations in opsconv_grid1d's terms. */
    if ((st = opsconv_grid1d("global_avg_pool", g.nhwc ? pc[0] : (uint64_t)pc[0] * OPSCONV_LOCAL, &gx, &gy)))
        return st;
    return opsconv_dispatch(cmd, dev, "gap", dst->dtype, binds, 2, pc, sizeof pc, spec, 1, gx, gy, 1,
                            "global_avg_pool");
}

const hv_op_def hv_op_gap = {
    .name = "global_avg_pool",
    .param_size = 0,
    .min_src = 1,
    .max_src = 1,
    .infer = gap_infer,
    .ref = gap_ref,
    .record = gap_record,
};
