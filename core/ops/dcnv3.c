/* DCNv3 core op (MODEL_SPEC §4.5 steps 5–7): shape inference, CPU reference and Vulkan recorder.
 * The math is documented with hv_dcnv3_params in hemovk/ops_dcn.h; the reference follows InternImage's
 * dcnv3_im2col_gpu_kernel line by line (location in f32 like the kernel, sums in double). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/ops_dcn.h"
#include "ops/opsdcn_util.h"

/** Parameters with the zero-means-default rule applied. */
typedef struct dcn_geom {
    int64_t n, h, w, c, ho, wo, g, cg, k;
    int32_t kh, kw, sh, sw, ph, pw, dh, dw;
    float os;
} dcn_geom;

static int32_t or_default(int32_t v, int32_t d) { return v == 0 ? d : v; }

static hv_status dcn_resolve(const hv_dcnv3_params *p, const hv_tensor_desc *v, dcn_geom *g) {
    memset(g, 0, sizeof *g);
    g->kh = or_default(p->kernel_h, 3);
    g->kw = or_default(p->kernel_w, 3);
    g->sh = or_default(p->stride_h, 1);
    g->sw = or_default(p->stride_w, 1);
    g->dh = or_default(p->dilation_h, 1);
    g->dw = or_default(p->dilation_w, 1);
    g->ph = p->pad_h;
    g->pw = p->pad_w;
    g->os = p->offset_scale == 0.0f ? 1.0f : p->offset_scale;
    if (g->kh < 1 || g->kw < 1 || g->sh < 1 || g->sw < 1 || g->dh < 1 || g->dw < 1 || g->ph < 0 || g->pw < 0)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "dcnv3: kernel %dx%d, stride %dx%d, dilation %dx%d must be ≥ 1 and "
                        "pad %dx%d ≥ 0", g->kh, g->kw, g->sh, g->sw, g->dh, g->dw, g->ph, g->pw);
    if (!isfinite(g->os))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "dcnv3: offset_scale must be finite");
    if (p->group < 1 || p->group_channels < 1)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "dcnv3: group (%d) and group_channels (%d) must be ≥ 1", p->group,
                        p->group_channels);
    g->g = p->group;
    g->cg = p->group_channels;
    g->k = (int64_t)g->kh * g->kw;
    g->n = v->dims[0];
    g->h = v->dims[1];
    g->w = v->dims[2];
    g->c = v->dims[3];
    g->ho = (g->h + 2 * g->ph - ((int64_t)g->dh * (g->kh - 1) + 1)) / g->sh + 1;
    g->wo = (g->w + 2 * g->pw - ((int64_t)g->dw * (g->kw - 1) + 1)) / g->sw + 1;
    return HV_OK;
}

static hv_status dcn_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    const hv_dcnv3_params *p = params;
    if (n_src != 3) return hv_error(HV_ERR_SHAPE, "dcnv3: needs 3 inputs (value, offsets, mask), got %u", n_src);
    for (uint32_t i = 0; i < 3; ++i) {
        if (src[i].rank != 4)
            return hv_error(HV_ERR_SHAPE, "dcnv3: input %u must be 4-D NHWC, got %s", i, opsdcn_shape(&src[i]));
        if (src[i].dtype != src[0].dtype)
            return hv_error(HV_ERR_SHAPE, "dcnv3: value, offsets and mask must share one dtype (input %u is %s, "
                            "value is %s)", i, hv_dtype_name(src[i].dtype), hv_dtype_name(src[0].dtype));
    }
    dcn_geom g;
    hv_status st = dcn_resolve(p, &src[0], &g);
    if (st) return st;
    if (g.c != g.g * g.cg)
        return hv_error(HV_ERR_SHAPE, "dcnv3: value %s has C=%lld but group·group_channels = %lld·%lld",
                        opsdcn_shape(&src[0]), (long long)g.c, (long long)g.g, (long long)g.cg);
    if (g.ho < 1 || g.wo < 1)
        return hv_error(HV_ERR_SHAPE, "dcnv3: value %s is smaller than the %dx%d kernel (dilation %dx%d, pad %dx%d)",
                        opsdcn_shape(&src[0]), g.kh, g.kw, g.dh, g.dw, g.ph, g.pw);
    const int64_t want_off[4] = {g.n, g.ho, g.wo, g.g * g.k * 2};
    const int64_t want_m[4] = {g.n, g.ho, g.wo, g.g * g.k};
    for (int d = 0; d < 4; ++d) {
        if (src[1].dims[d] != want_off[d])
            return hv_error(HV_ERR_SHAPE, "dcnv3: offsets %s must be [%lld, %lld, %lld, %lld] (N, Ho, Wo, G·K·2) for "
                            "value %s", opsdcn_shape(&src[1]), (long long)want_off[0], (long long)want_off[1],
                            (long long)want_off[2], (long long)want_off[3], opsdcn_shape(&src[0]));
        if (src[2].dims[d] != want_m[d])
            return hv_error(HV_ERR_SHAPE, "dcnv3: mask %s must be [%lld, %lld, %lld, %lld] (N, Ho, Wo, G·K) for "
                            "value %s", opsdcn_shape(&src[2]), (long long)want_m[0], (long long)want_m[1],
                            (long long)want_m[2], (long long)want_m[3], opsdcn_shape(&src[0]));
    }
    memset(dst, 0, sizeof *dst);
    dst->dtype = src[0].dtype;
    dst->layout = HV_LAYOUT_NHWC;
    dst->rank = 4;
    dst->dims[0] = g.n;
    dst->dims[1] = g.ho;
    dst->dims[2] = g.wo;
    dst->dims[3] = g.c;
    return HV_OK;
}

