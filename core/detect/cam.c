/* Class-activation maps (MODEL_SPEC §8): Eigen-CAM (pytorch-grad-cam with sign correction), the authors'
 * FPN channel-mean map, matplotlib's jet colour map, PIL-exact bilinear resize and the 50/50 blend. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/detect.h"

static hv_status cam_check(const float *act, int c, int h, int w, const float *out, const char *what) {
    if (!act || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: NULL argument", what);
    if (c < 1 || h < 1 || w < 1 || (size_t)c * h * w > ((size_t)1 << 31))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: activation %dx%dx%d: need C, H, W ≥ 1 (and < 2^31 values)", what, c, h, w);
    return HV_OK;
}

/* min-max normalisation: (v − min) / (max − min + eps); all zeros when max == min */
static void minmax(const double *v, size_t n, double eps, float *out) {
    double lo = v[0], hi = v[0];
    for (size_t i = 1; i < n; ++i) {
        lo = fmin(lo, v[i]);
        hi = fmax(hi, v[i]);
    }
    for (size_t i = 0; i < n; ++i) out[i] = hi > lo ? (float)((v[i] - lo) / (hi - lo + eps)) : 0.0f;
}

/* Top eigenvector of the symmetric positive semi-definite n×n matrix G by power iteration from a fixed,
 * non-symmetric start. Returns the eigenvalue. */
static double power_top(const double *G, int n, double *v, double *t) {
    double norm = 0;
    for (int i = 0; i < n; ++i) {
        v[i] = 1.0 + 0.001 * (double)i;
        norm += v[i] * v[i];
    }
    norm = sqrt(norm);
    for (int i = 0; i < n; ++i) v[i] /= norm;
    double lambda = 0;
    for (int it = 0; it < 20000; ++it) {
        double nn = 0;
        for (int i = 0; i < n; ++i) {
            double s = 0;
            for (int j = 0; j < n; ++j) s += G[(size_t)i * n + j] * v[j];
            t[i] = s;
            nn += s * s;
        }
        nn = sqrt(nn);
        if (nn == 0) return 0;
        double diff = 0;
        for (int i = 0; i < n; ++i) {
            t[i] /= nn;
            diff += (t[i] - v[i]) * (t[i] - v[i]);
            v[i] = t[i];
        }
        lambda = nn;
        if (diff < 1e-26) break;
    }
    return lambda;
}

hv_status hv_cam_eigen(const float *act, int c, int h, int w, float *out) {
    hv_status st = cam_check(act, c, h, w, out, "Eigen-CAM");
    if (st) return st;
    const size_t P = (size_t)h * w, C = (size_t)c;
    const int use_pixels = P < C; /* Gram over the smaller side */
    const size_t n = use_pixels ? P : C;
    if (n > 4096) return hv_error(HV_ERR_UNSUPPORTED, "Eigen-CAM: %zu channels and %zu pixels: both above 4096", C, P);
    double *X = malloc(P * C * sizeof *X), *G = calloc(n * n, sizeof *G), *v = malloc(n * sizeof *v);
    double *t = malloc(n * sizeof *t), *proj = calloc(P, sizeof *proj);
    if (!X || !G || !v || !t || !proj) {
        free(X); free(G); free(v); free(t); free(proj);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "Eigen-CAM: out of memory for %zux%zu", P, C);
    }
    /* X[p, k] = act[k, p] with NaN → 0, then centre every channel over the pixels */
    for (size_t k = 0; k < C; ++k) {
        double mean = 0;
        for (size_t p = 0; p < P; ++p) {
            const float a = act[k * P + p];
            X[p * C + k] = isnan(a) ? 0.0 : a;
            mean += X[p * C + k];
        }
        mean /= (double)P;
        for (size_t p = 0; p < P; ++p) X[p * C + k] -= mean;
    }
    if (use_pixels) { /* G = X Xᵀ (P×P); X v1 = s1 u1 = sqrt(λ) u1 */
        for (size_t i = 0; i < P; ++i)
            for (size_t j = i; j < P; ++j) {
                double s = 0;
                for (size_t k = 0; k < C; ++k) s += X[i * C + k] * X[j * C + k];
                G[i * P + j] = G[j * P + i] = s;
            }
        const double lambda = power_top(G, (int)n, v, t);
        for (size_t p = 0; p < P; ++p) proj[p] = sqrt(lambda) * v[p];
    } else { /* G = Xᵀ X (C×C); projection X v1 */
        for (size_t p = 0; p < P; ++p)
            for (size_t i = 0; i < C; ++i) {
                const double xi = X[p * C + i];
                if (xi == 0) continue;
                for (size_t j = i; j < C; ++j) G[i * C + j] += xi * X[p * C + j];
            }
        for (size_t i = 0; i < C; ++i)
            for (size_t j = 0; j < i; ++j) G[i * C + j] = G[j * C + i];
        power_top(G, (int)n, v, t);
        for (size_t p = 0; p < P; ++p) {
            double s = 0;
            for (size_t k = 0; k < C; ++k) s += X[p * C + k] * v[k];
            proj[p] = s;
        }
    }
    /* sign correction (get_2d_projection_with_sign_correction), ReLU, scale_cam_image */
    double lo = proj[0], hi = proj[0];
    for (size_t p = 1; p < P; ++p) {
        lo = fmin(lo, proj[p]);
        hi = fmax(hi, proj[p]);
    }
    const double sign = fabs(lo) > fabs(hi) ? -1.0 : 1.0;
    for (size_t p = 0; p < P; ++p) proj[p] = fmax(sign * proj[p], 0.0);
    minmax(proj, P, 1e-7, out);
    free(X); free(G); free(v); free(t); free(proj);
    return HV_OK;
}

