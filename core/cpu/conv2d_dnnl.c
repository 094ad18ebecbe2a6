/* conv2d on the host backend: a oneDNN convolution per step, NCHW in and out of the graph (the
 * activations reordered to and from the blocked layout the primitive prefers, in the plan's scratch),
 * weights reordered once, bias, the fused activation and residual as post-ops. Groups
 * (depthwise included), strides, dilation and TF-"SAME" padding (resolved by hv_conv2d_resolve) map
 * one to one. */
#ifdef HEMOVK_HAVE_DNNL
#include <stdlib.h>

#include "cpu/dnnl_util.h"
#include "cpu/host_kernel.h"
#include "hemovk/ops_conv.h"

typedef struct conv_state {
    hv_dnnl_step step;
    int res_index; /* source of the residual, -1 for none */
} conv_state;

static void conv_release(void *state) {
    conv_state *c = state;
    if (!c) return;
    hv_dnnl_step_destroy(&c->step);
    free(c);
}

static hv_status conv_prepare(const void *params, const hv_tensor_desc *src, const float *const *constant,
                              uint32_t n_src, const hv_tensor_desc *dst, void **state) {
    const hv_conv2d_params *p = params;
    (void)dst;
    *state = NULL;
    if (!constant[1] || (p->has_bias && !constant[2])) return HV_OK; /* computed weights: the reference */
    hv_conv2d_geom g;
    hv_status st = hv_conv2d_resolve(p, &src[0], &src[1], &g);
    if (st) return st;
    dnnl_dims_t xd = {g.n, g.c_in, g.h, g.w}, yd = {g.n, g.c_out, g.oh, g.ow}, bd = {g.c_out};
    dnnl_dims_t wd_plain = {g.c_out, g.c_in / g.groups, g.kh, g.kw};
    dnnl_dims_t wd_group = {g.groups, g.c_out / g.groups, g.c_in / g.groups, g.kh, g.kw};
    int grouped = g.groups > 1, wn = grouped ? 5 : 4;
    dnnl_dims_t strides = {g.sh, g.sw}, dilates = {g.dh - 1, g.dw - 1}, pad_l = {g.pt, g.pl}, pad_r = {g.pb, g.pr};
    dnnl_memory_desc_t x_md, y_md, x_any, y_any, b_md, w_user, w_any;
    dnnl_status_t s = dnnl_memory_desc_init_by_tag(&x_md, 4, xd, dnnl_f32, dnnl_nchw);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&y_md, 4, yd, dnnl_f32, dnnl_nchw);
    /* activations "any": oneDNN picks its blocked layout, and the step reorders in and out (dnnl_util.h) */
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&x_any, 4, xd, dnnl_f32, dnnl_format_tag_any);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&y_any, 4, yd, dnnl_f32, dnnl_format_tag_any);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&b_md, 1, bd, dnnl_f32, dnnl_a);
    if (s == dnnl_success)
        s = dnnl_memory_desc_init_by_tag(&w_user, wn, grouped ? wd_group : wd_plain, dnnl_f32,
                                         grouped ? dnnl_goihw : dnnl_oihw);
    if (s == dnnl_success)
        s = dnnl_memory_desc_init_by_tag(&w_any, wn, grouped ? wd_group : wd_plain, dnnl_f32, dnnl_format_tag_any);
    dnnl_convolution_desc_t cd;
    if (s == dnnl_success)
        s = dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct, &x_any,
                                                       &w_any, p->has_bias ? &b_md : NULL, &y_any, strides, dilates,
                                                       pad_l, pad_r);
    if (s != dnnl_success) return hv_dnnl_fail(s, "describing a conv2d");
    conv_state *c = calloc(1, sizeof *c);
    if (!c) return hv_error(HV_ERR_OUT_OF_MEMORY, "host conv2d: out of memory");
    c->res_index = p->has_residual ? (int)n_src - 1 : -1;
    st = hv_dnnl_step_create(&c->step, &cd, p->act, p->has_residual, &x_md, &y_md, &w_user, constant[1], &b_md,
                             p->has_bias ? constant[2] : NULL, "conv2d");
    if (st) {
        conv_release(c);
        return st;
    }
    *state = c;
    return HV_OK;
}

static size_t conv_scratch(const void *state) {
    const conv_state *c = state;
    return hv_dnnl_step_scratch(&c->step);
}

static hv_status conv_run(void *state, const float *const *src, uint32_t n_src, float *dst, void *scratch) {
    conv_state *c = state;
    (void)n_src;
    return hv_dnnl_step_run(&c->step, src[0], c->res_index >= 0 ? src[c->res_index] : NULL, dst, scratch,
                            "running conv2d");
}

const hv_host_kernel hv_host_conv2d_dnnl = {
    .prepare = conv_prepare,
    .scratch_bytes = conv_scratch,
    .run = conv_run,
    .release = conv_release,
};
#else
typedef int hv_conv2d_dnnl_unused;
#endif