/* The host backend's DCNv3 (core/cpu/dcnv3_host.c): output rows [row0, row1) of n·Ho, the reference's
 * math with float sums (as the Vulkan kernel), so the host backend can split rows across threads. */
hv_status opsdcn_dcnv3_rows(const void *params, const hv_tensor_desc *src, const float *const *src_data, float *dst_data,
                            int64_t row0, int64_t row1) {
    dcn_geom g;
    hv_status st = dcn_resolve(params, &src[0], &g);
    if (st) return st;
    const float *v = src_data[0], *off = src_data[1], *msk = src_data[2];
    const int32_t cw = (g.dw * (g.kw - 1)) >> 1, chh = (g.dh * (g.kh - 1)) >> 1;
    for (int64_t row = row0; row < row1 && row < g.n * g.ho; ++row) {
        const int64_t n = row / g.ho, ho = row % g.ho;
        for (int64_t wo = 0; wo < g.wo; ++wo) {
            const int64_t pix = (n * g.ho + ho) * g.wo + wo;
            const float p0w = (float)(cw - g.pw + wo * g.sw) - (float)cw * g.os;
            const float p0h = (float)(chh - g.ph + ho * g.sh) - (float)chh * g.os;
            for (int64_t grp = 0; grp < g.g; ++grp) {
                float *out = dst_data + pix * g.c + grp * g.cg;
                memset(out, 0, (size_t)g.cg * sizeof *out);
                const float *o = off + pix * g.g * g.k * 2 + grp * g.k * 2;
                const float *m = msk + pix * g.g * g.k + grp * g.k;
                for (int32_t i = 0; i < g.kw; ++i)
                    for (int32_t j = 0; j < g.kh; ++j) {
                        const int64_t pt = (int64_t)i * g.kh + j;
                        const float locw = p0w + ((float)(i * g.dw) + o[pt * 2]) * g.os;
                        const float loch = p0h + ((float)(j * g.dh) + o[pt * 2 + 1]) * g.os;
                        if (!(loch > -1.0f && locw > -1.0f && loch < (float)g.h && locw < (float)g.w)) continue;
                        const float fy = floorf(loch), fx = floorf(locw);
                        const int64_t y0 = (int64_t)fy, x0 = (int64_t)fx;
                        const float ly = loch - fy, lx = locw - fx;
                        const float wt[4] = {(1 - ly) * (1 - lx), (1 - ly) * lx, ly * (1 - lx), ly * lx};
                        const int64_t ys[4] = {y0, y0, y0 + 1, y0 + 1}, xs[4] = {x0, x0 + 1, x0, x0 + 1};
                        for (int q = 0; q < 4; ++q) {
                            if (ys[q] < 0 || ys[q] > g.h - 1 || xs[q] < 0 || xs[q] > g.w - 1) continue;
                            const float wq = wt[q] * m[pt];
                            const float *vp = v + ((n * g.h + ys[q]) * g.w + xs[q]) * g.c + grp * g.cg;
                            for (int64_t c = 0; c < g.cg; ++c) out[c] += wq * vp[c];
                        }
                    }
            }
        }
    }
    return HV_OK;
}

/* n·Ho: the rows opsdcn_dcnv3_rows splits (0 when the params do not resolve). */
int64_t opsdcn_dcnv3_row_count(const void *params, const hv_tensor_desc *src, int64_t *row_len) {
    dcn_geom g;
    if (dcn_resolve(params, &src[0], &g)) return 0;
    if (row_len) *row_len = g.wo * g.c * g.k; /* work per row: samples, not values */
    return g.n * g.ho;
}