hv_status hv_cam_channel_mean(const float *act, int c, int h, int w, float *out) {
    hv_status st = cam_check(act, c, h, w, out, "channel-mean CAM");
    if (st) return st;
    const size_t P = (size_t)h * w;
    double *m = malloc(P * sizeof *m);
    if (!m) return hv_error(HV_ERR_OUT_OF_MEMORY, "channel-mean CAM: out of memory");
    for (size_t p = 0; p < P; ++p) {
        double s = 0;
        for (int k = 0; k < c; ++k) s += act[(size_t)k * P + p];
        m[p] = (double)(float)(s / c); /* torch mean → float32 map */
    }
    minmax(m, P, 0.0, out);
    free(m);
    return HV_OK;
}

/* matplotlib LinearSegmentedColormap._create_lookup_table for one channel (gamma 1, y0 == y1) */
static void jet_channel(const double (*seg)[2], int ns, double *lut) {
    lut[0] = seg[0][1];
    lut[255] = seg[ns - 1][1];
    for (int i = 1; i < 255; ++i) {
        const double xi = (double)i * (1.0 / 255.0); /* np.linspace(0, 1, 256) */
        int ind = 0;
        while (ind < ns && seg[ind][0] < xi) ++ind; /* searchsorted, side='left' */
        const double d = (xi - seg[ind - 1][0]) / (seg[ind][0] - seg[ind - 1][0]);
        double v = d * (seg[ind][1] - seg[ind - 1][1]) + seg[ind - 1][1];
        lut[i] = fmin(fmax(v, 0.0), 1.0);
    }
}

static uint8_t jet_lut[256 * 3];
static int jet_ready;

const uint8_t *hv_cam_jet_lut(void) {
    if (__atomic_load_n(&jet_ready, __ATOMIC_ACQUIRE)) return jet_lut;
    static const double r[][2] = {{0, 0}, {0.35, 0}, {0.66, 1}, {0.89, 1}, {1, 0.5}};
    static const double g[][2] = {{0, 0}, {0.125, 0}, {0.375, 1}, {0.64, 1}, {0.91, 0}, {1, 0}};
    static const double b[][2] = {{0, 0.5}, {0.11, 1}, {0.34, 1}, {0.65, 0}, {1, 0}};
    double lr[256], lg[256], lb[256];
    jet_channel(r, 5, lr);
    jet_channel(g, 6, lg);
    jet_channel(b, 5, lb);
    uint8_t tmp[256 * 3];
    for (int i = 0; i < 256; ++i) { /* uint8(255·rgb): truncation */
        tmp[i * 3 + 0] = (uint8_t)(255.0 * lr[i]);
        tmp[i * 3 + 1] = (uint8_t)(255.0 * lg[i]);
        tmp[i * 3 + 2] = (uint8_t)(255.0 * lb[i]);
    }
    /* identical bytes from any thread: a racing second writer stores the same values */
    memcpy(jet_lut, tmp, sizeof tmp);
    __atomic_store_n(&jet_ready, 1, __ATOMIC_RELEASE);
    return jet_lut;
}

