/* IoU of one detection and one ground-truth region, exactly as pycocotools' maskApi.c computes it
 * (bbIou, rleToBbox, rleIou), because AP moves when an IoU lands on the other side of a threshold.
 * The arithmetic types follow maskApi.c: doubles for boxes, 32-bit unsigned counters for masks. */
#include <math.h>

#include "eval/metrics_internal.h"

double hvm_box_iou(const double *d, const double *g, int crowd) {
    const double w = fmin(d[2] + d[0], g[2] + g[0]) - fmax(d[0], g[0]);
    if (w <= 0) return 0;
    const double h = fmin(d[3] + d[1], g[3] + g[1]) - fmax(d[1], g[1]);
    if (h <= 0) return 0;
    const double i = w * h, da = d[2] * d[3], ga = g[2] * g[3];
    const double u = crowd ? da : da + ga - i;
    return i / u;
}

void hvm_rle_box(const hv_rle *r, double bb[4]) {
    const uint32_t h = r->h, w = r->w;
    const size_t m = (r->n / 2) * 2; /* a trailing run of zeros does not move the box */
    if (m == 0) {
        bb[0] = bb[1] = bb[2] = bb[3] = 0;
        return;
    }
    uint32_t xs = w, ys = h, xe = 0, ye = 0, cc = 0, xp = 0;
    for (size_t j = 0; j < m; ++j) {
        cc += r->counts[j];
        const uint32_t t = cc - (uint32_t)(j % 2); /* first pixel of a run of ones, or the last one */
        const uint32_t y = t % h, x = (t - y) / h;
        if (j % 2 == 0)
            xp = x;
        else if (xp < x) { /* the run wraps into the next column: maskApi.c takes the full height */
            ys = 0;
            ye = h - 1;
        }
        if (x < xs) xs = x;
        if (x > xe) xe = x;
        if (y < ys) ys = y;
        if (y > ye) ye = y;
    }
    bb[0] = xs;
    bb[2] = (double)(xe - xs + 1);
    bb[1] = ys;
    bb[3] = (double)(ye - ys + 1);
}

double hvm_rle_iou(const hv_rle *dt, const hv_rle *gt, const double *dbb, const double *gbb, int crowd) {
    /* maskApi.c computes the box IoU first and merges the runs only where it is > 0: besides saving time
     * this decides when differently sized masks give −1 (only when their boxes overlap). */
    if (!(hvm_box_iou(dbb, gbb, crowd) > 0)) return 0;
    if (dt->h != gt->h || dt->w != gt->w) return -1;
    uint32_t ca = dt->counts[0], cb = gt->counts[0], i = 0, u = 0, ct = 1;
    const size_t ka = dt->n, kb = gt->n;
    size_t a = 1, b = 1;
    int va = 0, vb = 0;
    while (ct > 0) {
        const uint32_t c = ca < cb ? ca : cb;
        if (va || vb) {
            u += c;
            if (va && vb) i += c;
        }
        ct = 0;
        ca -= c;
        if (!ca && a < ka) {
            ca = dt->counts[a++];
            va = !va;
        }
        ct += ca;
        cb -= c;
        if (!cb && b < kb) {
            cb = gt->counts[b++];
            vb = !vb;
        }
        ct += cb;
    }
    if (i == 0)
        u = 1;
    else if (crowd)
        u = (uint32_t)hv_rle_area(dt);
    return (double)i / (double)u;
}

hv_status hvm_rle_check(const hv_rle *r, const char *what) {
    if (r->n == 0 || !r->counts) return hv_error(HV_ERR_INVALID_ARGUMENT, "%s has no mask (segm evaluation needs one)", what);
    if (r->h == 0 || r->w == 0)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: mask has size %ux%u (zero)", what, r->h, r->w);
    const uint64_t total = (uint64_t)r->h * r->w;
    if (total > UINT32_MAX)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: mask %ux%u is too large for 32-bit runs", what, r->h, r->w);
    uint64_t sum = 0;
    for (size_t i = 0; i < r->n; ++i) sum += r->counts[i];
    if (sum != total)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: mask runs sum to %llu, a %ux%u mask has %llu pixels", what,
                        (unsigned long long)sum, r->h, r->w, (unsigned long long)total);
    return HV_OK;
}
