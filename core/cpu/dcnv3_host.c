/* dcnv3 on the host backend: the op's float row kernel (opsdcn_dcnv3_rows in core/ops/dcnv3.c) with
 * the output rows split across the backend's threads. No library has DCNv3; this is the loop the Vulkan
 * shader runs, one output row per chunk item. */
#include <stdlib.h>

#include "cpu/host_kernel.h"
#include "cpu/host_parallel.h"
#include "ops/opsdcn_util.h"

typedef struct dcn_state {
    void *params;            /* the step's params (the plan owns them; valid while the plan lives) */
    hv_tensor_desc src[3];
} dcn_state;

typedef struct dcn_call {
    const dcn_state *s;
    const float *const *src;
    float *dst;
} dcn_call;

static hv_status dcn_rows(void *ctx, int64_t begin, int64_t end) {
    const dcn_call *c = ctx;
    return opsdcn_dcnv3_rows(c->s->params, c->s->src, c->src, c->dst, begin, end);
}

static hv_status dcn_prepare(const void *params, const hv_tensor_desc *src, const float *const *constant,
                             uint32_t n_src, const hv_tensor_desc *dst, void **state) {
    (void)constant, (void)dst;
    *state = NULL;
    if (n_src != 3) return HV_OK;
    dcn_state *s = calloc(1, sizeof *s);
    if (!s) return hv_error(HV_ERR_OUT_OF_MEMORY, "host dcnv3: out of memory");
    s->params = (void *)params;
    for (int i = 0; i < 3; i++) s->src[i] = src[i];
    *state = s;
    return HV_OK;
}

static hv_status dcn_run(void *state, const float *const *src, uint32_t n_src, float *dst) {
    (void)n_src;
    dcn_state *s = state;
    dcn_call c = {s, src, dst};
    return hv_host_parallel_for(opsdcn_dcnv3_row_count(s->params, s->src), 2, dcn_rows, &c);
}

static void dcn_release(void *state) { free(state); }

const hv_host_kernel hv_host_dcnv3 = {
    .prepare = dcn_prepare,
    .run = dcn_run,
    .release = dcn_release,
};
