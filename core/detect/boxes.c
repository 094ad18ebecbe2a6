/* Anchors, delta decoding and RoI level mapping with mmdet 2.x float32 semantics (MODEL_SPEC §5.3,
 * §5.4, §5.6). Every expression keeps torch's evaluation order so results match bit for bit. */
#include <math.h>

#include "hemovk/detect.h"
#include "hemovk/ops_dcn.h"

hv_status hv_anchors_base(float stride, const float *scales, int n_scales, const float *ratios, int n_ratios,
                          hv_box *out) {
    if (!scales || !ratios || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_anchors_base: NULL argument");
    if (!(stride > 0) || n_scales < 1 || n_ratios < 1)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_anchors_base: stride %g, %d scales, %d ratios: need > 0",
                        (double)stride, n_scales, n_ratios);
    for (int r = 0; r < n_ratios; ++r)
        if (!(ratios[r] > 0) || !isfinite(ratios[r]))
            return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_anchors_base: ratio[%d] = %g must be > 0", r, (double)ratios[r]);
    for (int s = 0; s < n_scales; ++s)
        if (!(scales[s] > 0) || !isfinite(scales[s]))
            return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_anchors_base: scale[%d] = %g must be > 0", s, (double)scales[s]);
    /* scale_major: ws = (w * w_ratios[:, None] * scales[None, :]).view(-1) — ratio outer, scale inner */
    for (int r = 0; r < n_ratios; ++r) {
        const float h_r = sqrtf(ratios[r]), w_r = 1.0f / h_r;
        for (int s = 0; s < n_scales; ++s) {
            const float ws = stride * w_r * scales[s], hs = stride * h_r * scales[s];
            out[r * n_scales + s] = (hv_box){0.0f - 0.5f * ws, 0.0f - 0.5f * hs, 0.0f + 0.5f * ws, 0.0f + 0.5f * hs};
        }
    }
    return HV_OK;
}

hv_status hv_anchors_grid(const hv_box *base, int n_base, int feat_h, int feat_w, float stride, hv_box *out) {
    if (!base || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_anchors_grid: NULL argument");
    if (n_base < 1 || feat_h < 0 || feat_w < 0 || !(stride > 0))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_anchors_grid: %d base anchors on %dx%d, stride %g: bad size",
                        n_base, feat_h, feat_w, (double)stride);
    size_t k = 0;
    for (int y = 0; y < feat_h; ++y) {
        const float sy = (float)y * stride;
        for (int x = 0; x < feat_w; ++x) {
            const float sx = (float)x * stride;
            for (int a = 0; a < n_base; ++a, ++k)
                out[k] = (hv_box){base[a].x1 + sx, base[a].y1 + sy, base[a].x2 + sx, base[a].y2 + sy};
        }
    }
    return HV_OK;
}

hv_status hv_delta_decode(const hv_delta_coder *c, const hv_box *refs, const float *deltas, size_t n, hv_box *out) {
    if (!c || (n && (!refs || !deltas || !out)))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_delta_decode: NULL argument");
    if (c->img_h < 0 || c->img_w < 0)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_delta_decode: negative clamp size %gx%g", (double)c->img_h,
                        (double)c->img_w);
    const float max_ratio = (float)HV_DELTA_MAX_RATIO;
    const int clamp = c->img_h > 0 && c->img_w > 0;
    for (size_t i = 0; i < n; ++i) {
        const float *d = deltas + i * 4;
        float dx = d[0] * c->stds[0] + c->means[0], dy = d[1] * c->stds[1] + c->means[1];
        float dw = d[2] * c->stds[2] + c->means[2], dh = d[3] * c->stds[3] + c->means[3];
        const hv_box r = refs[i];
        const float px = (r.x1 + r.x2) * 0.5f, py = (r.y1 + r.y2) * 0.5f;
        const float pw = r.x2 - r.x1, ph = r.y2 - r.y1;
        const float dxw = pw * dx, dyh = ph * dy;
        dw = fminf(fmaxf(dw, -max_ratio), max_ratio);
        dh = fminf(fmaxf(dh, -max_ratio), max_ratio);
        const float gx = px + dxw, gy = py + dyh;
        const float gw = pw * expf(dw), gh = ph * expf(dh);
        hv_box b = {gx - gw * 0.5f, gy - gh * 0.5f, gx + gw * 0.5f, gy + gh * 0.5f};
        if (clamp) {
            b.x1 = fminf(fmaxf(b.x1, 0.0f), c->img_w);
            b.x2 = fminf(fmaxf(b.x2, 0.0f), c->img_w);
            b.y1 = fminf(fmaxf(b.y1, 0.0f), c->img_h);
            b.y2 = fminf(fmaxf(b.y2, 0.0f), c->img_h);
        }
        out[i] = b;
    }
    return HV_OK;
}

hv_status hv_det_roi_levels(const hv_box *rois, size_t n, float finest_scale, int num_levels, int32_t *levels) {
    if (n && (!rois || !levels)) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_det_roi_levels: NULL argument");
    if (num_levels < 1 || num_levels > 4 || finest_scale < 0)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_det_roi_levels: %d levels, finest_scale %g: need 1..4 and ≥ 0",
                        num_levels, (double)finest_scale);
    for (size_t i = 0; i < n; ++i)
        levels[i] = hv_roi_level(rois[i].x1, rois[i].y1, rois[i].x2, rois[i].y2, finest_scale, num_levels);
    return HV_OK;
}
