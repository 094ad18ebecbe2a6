/* deconv on the host backend (kernel = stride, no padding: Mask R-CNN's 2×2 s2 mask upsampler). Every
 * output pixel takes exactly one kernel tap, so per image it is one matrix product followed by a
 * scatter: Yᵀ[HW, C_out·k·k] = Xᵀ[HW, C_in] · W[C_in, C_out·k·k], a oneDNN batched matmul reading x in place
 * (NCHW seen as {N, HW, C_in} with strides) and W in PyTorch's ConvTranspose2d layout {C_in, C_out, k, k}
 * as it is; bias (repeated per tap) and the fused activation go in the matmul, the scatter into the
 * NCHW output is a copy. oneDNN's own deconvolution primitive ran this shape at ~6 GFLOP/s (a
 * backward-data convolution, 34 ms on the demo's batch); the matmul takes 2-5 ms. The reference (a double loop per
 * output value) was 87 % of the mask head on the demo. */
#ifdef HEMOVK_HAVE_DNNL
#include <stdlib.h>

#include "cpu/dnnl_util.h"
#include "cpu/host_kernel.h"
#include "cpu/host_parallel.h"
#include "hemovk/ops_conv.h"

typedef struct deconv_state {
    hv_dnnl_step step;
    float *bias_taps;         /* bias[o] repeated for its k·k taps (owned), or NULL */
    int64_t n, c_out, h, w, k;
    size_t product_bytes;     /* Yᵀ in the scratch, before the step's own */
} deconv_state;

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

static void deconv_release(void *state) {
    deconv_state *d = state;
    if (!d) return;
    hv_dnnl_step_destroy(&d->step);
    free(d->bias_taps);
    free(d);
}

static hv_status deconv_prepare(const void *params, const hv_tensor_desc *src, const float *const *constant,
                                uint32_t n_src, const hv_tensor_desc *dst, void **state) {
    const hv_deconv_params *p = params;
    (void)n_src, (void)dst;
    *state = NULL;
    if (!constant[1] || (p->has_bias && !constant[2])) return HV_OK; /* computed weights: the reference */
    deconv_state *d = calloc(1, sizeof *d);
    if (!d) return hv_error(HV_ERR_OUT_OF_MEMORY, "host deconv: out of memory");
    d->n = src[0].dims[0], d->h = src[0].dims[2], d->w = src[0].dims[3];
    d->c_out = src[1].dims[1], d->k = src[1].dims[2];
    const int64_t c_in = src[0].dims[1], hw = d->h * d->w, cols = d->c_out * d->k * d->k;
    d->product_bytes = align64((size_t)(d->n * hw * cols) * sizeof(float));
    if (p->has_bias) {
        if (!(d->bias_taps = malloc((size_t)cols * sizeof(float)))) {
            free(d);
            return hv_error(HV_ERR_OUT_OF_MEMORY, "host deconv: out of memory");
        }
        for (int64_t j = 0; j < cols; j++) d->bias_taps[j] = constant[2][j / (d->k * d->k)];
    }
    dnnl_dims_t xd = {d->n, hw, c_in}, wd = {1, c_in, cols}, bd = {1, 1, cols}, yd = {d->n, hw, cols};
    dnnl_memory_desc_t x_md, w_user, w_any, b_md, y_md;
    /* "acb": dims {N, HW, C_in} stored N, C_in, HW — the NCHW input as it lies */
    dnnl_status_t s = dnnl_memory_desc_init_by_tag(&x_md, 3, xd, dnnl_f32, dnnl_acb);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&w_user, 3, wd, dnnl_f32, dnnl_abc);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&w_any, 3, wd, dnnl_f32, dnnl_format_tag_any);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&b_md, 3, bd, dnnl_f32, dnnl_abc);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&y_md, 3, yd, dnnl_f32, dnnl_abc);
    dnnl_matmul_desc_t md;
    if (s == dnnl_success) s = dnnl_matmul_desc_init(&md, &x_md, &w_any, p->has_bias ? &b_md : NULL, &y_md);
    if (s != dnnl_success) {
        deconv_release(d);
        return hv_dnnl_fail(s, "describing a deconv");
    }
    hv_status st = hv_dnnl_step_create(&d->step, &md, p->act, 0, &x_md, &y_md, &w_user, constant[1], &b_md,
                                       d->bias_taps, "deconv");
    if (st) {
        deconv_release(d);
        return st;
    }
    *state = d;
    return HV_OK;
}

static size_t deconv_scratch(const void *state) {
    const deconv_state *d = state;
    return d->product_bytes + hv_dnnl_step_scratch(&d->step);
}

typedef struct scatter_call {
    const deconv_state *d;
    const float *product;
    float *dst;
} scatter_call;

/* images [begin, end): y[n, o, iy·k + ky, ix·k + kx] = Yᵀ[n, iy·w + ix, (o·k + ky)·k + kx] */
static hv_status scatter_images(void *ctx, int64_t begin, int64_t end) {
    const scatter_call *c = ctx;
    const deconv_state *d = c->d;
    const int64_t k = d->k, hw = d->h * d->w, cols = d->c_out * k * k, ow = d->w * k;
    for (int64_t n = begin; n < end; n++) {
        const float *t = c->product + n * hw * cols;
        float *y = c->dst + n * d->c_out * hw * k * k;
        for (int64_t o = 0; o < d->c_out; o++)
            for (int64_t iy = 0; iy < d->h; iy++)
                for (int64_t ky = 0; ky < k; ky++) {
                    float *row = y + (o * d->h * k + iy * k + ky) * ow;
                    const float *from = t + iy * d->w * cols + (o * k + ky) * k;
                    for (int64_t ix = 0; ix < d->w; ix++)
                        for (int64_t kx = 0; kx < k; kx++) row[ix * k + kx] = from[ix * cols + kx];
                }
    }
    return HV_OK;
}

static hv_status deconv_run(void *state, const float *const *src, uint32_t n_src, float *dst, void *scratch) {
    deconv_state *d = state;
    (void)n_src;
    float *product = scratch;
    hv_status st = hv_dnnl_step_run(&d->step, src[0], NULL, product, (char *)scratch + d->product_bytes,
                                    "running deconv");
    if (st) return st;
    scatter_call c = {d, product, dst};
    return hv_host_parallel_for(d->n, 1, scatter_images, &c);
}

const hv_host_kernel hv_host_deconv_dnnl = {
    .prepare = deconv_prepare,
    .scratch_bytes = deconv_scratch,
    .run = deconv_run,
    .release = deconv_release,
};
#else
typedef int hv_deconv_dnnl_unused;
#endif
