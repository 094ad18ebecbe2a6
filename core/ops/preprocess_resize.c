/* CPU-side image resizing for preprocessing (MODEL_SPEC §1.2): mmcv's keep-ratio size rule and a uint8
 * bilinear resize with OpenCV's cv2.resize(INTER_LINEAR) semantics.
 *
 * OpenCV (imgproc/src/resize.cpp, resizeGeneric with the fixed-point HResizeLinear/VResizeLinear):
 *   fx = (float)((dx + 0.5)·scale_x − 0.5), sx = floor(fx), fx −= sx; sx < 0 → (sx, fx) = (0, 0);
 *   sx ≥ W−1 → (sx, fx) = (W−1, 0); coefficients saturate_cast<short>((1−fx)·2048), (fx·2048);
 *   rows clamp to [0, H−1]; row[x] = S[sx]·a0 + S[sx+1]·a1 (int), then
 *   dst = (row0·b0 + row1·b1 + 2^21) >> 22, saturated to uint8.
 * scale_x = 1/(dst_w/src_w) in double. Same size → copy; an exact 2× downscale in both axes becomes
 * INTER_AREA (2×2 sum + 2) >> 2, as OpenCV does. OpenCV's SSE2/NEON vertical pass instead computes
 * ((b0·(row0>>4))>>16 + (b1·(row1>>4))>>16 + 2) >> 2 for the first multiple-of-8/16 bytes of a row, which
 * can differ by 1 from the scalar rounding on a few pixels; cv2 is not installed on the build machines so
 * this file follows the scalar path (exact at s = 1, the paper's 224² frames). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/ops_dcn.h"

hv_status hv_preprocess_keep_ratio_size(int32_t w, int32_t h, int32_t target_w, int32_t target_h, int32_t *new_w,
                                        int32_t *new_h, double *scale) {
    if (w < 1 || h < 1 || target_w < 1 || target_h < 1 || !new_w || !new_h)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "preprocess: keep-ratio resize of %dx%d to %dx%d needs positive sizes",
                        w, h, target_w, target_h);
    const double long_edge = target_w > target_h ? target_w : target_h;
    const double short_edge = target_w < target_h ? target_w : target_h;
    const double a = long_edge / (double)(w > h ? w : h), b = short_edge / (double)(w < h ? w : h);
    const double s = a < b ? a : b;
    /* mmcv _scale_size: int(w * float(scale) + 0.5) */
    const double nw = floor((double)w * s + 0.5), nh = floor((double)h * s + 0.5);
    if (nw < 1 || nh < 1 || nw > 65535 || nh > 65535)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "preprocess: keep-ratio size of %dx%d for target %dx%d is %gx%g (must "
                        "be 1..65535)", w, h, target_w, target_h, nw, nh);
    *new_w = (int32_t)nw;
    *new_h = (int32_t)nh;
    if (scale) *scale = s;
    return HV_OK;
}

void hv_preprocess_padded_size(int32_t h, int32_t w, int32_t divisor, int32_t *out_h, int32_t *out_w) {
    if (divisor < 1) divisor = 1;
    *out_h = (h + divisor - 1) / divisor * divisor;
    *out_w = (w + divisor - 1) / divisor * divisor;
}

/** Per destination coordinate: source index and the two 11-bit coefficients (OpenCV's table). */
static void linear_table(int32_t src, int32_t dst, int32_t *ofs, int16_t *a0, int16_t *a1) {
    const double scale = 1.0 / ((double)dst / (double)src);
    for (int32_t d = 0; d < dst; ++d) {
        float f = (float)(((double)d + 0.5) * scale - 0.5);
        int32_t s = (int32_t)floorf(f);
        f -= (float)s;
        if (s < 0) { s = 0; f = 0.0f; }
        if (s >= src - 1) { s = src - 1; f = 0.0f; }
        ofs[d] = s;
        /* saturate_cast<short>(v·2048) rounds to nearest */
        a0[d] = (int16_t)lrintf((1.0f - f) * 2048.0f);
        a1[d] = (int16_t)lrintf(f * 2048.0f);
    }
}

hv_status hv_preprocess_resize_u8(const uint8_t *src, int32_t w, int32_t h, int32_t channels, uint8_t *dst,
                                  int32_t new_w, int32_t new_h) {
    if (!src || !dst || w < 1 || h < 1 || new_w < 1 || new_h < 1 || channels < 1 || channels > 4)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "preprocess: resize %dx%dx%d → %dx%d needs positive sizes, 1..4 "
                        "channels and non-NULL buffers", w, h, channels, new_w, new_h);
    const int32_t cn = channels;
    if (new_w == w && new_h == h) {
        memcpy(dst, src, (size_t)w * h * cn);
        return HV_OK;
    }
    if (w == 2 * new_w && h == 2 * new_h) { /* OpenCV: INTER_LINEAR at exactly 2× down is INTER_AREA */
        for (int32_t y = 0; y < new_h; ++y)
            for (int32_t x = 0; x < new_w; ++x)
                for (int32_t c = 0; c < cn; ++c) {
                    const uint8_t *s0 = src + ((size_t)(2 * y) * w + 2 * x) * cn + c, *s1 = s0 + (size_t)w * cn;
                    dst[((size_t)y * new_w + x) * cn + c] = (uint8_t)((s0[0] + s0[cn] + s1[0] + s1[cn] + 2) >> 2);
                }
        return HV_OK;
    }
    int32_t *xo = malloc(sizeof(int32_t) * (size_t)new_w), *yo = malloc(sizeof(int32_t) * (size_t)new_h);
    int16_t *xa = malloc(sizeof(int16_t) * 2 * (size_t)new_w), *ya = malloc(sizeof(int16_t) * 2 * (size_t)new_h);
    int32_t *rows = malloc(sizeof(int32_t) * 2 * (size_t)new_w * cn);
    if (!xo || !yo || !xa || !ya || !rows) {
        free(xo); free(yo); free(xa); free(ya); free(rows);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "preprocess: no memory to resize to %dx%d", new_w, new_h);
    }
    linear_table(w, new_w, xo, xa, xa + new_w);
    linear_table(h, new_h, yo, ya, ya + new_h);
    for (int32_t y = 0; y < new_h; ++y) {
        const int32_t sy[2] = {yo[y], yo[y] + 1 < h ? yo[y] + 1 : h - 1};
        for (int r = 0; r < 2; ++r) { /* horizontal pass on the two source rows */
            const uint8_t *s = src + (size_t)sy[r] * w * cn;
            int32_t *d = rows + (size_t)r * new_w * cn;
            for (int32_t x = 0; x < new_w; ++x) {
                const int32_t sx0 = xo[x], sx1 = sx0 + 1 < w ? sx0 + 1 : sx0; /* coefficient a1 is 0 there */
                for (int32_t c = 0; c < cn; ++c)
                    d[x * cn + c] = s[sx0 * cn + c] * xa[x] + s[sx1 * cn + c] * xa[new_w + x];
            }
        }
        const int32_t b0 = ya[y], b1 = ya[new_h + y];
        for (int32_t i = 0; i < new_w * cn; ++i) {
            const int32_t v = (rows[i] * b0 + rows[(size_t)new_w * cn + i] * b1 + (1 << 21)) >> 22;
            dst[(size_t)y * new_w * cn + i] = (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v));
        }
    }
    free(xo); free(yo); free(xa); free(ya); free(rows);
    return HV_OK;
}
