/* Paste a 28×28 mask probability map into the whole image, mmdet _do_paste_mask on GPU (skip_empty=False,
 * MODEL_SPEC §5.10 step 4): float32 grid, torch grid_sample bilinear, align_corners=False, zero padding. */
#include <math.h>

#include "hemovk/detect.h"

/* torch's unnormalize for align_corners=False: ((g + 1)·size − 1)/2, float32 */
static inline float unnorm(float g, int size) { return ((g + 1.0f) * (float)size - 1.0f) / 2.0f; }

static float sample(const float *map, int mh, int mw, float gx, float gy) {
    if (isnan(gx) || isnan(gy)) return 0.0f; /* torch: NaN index → every tap out of bounds */
    const float ix = unnorm(gx, mw), iy = unnorm(gy, mh);
    const float fx = floorf(ix), fy = floorf(iy);
    if (fx < -2.0f || fy < -2.0f || fx > (float)mw || fy > (float)mh) return 0.0f; /* all 4 taps outside */
    const int x0 = (int)fx, y0 = (int)fy, x1 = x0 + 1, y1 = y0 + 1;
    /* torch grid_sampler_2d weights: nw = (ix_se − ix)(iy_se − iy) etc. */
    const float nw = ((float)x1 - ix) * ((float)y1 - iy), ne = (ix - (float)x0) * ((float)y1 - iy);
    const float sw = ((float)x1 - ix) * (iy - (float)y0), se = (ix - (float)x0) * (iy - (float)y0);
    float v = 0.0f;
    const int in_x0 = x0 >= 0 && x0 < mw, in_x1 = x1 >= 0 && x1 < mw;
    const int in_y0 = y0 >= 0 && y0 < mh, in_y1 = y1 >= 0 && y1 < mh;
    if (in_y0 && in_x0) v += map[y0 * mw + x0] * nw;
    if (in_y0 && in_x1) v += map[y0 * mw + x1] * ne;
    if (in_y1 && in_x0) v += map[y1 * mw + x0] * sw;
    if (in_y1 && in_x1) v += map[y1 * mw + x1] * se;
    return v;
}

/* ((p + 0.5) − lo)/(hi − lo)·2 − 1 in float32 with mmdet's inf → 0 */
static inline float grid_coord(int p, float lo, float hi) {
    float g = ((float)p + 0.5f - lo) / (hi - lo) * 2.0f - 1.0f;
    return isinf(g) ? 0.0f : g;
}

hv_status hv_mask_paste(const float *map, int mh, int mw, const hv_box *box, int out_h, int out_w, float thr,
                        uint8_t *mask, float *prob) {
    if (!map || !box || (!mask && !prob))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "mask paste: NULL argument (map, box and mask or prob needed)");
    if (mh < 1 || mw < 1 || out_h < 0 || out_w < 0)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "mask paste: map %dx%d into image %dx%d: bad size", mh, mw, out_h, out_w);
    if (!isfinite(box->x1) || !isfinite(box->y1) || !isfinite(box->x2) || !isfinite(box->y2))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "mask paste: box (%g, %g, %g, %g) is not finite", (double)box->x1,
                        (double)box->y1, (double)box->x2, (double)box->y2);
    for (int r = 0; r < out_h; ++r) {
        const float gy = grid_coord(r, box->y1, box->y2);
        for (int c = 0; c < out_w; ++c) {
            const float v = sample(map, mh, mw, grid_coord(c, box->x1, box->x2), gy);
            const size_t i = (size_t)r * (size_t)out_w + (size_t)c;
            if (prob) prob[i] = v;
            if (mask) mask[i] = v >= thr ? 1 : 0;
        }
    }
    return HV_OK;
}
