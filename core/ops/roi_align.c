/* Multi-level RoIAlign op (MODEL_SPEC §5.6–5.7): shape inference, CPU reference, Vulkan recorder, and the
 * mmdet level rule. Semantics are documented with hv_roi_align_params in hemovk/ops_dcn.h; the reference
 * follows mmcv's roi_align_forward_cuda_kernel / bilinear_interpolate (positions in f32 like the kernel,
 * sums in double). */
#include <math.h>
#include <string.h>

#include "hemovk/ops_dcn.h"
#include "ops/opsdcn_util.h"

int32_t hv_roi_level(float x1, float y1, float x2, float y2, float finest_scale, int32_t num_levels) {
    const float fs = finest_scale == 0.0f ? 56.0f : finest_scale;
    const float t = sqrtf((x2 - x1) * (y2 - y1)) / fs + 1e-6f;
    /* floor(log2 t) by comparisons: exact at the powers of two, where log2f may round. NaN (negative
     * area) lands on level 0 like mmdet's clamp of NaN. */
    int32_t lv = t >= 8.0f ? 3 : (t >= 4.0f ? 2 : (t >= 2.0f ? 1 : 0));
    if (lv > num_levels - 1) lv = num_levels - 1;
    return lv < 0 ? 0 : lv;
}

static hv_status roi_check_params(const hv_roi_align_params *p) {
    if (p->num_levels < 1 || p->num_levels > HV_ROI_MAX_LEVELS)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "roi_align: num_levels %d must be 1..%d", p->num_levels,
                        HV_ROI_MAX_LEVELS);
    for (int32_t l = 0; l < p->num_levels; ++l)
        if (!(p->strides[l] > 0.0f) || !isfinite(p->strides[l]))
            return hv_error(HV_ERR_INVALID_ARGUMENT, "roi_align: strides[%d] = %g must be a positive number", l,
                            (double)p->strides[l]);
    if (p->output_size < 1 || p->output_size > 64)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "roi_align: output_size %d must be 1..64", p->output_size);
    if (p->sampling_ratio < 0 || p->sampling_ratio > 64)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "roi_align: sampling_ratio %d must be 0 (adaptive)..64",
                        p->sampling_ratio);
    if (p->finest_scale < 0.0f || !isfinite(p->finest_scale))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "roi_align: finest_scale %g must be ≥ 0 (0 = 56)",
                        (double)p->finest_scale);
    return HV_OK;
}

static hv_status roi_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    const hv_roi_align_params *p = params;
    hv_status st = roi_check_params(p);
    if (st) return st;
    const uint32_t L = (uint32_t)p->num_levels, want = L + 1 + (p->has_levels ? 1 : 0);
    if (n_src != want)
        return hv_error(HV_ERR_SHAPE, "roi_align: %u level(s)%s need %u inputs, got %u", L,
                        p->has_levels ? " + rois + levels" : " + rois", want, n_src);
    for (uint32_t l = 0; l < L; ++l) {
        if (src[l].rank != 4 || src[l].layout == HV_LAYOUT_NHWC)
            return hv_error(HV_ERR_SHAPE, "roi_align: feature level %u must be 4-D NCHW, got %s", l,
                            opsdcn_shape(&src[l]));
        if (src[l].dims[0] != src[0].dims[0] || src[l].dims[1] != src[0].dims[1] || src[l].dtype != src[0].dtype)
            return hv_error(HV_ERR_SHAPE, "roi_align: feature level %u %s (%s) must match level 0 %s (%s) in N, C "
                            "and dtype", l, opsdcn_shape(&src[l]), hv_dtype_name(src[l].dtype), opsdcn_shape(&src[0]),
                            hv_dtype_name(src[0].dtype));
    }
    const hv_tensor_desc *rois = &src[L];
    if (rois->rank != 2 || rois->dims[1] != 5 || rois->dims[0] < 1 || rois->dtype != HV_F32)
        return hv_error(HV_ERR_SHAPE, "roi_align: rois must be f32 [R, 5] (batch, x1, y1, x2, y2) with R ≥ 1, got %s %s",
                        hv_dtype_name(rois->dtype), opsdcn_shape(rois));
    if (p->has_levels) {
        const hv_tensor_desc *lv = &src[L + 1];
        if (lv->dtype != HV_F32 || hv_desc_numel(lv) != rois->dims[0] || lv->rank != 1)
            return hv_error(HV_ERR_SHAPE, "roi_align: levels must be f32 [%lld] (one per RoI), got %s %s",
                            (long long)rois->dims[0], hv_dtype_name(lv->dtype), opsdcn_shape(lv));
    }
    memset(dst, 0, sizeof *dst);
    dst->dtype = src[0].dtype;
    dst->layout = HV_LAYOUT_NCHW;
    dst->rank = 4;
    dst->dims[0] = rois->dims[0];
    dst->dims[1] = src[0].dims[1];
    dst->dims[2] = p->output_size;
    dst->dims[3] = p->output_size;
    return HV_OK;
}

