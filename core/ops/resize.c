/* Resize of the two innermost dims (H, W of NCHW): PyTorch 'nearest' and half-pixel bilinear
 * (align_corners=False). Source coordinates use a float32 scale in/out exactly like PyTorch 1.13's
 * upsample kernels, so parity tests against torch agree index for index. */
#include <math.h>

#include "hemovk/ops_conv.h"
#include "ops/ops_conv_defs.h"
#include "ops/opsconv_util.h"

typedef struct resize_push {
    uint32_t outer, ih, iw, oh, ow;
    float scale_h, scale_w;
} resize_push;

static hv_status resize_check(const hv_resize_params *p, const hv_tensor_desc *src, uint32_t n_src) {
    if (n_src != 1) return hv_error(HV_ERR_INVALID_ARGUMENT, "resize: got %u inputs, expected 1", (unsigned)n_src);
    const hv_tensor_desc *x = &src[0];
    if (x->rank < 2 || x->layout == HV_LAYOUT_NHWC)
        return hv_error(HV_ERR_SHAPE, "resize: input must be NCHW (resizes the last two dims), got %s",
                        opsconv_shape(x));
    if (p->out_h < 1 || p->out_w < 1)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "resize: output size %dx%d must be >= 1", p->out_h, p->out_w);
    if (p->mode != HV_RESIZE_NEAREST && p->mode != HV_RESIZE_BILINEAR)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "resize: unknown mode %d", (int)p->mode);
    int64_t outer = hv_desc_numel(x) / (x->dims[x->rank - 2] * x->dims[x->rank - 1]);
    if (hv_desc_numel(x) > (int64_t)UINT32_MAX || outer * p->out_h * p->out_w > (int64_t)UINT32_MAX)
        return hv_error(HV_ERR_UNSUPPORTED, "resize: %s to %dx%d is too large", opsconv_shape(x), p->out_h, p->out_w);
    return HV_OK;
}

static hv_status resize_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    const hv_resize_params *p = params;
    hv_status st = resize_check(p, src, n_src);
    if (st) return st;
    *dst = src[0];
    dst->dims[dst->rank - 2] = p->out_h;
    dst->dims[dst->rank - 1] = p->out_w;
    return HV_OK;
}

/* PyTorch's nearest_idx (UpSample.h): identity, exact 2× as a shift, else floor(dst · (float)(in/out)). */
static int64_t nearest_src(int64_t dst, int64_t in, int64_t out, float scale) {
    if (out == in) return dst;
    if (out == 2 * in) return dst >> 1;
    int64_t s = (int64_t)floorf((float)dst * scale);
    return s < in - 1 ? s : in - 1;
}

/* area_pixel_compute_source_index, align_corners=False, clamped at 0. */
static float linear_src(int64_t dst, float scale) {
    float s = scale * ((float)dst + 0.5f) - 0.5f;
    return s < 0 ? 0 : s;
}

static hv_status resize_ref(const void *params, const hv_tensor_desc *src, const float *const *src_data,
                            uint32_t n_src, const hv_tensor_desc *dst, float *y) {
    const hv_resize_params *p = params;
    hv_status st = resize_check(p, src, n_src);
    if (st) return st;
    int64_t ih = src[0].dims[src[0].rank - 2], iw = src[0].dims[src[0].rank - 1];
    int64_t oh = p->out_h, ow = p->out_w, outer = hv_desc_numel(&src[0]) / (ih * iw);
    float sh = (float)ih / (float)oh, sw = (float)iw / (float)ow;
    for (int64_t c = 0; c < outer; c++) {
        const float *x = src_data[0] + c * ih * iw;
        for (int64_t oy = 0; oy < oh; oy++)
            for (int64_t ox = 0; ox < ow; ox++) {
                double v;
                if (p->mode == HV_RESIZE_NEAREST) {
                    v = x[nearest_src(oy, ih, oh, sh) * iw + nearest_src(ox, iw, ow, sw)];
                } else {
                    float fy = linear_src(oy, sh), fx = linear_src(ox, sw);
                    int64_t y0 = (int64_t)fy, x0 = (int64_t)fx;
                    int64_t y1 = y0 < ih - 1 ? y0 + 1 : y0, x1 = x0 < iw - 1 ? x0 + 1 : x0;
                    double ly = (double)(fy - (float)y0), lx = (double)(fx - (float)x0);
                    v = (1 - ly) * ((1 - lx) * x[y0 * iw + x0] + lx * x[y0 * iw + x1]) +
                        ly * ((1 - lx) * x[y1 * iw + x0] + lx * x[y1 * iw + x1]);
                }
                y[(c * oh + oy) * ow + ox] = (float)v;
            }
    }
    (void)dst;
    return HV_OK;
}

static hv_status resize_record(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                               const hv_binding *src_bind, uint32_t n_src, const hv_tensor_desc *dst,
                               const hv_binding *dst_bind, const hv_binding *scratch) {
    const hv_resize_params *p = params;
    hv_status st = resize_check(p, src, n_src);
    if (st) return st;
    uint32_t ih = (uint32_t)src[0].dims[src[0].rank - 2], iw = (uint32_t)src[0].dims[src[0].rank - 1];
    resize_push pc = {(uint32_t)(hv_desc_numel(&src[0]) / ((int64_t)ih * iw)), ih, iw, (uint32_t)p->out_h,
                      (uint32_t)p->out_w, (float)ih / (float)p->out_h, (float)iw / (float)p->out_w};
    uint32_t spec[1] = {(uint32_t)p->mode};
    hv_binding binds[2] = {src_bind[0], *dst_bind};
    uint32_t gx, gy;
    if ((st = opsconv_grid1d("resize", (uint64_t)hv_desc_numel(dst), &gx, &gy))) return st;
    (void)scratch;
    return opsconv_dispatch(cmd, dev, "resize", src[0].dtype, binds, 2, &pc, sizeof pc, spec, 1, gx, gy, 1, "resize");
}

const hv_op_def hv_op_resize = {
    .name = "resize",
    .param_size = sizeof(hv_resize_params),
    .min_src = 1,
    .max_src = 1,
    .infer = resize_infer,
    .ref = resize_ref,
    .scratch_bytes = NULL,
    .record = resize_record,
};
