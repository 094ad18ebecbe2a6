/* linear on the host backend: a oneDNN matmul per step — x [M, K] (every leading dim flattened) times
 * Wᵀ (W stays [N, K]: oneDNN reads it as a K×N matrix in "ba" order, then keeps it reordered in its
 * preferred packing), bias, the fused activation and residual as post-ops. */
#ifdef HEMOVK_HAVE_DNNL
#include <stdlib.h>

#include "cpu/dnnl_util.h"
#include "cpu/host_kernel.h"
#include "hemovk/ops_basic.h"

typedef struct linear_state {
    hv_dnnl_step step;
    int res_index;
} linear_state;

static void linear_release(void *state) {
    linear_state *c = state;
    if (!c) return;
    hv_dnnl_step_destroy(&c->step);
    free(c);
}

static hv_status linear_prepare(const void *params, const hv_tensor_desc *src, const float *const *constant,
                                uint32_t n_src, const hv_tensor_desc *dst, void **state) {
    const hv_linear_params *p = params;
    (void)dst;
    *state = NULL;
    if (!constant[1] || (p->has_bias && !constant[2])) return HV_OK;
    int64_t k = src[0].dims[src[0].rank - 1], n = src[1].dims[0], m = hv_desc_numel(&src[0]) / k;
    dnnl_dims_t xd = {m, k}, wd = {k, n}, bd = {1, n}, yd = {m, n};
    dnnl_memory_desc_t x_md, w_user, w_any, b_md, y_md;
    dnnl_status_t s = dnnl_memory_desc_init_by_tag(&x_md, 2, xd, dnnl_f32, dnnl_ab);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&w_user, 2, wd, dnnl_f32, dnnl_ba);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&w_any, 2, wd, dnnl_f32, dnnl_format_tag_any);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&b_md, 2, bd, dnnl_f32, dnnl_ab);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&y_md, 2, yd, dnnl_f32, dnnl_ab);
    dnnl_matmul_desc_t md;
    if (s == dnnl_success) s = dnnl_matmul_desc_init(&md, &x_md, &w_any, p->has_bias ? &b_md : NULL, &y_md);
    if (s != dnnl_success) return hv_dnnl_fail(s, "describing a linear");
    linear_state *c = calloc(1, sizeof *c);
    if (!c) return hv_error(HV_ERR_OUT_OF_MEMORY, "host linear: out of memory");
    c->res_index = p->has_residual ? (int)n_src - 1 : -1;
    hv_status st = hv_dnnl_step_create(&c->step, &md, p->act, p->has_residual, &x_md, &y_md, &w_user, constant[1],
                                       &b_md, p->has_bias ? constant[2] : NULL, "linear");
    if (st) {
        linear_release(c);
        return st;
    }
    *state = c;
    return HV_OK;
}

static size_t linear_scratch(const void *state) {
    const linear_state *c = state;
    return hv_dnnl_step_scratch(&c->step);
}

static hv_status linear_run(void *state, const float *const *src, uint32_t n_src, float *dst, void *scratch) {
    linear_state *c = state;
    (void)n_src;
    return hv_dnnl_step_run(&c->step, src[0], c->res_index >= 0 ? src[c->res_index] : NULL, dst, scratch,
                            "running linear");
}

const hv_host_kernel hv_host_linear_dnnl = {
    .prepare = linear_prepare,
    .scratch_bytes = linear_scratch,
    .run = linear_run,
    .release = linear_release,
};
#else
typedef int hv_linear_dnnl_unused;
#endif
