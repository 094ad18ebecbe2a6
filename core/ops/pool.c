/* Max pool on NCHW (FPN's P6 is kernel 1, stride 2: plain subsampling). */
#include <math.h>

#include "hemovk/ops_conv.h"
#include "ops/ops_conv_defs.h"
#include "ops/opsconv_util.h"

typedef struct pool_push {
    uint32_t nc, h, w, oh, ow, kh, kw, sh, sw, pt, pl;
} pool_push;

typedef struct pool_geom {
    int64_t nc, h, w, oh, ow;
    int32_t kh, kw, sh, sw, pt, pl;
} pool_geom;

static int32_t one_if_zero(int32_t v) { return v == 0 ? 1 : v; }

static hv_status pool_geom_of(const hv_maxpool_params *p, const hv_tensor_desc *src, uint32_t n_src, pool_geom *g) {
    if (n_src != 1) return hv_error(HV_ERR_INVALID_ARGUMENT, "maxpool: got %u inputs, expected 1", (unsigned)n_src);
    const hv_tensor_desc *x = &src[0];
    if (x->rank != 4 || x->layout == HV_LAYOUT_NHWC)
        return hv_error(HV_ERR_SHAPE, "maxpool: input must be a rank-4 NCHW tensor, got %s", opsconv_shape(x));
    g->kh = one_if_zero(p->kernel_h), g->kw = one_if_zero(p->kernel_w);
    g->sh = one_if_zero(p->stride_h), g->sw = one_if_zero(p->stride_w);
    g->pt = p->pad_top, g->pl = p->pad_left;
    if (g->kh < 1 || g->kw < 1 || g->sh < 1 || g->sw < 1 || p->pad_top < 0 || p->pad_bottom < 0 || p->pad_left < 0 ||
        p->pad_right < 0)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "maxpool: kernel %dx%d, stride %dx%d must be >= 1 and pads >= 0",
                        g->kh, g->kw, g->sh, g->sw);
    /* A pad as large as the kernel would create windows that see only padding (no defined maximum). */
    if (p->pad_top >= g->kh || p->pad_bottom >= g->kh || p->pad_left >= g->kw || p->pad_right >= g->kw)
        return hv_error(HV_ERR_SHAPE, "maxpool: pads (t%d b%d l%d r%d) must be smaller than the kernel %dx%d",
                        p->pad_top, p->pad_bottom, p->pad_left, p->pad_right, g->kh, g->kw);
    g->nc = x->dims[0] * x->dims[1], g->h = x->dims[2], g->w = x->dims[3];
    int64_t ih = g->h + p->pad_top + p->pad_bottom, iw = g->w + p->pad_left + p->pad_right;
    if (ih < g->kh || iw < g->kw)
        return hv_error(HV_ERR_SHAPE, "maxpool: kernel %dx%d is larger than the padded input %s", g->kh, g->kw,
                        opsconv_shape(x));
    g->oh = (ih - g->kh) / g->sh + 1;
    g->ow = (iw - g->kw) / g->sw + 1;
    if (hv_desc_numel(x) > (int64_t)UINT32_MAX)
        return hv_error(HV_ERR_UNSUPPORTED, "maxpool: input %s too large", opsconv_shape(x));
    return HV_OK;
}

static hv_status pool_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    pool_geom g = {0};
    hv_status st = pool_geom_of(params, src, n_src, &g);
    if (st) return st;
    *dst = src[0];
    dst->layout = HV_LAYOUT_NCHW;
    dst->dims[2] = g.oh, dst->dims[3] = g.ow;
    return HV_OK;
}

static hv_status pool_ref(const void *params, const hv_tensor_desc *src, const float *const *src_data, uint32_t n_src,
                          const hv_tensor_desc *dst, float *y) {
    pool_geom g = {0};
    hv_status st = pool_geom_of(params, src, n_src, &g);
    if (st) return st;
    for (int64_t c = 0; c < g.nc; c++)
        for (int64_t oy = 0; oy < g.oh; oy++)
            for (int64_t ox = 0; ox < g.ow; ox++) {
                float m = -INFINITY;
                for (int64_t ky = 0; ky < g.kh; ky++)
                    for (int64_t kx = 0; kx < g.kw; kx++) {
                        int64_t iy = oy * g.sh - g.pt + ky, ix = ox * g.sw - g.pl + kx;
                        if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                        float v = src_data[0][(c * g.h + iy) * g.w + ix];
                        if (v > m || isnan(v)) m = v; /* NaN propagates, as in PyTorch */
                        if (isnan(m)) break;
                    }
                y[(c * g.oh + oy) * g.ow + ox] = m;
            }
    (void)dst;
    return HV_OK;
}

static hv_status pool_record(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                             const hv_binding *src_bind, uint32_t n_src, const hv_tensor_desc *dst,
                             const hv_binding *dst_bind, const hv_binding *scratch) {
    pool_geom g = {0};
    hv_status st = pool_geom_of(params, src, n_src, &g);
    if (st) return st;
    pool_push pc = {(uint32_t)g.nc, (uint32_t)g.h, (uint32_t)g.w, (uint32_t)g.oh, (uint32_t)g.ow, (uint32_t)g.kh,
                    (uint32_t)g.kw, (uint32_t)g.sh, (uint32_t)g.sw, (uint32_t)g.pt, (uint32_t)g.pl};
    hv_binding binds[2] = {src_bind[0], *dst_bind};
    uint32_t gx, gy;
    if ((st = opsconv_grid1d("maxpool", (uint64_t)hv_desc_numel(dst), &gx, &gy))) return st;
    (void)scratch;
    return opsconv_dispatch(cmd, dev, "maxpool", src[0].dtype, binds, 2, &pc, sizeof pc, NULL, 0, gx, gy, 1, "maxpool");
}

const hv_op_def hv_op_maxpool = {
    .name = "maxpool",
    .param_size = sizeof(hv_maxpool_params),
    .min_src = 1,
    .max_src = 1,
    .infer = pool_infer,
    .ref = pool_ref,
    .scratch_bytes = NULL,
    .record = pool_record,
};