/** One sample's bilinear taps (mmcv bilinear_interpolate's clamping): the four plane offsets and the
 *  fractions ly, lx. y − ⌊y⌋ is exact in f32, so the f32 rows and the double reference share these. */
typedef struct roi_taps {
    int64_t o00, o01, o10, o11;
    float ly, lx;
} roi_taps;

/** The taps of the sample at (y, x) on an H×W plane; 0 when it lies outside (it then adds nothing). */
static int roi_sample_taps(int64_t H, int64_t W, float y, float x, roi_taps *t) {
    if (y < -1.0f || y > (float)H || x < -1.0f || x > (float)W) return 0;
    if (y <= 0.0f) y = 0.0f;
    if (x <= 0.0f) x = 0.0f;
    int64_t y0 = (int64_t)y, x0 = (int64_t)x, y1, x1;
    if (y0 >= H - 1) { y0 = y1 = H - 1; y = (float)y0; } else { y1 = y0 + 1; }
    if (x0 >= W - 1) { x0 = x1 = W - 1; x = (float)x0; } else { x1 = x0 + 1; }
    t->ly = y - (float)y0;
    t->lx = x - (float)x0;
    t->o00 = y0 * W + x0, t->o01 = y0 * W + x1, t->o10 = y1 * W + x0, t->o11 = y1 * W + x1;
    return 1;
}

/** mmcv bilinear_interpolate on one H×W plane (positions in f32 as the kernel; weights in double). */
static double roi_bilinear(const float *plane, int64_t H, int64_t W, float y, float x) {
    roi_taps t;
    if (!roi_sample_taps(H, W, y, x, &t)) return 0.0;
    const double ly = t.ly, lx = t.lx, hy = 1 - ly, hx = 1 - lx;
    return hy * hx * plane[t.o00] + hy * lx * plane[t.o01] + ly * hx * plane[t.o10] + ly * lx * plane[t.o11];
}

/** Where RoI r samples: its level, image, bin origin and size, and the sampling grid (mmcv's roi_align
 *  kernel, positions in f32). `valid` is 0 for a bad batch index (the RoI's output is zeros). */
typedef struct roi_geom {
    int valid;
    int32_t lv;
    int64_t b, gh, gw, cnt;
    float sx, sy, bw, bh;
} roi_geom;

static roi_geom roi_geometry(const hv_roi_align_params *p, const hv_tensor_desc *src, const float *const *src_data,
                             int64_t r) {
    const uint32_t L = (uint32_t)p->num_levels;
    const int64_t N = src[0].dims[0], P = p->output_size;
    const float *ro = src_data[L] + r * 5;
    roi_geom g = {0};
    g.b = (int64_t)ro[0];
    if (!(ro[0] > -1.0f && ro[0] < (float)N) || g.b < 0 || g.b >= N) return g;
    g.valid = 1;
    if (p->has_levels) {
        const float lf = roundf(src_data[L + 1][r]);
        g.lv = !(lf >= 0.0f) ? 0 : (lf > (float)(L - 1) ? (int32_t)L - 1 : (int32_t)lf);
    } else {
        g.lv = hv_roi_level(ro[1], ro[2], ro[3], ro[4], p->finest_scale, (int32_t)L);
    }
    const float s = 1.0f / p->strides[g.lv], off = p->aligned ? 0.5f : 0.0f;
    g.sx = ro[1] * s - off, g.sy = ro[2] * s - off;
    float rw = ro[3] * s - off - g.sx, rh = ro[4] * s - off - g.sy;
    if (!p->aligned) {
        if (rw < 1.0f) rw = 1.0f;
        if (rh < 1.0f) rh = 1.0f;
    }
    g.bw = rw / (float)P, g.bh = rh / (float)P;
    g.gw = p->sampling_ratio > 0 ? p->sampling_ratio : (int64_t)ceilf(rw / (float)P);
    g.gh = p->sampling_ratio > 0 ? p->sampling_ratio : (int64_t)ceilf(rh / (float)P);
    g.cnt = g.gh * g.gw > 1 ? g.gh * g.gw : 1;
    return g;
}