static hv_status dcn_ref(const void *params, const hv_tensor_desc *src, const float *const *src_data, uint32_t n_src,
                         const hv_tensor_desc *dst, float *dst_data) {
    (void)dst;
    hv_tensor_desc chk;
    hv_status st = dcn_infer(params, src, n_src, &chk);
    if (st) return st;
    dcn_geom g;
    dcn_resolve(params, &src[0], &g);
    const float *v = src_data[0], *off = src_data[1], *msk = src_data[2];
    double *acc = malloc((size_t)g.cg * sizeof *acc);
    if (!acc) return hv_error(HV_ERR_OUT_OF_MEMORY, "dcnv3 reference: no memory for %lld accumulators", (long long)g.cg);
    const int32_t cw = (g.dw * (g.kw - 1)) >> 1, chh = (g.dh * (g.kh - 1)) >> 1;
    for (int64_t n = 0; n < g.n; ++n)
        for (int64_t ho = 0; ho < g.ho; ++ho)
            for (int64_t wo = 0; wo < g.wo; ++wo) {
                const int64_t pix = (n * g.ho + ho) * g.wo + wo;
                /* float, as the kernel's opmath_t: p0_w_ = p0_w − c·os */
                const float p0w = (float)(cw - g.pw + wo * g.sw) - (float)cw * g.os;
                const float p0h = (float)(chh - g.ph + ho * g.sh) - (float)chh * g.os;
                for (int64_t grp = 0; grp < g.g; ++grp) {
                    memset(acc, 0, (size_t)g.cg * sizeof *acc);
                    const float *o = off + pix * g.g * g.k * 2 + grp * g.k * 2;
                    const float *m = msk + pix * g.g * g.k + grp * g.k;
                    for (int32_t i = 0; i < g.kw; ++i)
                        for (int32_t j = 0; j < g.kh; ++j) {
                            const int64_t pt = (int64_t)i * g.kh + j;
                            const float locw = p0w + ((float)(i * g.dw) + o[pt * 2]) * g.os;
                            const float loch = p0h + ((float)(j * g.dh) + o[pt * 2 + 1]) * g.os;
                            if (!(loch > -1.0f && locw > -1.0f && loch < (float)g.h && locw < (float)g.w)) continue;
                            const double fy = floor((double)loch), fx = floor((double)locw);
                            const int64_t y0 = (int64_t)fy, x0 = (int64_t)fx;
                            const double ly = (double)loch - fy, lx = (double)locw - fx;
                            const double wt[4] = {(1 - ly) * (1 - lx), (1 - ly) * lx, ly * (1 - lx), ly * lx};
                            const int64_t ys[4] = {y0, y0, y0 + 1, y0 + 1}, xs[4] = {x0, x0 + 1, x0, x0 + 1};
                            for (int q = 0; q < 4; ++q) {
                                if (ys[q] < 0 || ys[q] > g.h - 1 || xs[q] < 0 || xs[q] > g.w - 1) continue;
                                const double wq = wt[q] * (double)m[pt];
                                const float *vp = v + ((n * g.h + ys[q]) * g.w + xs[q]) * g.c + grp * g.cg;
                                for (int64_t c = 0; c < g.cg; ++c) acc[c] += wq * (double)vp[c];
                            }
                        }
                    float *out = dst_data + pix * g.c + grp * g.cg;
                    for (int64_t c = 0; c < g.cg; ++c) out[c] = (float)acc[c];
                }
            }
    free(acc);
    return HV_OK;
}

/** Push constants of shaders/dcnv3.comp (same order). */
typedef struct dcn_push {
    uint32_t n, h, w, c, ho, wo, g, cg;
    int32_t kh, kw, sh, sw, ph, pw, dh, dw;
    float os;
    uint32_t cpt;
} dcn_push;

static hv_status dcn_record(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                            const hv_binding *src_bind, uint32_t n_src, const hv_tensor_desc *dst,
                            const hv_binding *dst_bind, const hv_binding *scratch) {
    (void)scratch;
    (void)dst;
    dcn_geom g;
    hv_status st = dcn_resolve(params, &src[0], &g);
    if (st) return st;
    if (hv_desc_numel(&src[0]) > UINT32_MAX / 2 || hv_desc_numel(&src[1]) > UINT32_MAX / 2)
        return hv_error(HV_ERR_UNSUPPORTED, "dcnv3: tensors of more than 2^31 elements (%s); split the batch",
                        opsdcn_shape(&src[0]));
    dcn_push pc = {(uint32_t)g.n, (uint32_t)g.h, (uint32_t)g.w, (uint32_t)g.c, (uint32_t)g.ho, (uint32_t)g.wo,
                   (uint32_t)g.g, (uint32_t)g.cg, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.os,
                   (g.cg % 4 == 0) ? 4u : 1u};
    uint32_t gx, gy;
    st = opsdcn_grid1d("dcnv3", (uint64_t)g.n * g.ho * g.wo * (g.c / pc.cpt), &gx, &gy);
    if (st) return st;
    const hv_binding b[4] = {src_bind[0], src_bind[1], src_bind[2], dst_bind[0]};
    (void)n_src;
    return opsdcn_dispatch(cmd, dev, "dcnv3", src[0].dtype, b, 4, &pc, sizeof pc, gx, gy, "dcnv3");
}

const hv_op_def hv_op_dcnv3 = {
    .name = "dcnv3",
    .param_size = sizeof(hv_dcnv3_params),
    .min_src = 3,
    .max_src = 3,
    .infer = dcn_infer,
    .ref = dcn_ref,
    .scratch_bytes = NULL,
    .record = dcn_record,
};