void hv_cam_jet(const float *v, size_t n, uint8_t *rgb) {
    if (!v || !rgb) return;
    const uint8_t *lut = hv_cam_jet_lut();
    for (size_t i = 0; i < n; ++i) {
        int idx;
        if (isnan(v[i])) {
            rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = 0;
            continue;
        }
        const float x = v[i] * 256.0f;
        if (x < 0) idx = 0;
        else if (x >= 255.0f) idx = 255;
        else idx = (int)x;
        memcpy(rgb + i * 3, lut + idx * 3, 3);
    }
}

/* Pillow precompute_coeffs + normalize_coeffs_8bpc for one axis */
enum { PIL_PRECISION_BITS = 32 - 8 - 2 };
static int pil_coeffs(int in_size, int out_size, int **bounds_out, int **kk_out, int *ksize_out) {
    const double scale = (double)in_size / out_size;
    const double filterscale = scale < 1.0 ? 1.0 : scale;
    const double support = 1.0 * filterscale;
    const int ksize = (int)ceil(support) * 2 + 1;
    double *pre = calloc((size_t)out_size * ksize, sizeof *pre);
    int *kk = malloc((size_t)out_size * ksize * sizeof *kk), *bounds = malloc((size_t)out_size * 2 * sizeof *bounds);
    if (!pre || !kk || !bounds) {
        free(pre); free(kk); free(bounds);
        return -1;
    }
    for (int xx = 0; xx < out_size; ++xx) {
        const double center = (xx + 0.5) * scale, ss = 1.0 / filterscale;
        double ww = 0.0;
        int xmin = (int)(center - support + 0.5), xmax = (int)(center + support + 0.5);
        if (xmin < 0) xmin = 0;
        if (xmax > in_size) xmax = in_size;
        xmax -= xmin;
        double *k = pre + (size_t)xx * ksize;
        for (int x = 0; x < xmax; ++x) {
            double t = fabs((x + xmin - center + 0.5) * ss);
            const double wgt = t < 1.0 ? 1.0 - t : 0.0;
            k[x] = wgt;
            ww += wgt;
        }
        for (int x = 0; x < xmax; ++x)
            if (ww != 0.0) k[x] /= ww;
        bounds[xx * 2] = xmin;
        bounds[xx * 2 + 1] = xmax;
    }
    for (size_t i = 0; i < (size_t)out_size * ksize; ++i)
        kk[i] = pre[i] < 0 ? (int)(-0.5 + pre[i] * (1 << PIL_PRECISION_BITS)) : (int)(0.5 + pre[i] * (1 << PIL_PRECISION_BITS));
    free(pre);
    *bounds_out = bounds;
    *kk_out = kk;
    *ksize_out = ksize;
    return 0;
}

static inline uint8_t clip8(int64_t v) {
    v >>= PIL_PRECISION_BITS;
    return v < 0 ? 0 : (v > 255 ? 255 : (uint8_t)v);
}