/** Sampling point iy of bin row ph (and ix of bin column pw): mmcv's f32 expressions, in one place. */
static float roi_sample_y(const roi_geom *g, int64_t ph, int64_t iy) {
    return g->sy + (float)ph * g->bh + ((float)iy + 0.5f) * g->bh / (float)g->gh;
}

static float roi_sample_x(const roi_geom *g, int64_t pw, int64_t ix) {
    return g->sx + (float)pw * g->bw + ((float)ix + 0.5f) * g->bw / (float)g->gw;
}

static hv_status roi_ref(const void *params, const hv_tensor_desc *src, const float *const *src_data, uint32_t n_src,
                         const hv_tensor_desc *dst, float *dst_data) {
    (void)dst;
    const hv_roi_align_params *p = params;
    hv_tensor_desc out;
    hv_status st = roi_infer(params, src, n_src, &out);
    if (st) return st;
    const uint32_t L = (uint32_t)p->num_levels;
    const int64_t R = src[L].dims[0], C = src[0].dims[1], P = p->output_size;
    for (int64_t r = 0; r < R; ++r) {
        float *o = dst_data + r * C * P * P;
        const roi_geom g = roi_geometry(p, src, src_data, r);
        if (!g.valid) { /* bad batch index: zeros */
            memset(o, 0, (size_t)(C * P * P) * sizeof *o);
            continue;
        }
        const int64_t H = src[g.lv].dims[2], W = src[g.lv].dims[3];
        for (int64_t c = 0; c < C; ++c) {
            const float *plane = src_data[g.lv] + (g.b * C + c) * H * W;
            for (int64_t ph = 0; ph < P; ++ph)
                for (int64_t pw = 0; pw < P; ++pw) {
                    double sum = 0.0;
                    for (int64_t iy = 0; iy < g.gh; ++iy) {
                        const float y = roi_sample_y(&g, ph, iy);
                        for (int64_t ix = 0; ix < g.gw; ++ix)
                            sum += roi_bilinear(plane, H, W, y, roi_sample_x(&g, pw, ix));
                    }
                    o[(c * P + ph) * P + pw] = (float)(sum / (double)g.cnt);
                }
        }
    }
    return HV_OK;
}

int64_t opsdcn_roi_align_row_count(const void *params, const hv_tensor_desc *src, int64_t *row_len) {
    const hv_roi_align_params *p = params;
    const uint32_t L = (uint32_t)p->num_levels;
    /* ~4 samples a bin of 4 taps each: the work of a RoI, for the threads' split */
    *row_len = src[0].dims[1] * p->output_size * p->output_size * 16;
    return src[L].dims[0];
}

hv_status opsdcn_roi_align_rows(const void *params, const hv_tensor_desc *src, const float *const *src_data,
                                float *dst_data, int64_t r0, int64_t r1) {
    const hv_roi_align_params *p = params;
    const int64_t C = src[0].dims[1], P = p->output_size, PP = P * P;
    for (int64_t r = r0; r < r1; ++r) {
        float *o = dst_data + r * C * PP;
        memset(o, 0, (size_t)(C * PP) * sizeof *o);
        const roi_geom g = roi_geometry(p, src, src_data, r);
        if (!g.valid) continue;
        const int64_t H = src[g.lv].dims[2], W = src[g.lv].dims[3];
        const float *base = src_data[g.lv] + g.b * C * H * W, inv = 1.0f / (float)g.cnt;
        /* each sample's four taps and weights once, then every channel: the bilinear set-up is shared by
         * the C planes (mmcv's CPU pre_calc, without its buffer) */
        for (int64_t ph = 0; ph < P; ++ph)
            for (int64_t pw = 0; pw < P; ++pw) {
                float *ob = o + ph * P + pw;
                for (int64_t iy = 0; iy < g.gh; ++iy) {
                    const float y = roi_sample_y(&g, ph, iy);
                    for (int64_t ix = 0; ix < g.gw; ++ix) {
                        roi_taps t;
                        if (!roi_sample_taps(H, W, y, roi_sample_x(&g, pw, ix), &t)) continue;
                        const float hy = 1.0f - t.ly, hx = 1.0f - t.lx;
                        const float w00 = hy * hx * inv, w01 = hy * t.lx * inv, w10 = t.ly * hx * inv,
                                    w11 = t.ly * t.lx * inv;
                        const float *pl = base;
                        for (int64_t c = 0; c < C; ++c, pl += H * W)
                            ob[c * PP] += w00 * pl[t.o00] + w01 * pl[t.o01] + w10 * pl[t.o10] + w11 * pl[t.o11];
                    }
                }
            }
    }
    return HV_OK;
}

