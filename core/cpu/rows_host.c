/* Host kernels for the ops hemovk computes itself on the CPU backend: each op's float "rows" function
 * (next to its reference in core/ops/) with the rows split across the backend's threads. DCNv3 and
 * multi-level RoIAlign (a row: one RoI) have no library implementation anywhere; binary (add/sub/mul
 * with broadcasting and an activation) and unary (activations, casts) are memory-bound and only need
 * loops the compiler vectorises, which the double-precision references are not. */
#include <stdlib.h>

#include "cpu/host_kernel.h"
#include "cpu/host_parallel.h"
#include "ops/ops_basic_defs.h"
#include "ops/opsdcn_util.h"

typedef hv_status (*rows_fn)(const void *params, const hv_tensor_desc *src, const float *const *d, float *y,
                             int64_t r0, int64_t r1);
typedef int64_t (*count_fn)(const void *params, const hv_tensor_desc *src, int64_t *row_len);

typedef struct rows_state {
    rows_fn rows;
    const void *params;            /* the step's params (the plan owns them; valid while the plan lives) */
    hv_tensor_desc src[HV_OP_MAX_SRC];
    int64_t n_rows, min_rows;      /* rows, and the fewest a thread is given (~64k values' work) */
} rows_state;

typedef struct rows_call {
    const rows_state *s;
    const float *const *src;
    float *dst;
} rows_call;

static hv_status run_range(void *ctx, int64_t begin, int64_t end) {
    const rows_call *c = ctx;
    return c->s->rows(c->s->params, c->s->src, c->src, c->dst, begin, end);
}

static hv_status prepare_rows(rows_fn rows, count_fn count, const void *params, const hv_tensor_desc *src,
                              uint32_t n_src, void **state) {
    rows_state *s = calloc(1, sizeof *s);
    if (!s) return hv_error(HV_ERR_OUT_OF_MEMORY, "CPU backend: out of memory");
    s->rows = rows;
    s->params = params;
    for (uint32_t i = 0; i < n_src && i < HV_OP_MAX_SRC; i++) s->src[i] = src[i];
    int64_t row_len = 1;
    s->n_rows = count(params, src, &row_len);
    s->min_rows = row_len > 0 ? 1 + 65536 / row_len : 1;
    *state = s;
    return HV_OK;
}

static hv_status rows_run(void *state, const float *const *src, uint32_t n_src, float *dst, void *scratch) {
    (void)n_src, (void)scratch;
    rows_state *s = state;
    rows_call c = {s, src, dst};
    return hv_host_parallel_for(s->n_rows, s->min_rows, run_range, &c);
}

static void rows_release(void *state) { free(state); }

static hv_status dcn_prepare(const void *params, const hv_tensor_desc *src, const float *const *constant,
                             uint32_t n_src, const hv_tensor_desc *dst, void **state) {
    (void)constant, (void)dst;
    *state = NULL;
    return n_src == 3 ? prepare_rows(opsdcn_dcnv3_rows, opsdcn_dcnv3_row_count, params, src, n_src, state) : HV_OK;
}

static hv_status binary_prepare(const void *params, const hv_tensor_desc *src, const float *const *constant,
                                uint32_t n_src, const hv_tensor_desc *dst, void **state) {
    (void)constant, (void)dst;
    *state = NULL;
    return n_src == 2 ? prepare_rows(opsbasic_binary_rows, opsbasic_binary_row_count, params, src, n_src, state) : HV_OK;
}

static hv_status unary_prepare(const void *params, const hv_tensor_desc *src, const float *const *constant,
                               uint32_t n_src, const hv_tensor_desc *dst, void **state) {
    (void)constant, (void)dst;
    *state = NULL;
    return n_src == 1 ? prepare_rows(opsbasic_unary_rows, opsbasic_unary_row_count, params, src, n_src, state) : HV_OK;
}

static hv_status roi_align_prepare(const void *params, const hv_tensor_desc *src, const float *const *constant,
                                   uint32_t n_src, const hv_tensor_desc *dst, void **state) {
    (void)constant, (void)dst;
    return prepare_rows(opsdcn_roi_align_rows, opsdcn_roi_align_row_count, params, src, n_src, state);
}

const hv_host_kernel hv_host_dcnv3 = {.prepare = dcn_prepare, .run = rows_run, .release = rows_release};
const hv_host_kernel hv_host_binary = {.prepare = binary_prepare, .run = rows_run, .release = rows_release};
const hv_host_kernel hv_host_unary = {.prepare = unary_prepare, .run = rows_run, .release = rows_release};
const hv_host_kernel hv_host_roi_align = {.prepare = roi_align_prepare, .run = rows_run, .release = rows_release};