hv_status hv_cam_resize_rgb_pil(const uint8_t *src, int sh, int sw, uint8_t *dst, int dh, int dw) {
    if (!src || !dst) return hv_error(HV_ERR_INVALID_ARGUMENT, "PIL resize: NULL argument");
    if (sh < 1 || sw < 1 || dh < 1 || dw < 1)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "PIL resize: %dx%d → %dx%d: sizes must be ≥ 1", sh, sw, dh, dw);
    const int need_h = dw != sw, need_v = dh != sh;
    uint8_t *mid = malloc((size_t)sh * dw * 3);
    int *bh = NULL, *kh = NULL, *bv = NULL, *kv = NULL, ksh = 0, ksv = 0;
    if (!mid || (need_h && pil_coeffs(sw, dw, &bh, &kh, &ksh)) || (need_v && pil_coeffs(sh, dh, &bv, &kv, &ksv))) {
        free(mid); free(bh); free(kh); free(bv); free(kv);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "PIL resize: out of memory");
    }
    if (need_h) {
        for (int y = 0; y < sh; ++y)
            for (int xx = 0; xx < dw; ++xx) {
                const int xmin = bh[xx * 2], xmax = bh[xx * 2 + 1];
                const int *k = kh + (size_t)xx * ksh;
                for (int ch = 0; ch < 3; ++ch) {
                    int64_t ss = 1 << (PIL_PRECISION_BITS - 1);
                    for (int x = 0; x < xmax; ++x) ss += (int64_t)src[((size_t)y * sw + x + xmin) * 3 + ch] * k[x];
                    mid[((size_t)y * dw + xx) * 3 + ch] = clip8(ss);
                }
            }
    } else {
        memcpy(mid, src, (size_t)sh * sw * 3);
    }
    if (need_v) {
        for (int yy = 0; yy < dh; ++yy) {
            const int ymin = bv[yy * 2], ymax = bv[yy * 2 + 1];
            const int *k = kv + (size_t)yy * ksv;
            for (int x = 0; x < dw; ++x)
                for (int ch = 0; ch < 3; ++ch) {
                    int64_t ss = 1 << (PIL_PRECISION_BITS - 1);
                    for (int y = 0; y < ymax; ++y) ss += (int64_t)mid[((size_t)(y + ymin) * dw + x) * 3 + ch] * k[y];
                    dst[((size_t)yy * dw + x) * 3 + ch] = clip8(ss);
                }
        }
    } else {
        memcpy(dst, mid, (size_t)dh * dw * 3);
    }
    free(mid); free(bh); free(kh); free(bv); free(kv);
    return HV_OK;
}

hv_status hv_cam_resize_f32(const float *src, int sh, int sw, float *dst, int dh, int dw) {
    if (!src || !dst) return hv_error(HV_ERR_INVALID_ARGUMENT, "bilinear resize: NULL argument");
    if (sh < 1 || sw < 1 || dh < 1 || dw < 1)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "bilinear resize: %dx%d → %dx%d: sizes must be ≥ 1", sh, sw, dh, dw);
    const double sy = (double)sh / dh, sx = (double)sw / dw;
    for (int y = 0; y < dh; ++y) {
        double fy = (y + 0.5) * sy - 0.5;
        if (fy < 0) fy = 0;
        int y0 = (int)fy;
        if (y0 > sh - 1) y0 = sh - 1;
        const int y1 = y0 + 1 < sh ? y0 + 1 : sh - 1;
        const double wy = fmin(fy - y0, 1.0);
        for (int x = 0; x < dw; ++x) {
            double fx = (x + 0.5) * sx - 0.5;
            if (fx < 0) fx = 0;
            int x0 = (int)fx;
            if (x0 > sw - 1) x0 = sw - 1;
            const int x1 = x0 + 1 < sw ? x0 + 1 : sw - 1;
            const double wx = fmin(fx - x0, 1.0);
            const double top = src[y0 * sw + x0] * (1 - wx) + src[y0 * sw + x1] * wx;
            const double bot = src[y1 * sw + x0] * (1 - wx) + src[y1 * sw + x1] * wx;
            dst[(size_t)y * dw + x] = (float)(top * (1 - wy) + bot * wy);
        }
    }
    return HV_OK;
}

void hv_cam_blend(const uint8_t *img, const uint8_t *heat, size_t n_pixels, uint8_t *out) {
    if (!img || !heat || !out) return;
    for (size_t i = 0; i < n_pixels * 3; ++i) out[i] = (uint8_t)(0.5 * img[i] + 0.5 * heat[i]);
}