/** Push constants of shaders/roi_align.comp (same order; the three arrays are 16-byte vectors). */
typedef struct roi_push {
    uint32_t hs[4], ws[4];
    float scale[4];
    uint32_t r, c, n, pp, l;
    int32_t sr;
    uint32_t aligned, has_levels;
    float finest;
} roi_push;

static hv_status roi_record(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                            const hv_binding *src_bind, uint32_t n_src, const hv_tensor_desc *dst,
                            const hv_binding *dst_bind, const hv_binding *scratch) {
    (void)scratch;
    (void)n_src;
    const hv_roi_align_params *p = params;
    hv_status st = roi_check_params(p);
    if (st) return st;
    const uint32_t L = (uint32_t)p->num_levels;
    roi_push pc;
    memset(&pc, 0, sizeof pc);
    for (uint32_t l = 0; l < HV_ROI_MAX_LEVELS; ++l) {
        const uint32_t k = l < L ? l : 0;
        pc.hs[l] = (uint32_t)src[k].dims[2];
        pc.ws[l] = (uint32_t)src[k].dims[3];
        pc.scale[l] = 1.0f / p->strides[k];
    }
    pc.r = (uint32_t)dst->dims[0];
    pc.c = (uint32_t)dst->dims[1];
    pc.n = (uint32_t)src[0].dims[0];
    pc.pp = (uint32_t)p->output_size;
    pc.l = L;
    pc.sr = p->sampling_ratio;
    pc.aligned = p->aligned ? 1u : 0u;
    pc.has_levels = p->has_levels ? 1u : 0u;
    pc.finest = p->finest_scale == 0.0f ? 56.0f : p->finest_scale;
    if (hv_desc_numel(dst) > UINT32_MAX / 2)
        return hv_error(HV_ERR_UNSUPPORTED, "roi_align: output %s exceeds 2^31 elements; use fewer RoIs per call",
                        opsdcn_shape(dst));
    for (uint32_t l = 0; l < L; ++l)
        if (hv_desc_numel(&src[l]) > UINT32_MAX / 2)
            return hv_error(HV_ERR_UNSUPPORTED, "roi_align: feature level %u %s exceeds 2^31 elements", l,
                            opsdcn_shape(&src[l]));
    hv_binding b[7];
    for (uint32_t l = 0; l < 4; ++l) b[l] = src_bind[l < L ? l : 0];
    b[4] = src_bind[L];
    b[5] = p->has_levels ? src_bind[L + 1] : src_bind[L]; /* never read without levels */
    b[6] = dst_bind[0];
    uint32_t gx, gy;
    /* one invocation per (RoI, chunk of 8 channels, ph, pw): shaders/roi_align.comp's CPT */
    const uint64_t chunks = (uint64_t)(dst->dims[1] + 7) / 8;
    st = opsdcn_grid1d("roi_align", (uint64_t)dst->dims[0] * chunks * (uint64_t)(p->output_size * p->output_size), &gx, &gy);
    if (st) return st;
    return opsdcn_dispatch(cmd, dev, "roi_align", src[0].dtype, b, 7, &pc, sizeof pc, gx, gy, "roi_align");
}

const hv_op_def hv_op_roi_align = {
    .name = "roi_align",
    .param_size = sizeof(hv_roi_align_params),
    .min_src = 2,
    .max_src = HV_ROI_MAX_LEVELS + 2,
    .infer = roi_infer,
    .ref = roi_ref,
    .scratch_bytes = NULL,
    .record = roi_record,
};
