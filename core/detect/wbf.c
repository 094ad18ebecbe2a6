/* Weighted boxes fusion (ZFTurbo ensemble_boxes_wbf.py, conf_type 'avg', MODEL_SPEC §7.4), ported with the
 * original's mix of float64 rows and float32 fused boxes so that outputs agree with the Python package. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/detect.h"

void hv_wbf_params_default(hv_wbf_params *p, float img_w, float img_h) {
    if (!p) return;
    memset(p, 0, sizeof *p);
    p->iou_thr = 0.55;
    p->skip_box_thr = 0.0;
    p->img_w = img_w;
    p->img_h = img_h;
}

typedef struct wrow {  /* [label, score·weight, weight, model, x1, y1, x2, y2] */
    int32_t label;
    double score, weight;
    int model;
    double c[4];
    size_t index;      /* in the concatenated input */
} wrow;

static double iou_d(const double *a, const double *b) {
    const double xA = fmax(a[0], b[0]), yA = fmax(a[1], b[1]), xB = fmin(a[2], b[2]), yB = fmin(a[3], b[3]);
    const double inter = fmax(xB - xA, 0.0) * fmax(yB - yA, 0.0);
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

/* Stable descending order; with reverse_ties, equal keys keep DESCENDING index order (numpy's
 * argsort()[::-1] of a stable ascending sort). Insertion sort: lists are per-image detections. */
static void sort_desc(size_t *idx, size_t n, const double *key, int reverse_ties) {
    for (size_t i = 0; i < n; ++i) idx[i] = reverse_ties ? n - 1 - i : i;
    for (size_t i = 1; i < n; ++i) {
        size_t v = idx[i], j = i;
        while (j > 0 && key[idx[j - 1]] < key[v]) {
            idx[j] = idx[j - 1];
            --j;
        }
        idx[j] = v;
    }
}

/* get_weighted_box: float32 accumulators and result, float64 conf */
static void fuse(const wrow *R, const size_t *members, size_t s, double *fused /* score, c[4] */) {
    float box[4] = {0, 0, 0, 0};
    double conf = 0;
    for (size_t i = 0; i < s; ++i) {
        const wrow *b = &R[members[i]];
        for (int k = 0; k < 4; ++k) box[k] = (float)((double)box[k] + b->score * b->c[k]);
        conf += b->score;
    }
    fused[0] = (double)(float)(conf / (double)s);
    for (int k = 0; k < 4; ++k) fused[1 + k] = (double)(box[k] / (float)conf);
}

hv_status hv_wbf(const hv_det *const *dets, const size_t *counts, int n_models, const hv_wbf_params *p, hv_det *out,
                 size_t *n_out) {
    if (!dets || !counts || !p || !n_out) return hv_error(HV_ERR_INVALID_ARGUMENT, "WBF: NULL argument");
    *n_out = 0;
    if (n_models < 1) return hv_error(HV_ERR_INVALID_ARGUMENT, "WBF: %d models (need ≥ 1)", n_models);
    if (!(p->img_w > 0) || !(p->img_h > 0))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "WBF: image size %gx%g must be > 0 (set img_w/img_h)", (double)p->img_w,
                        (double)p->img_h);
    if (!(p->iou_thr >= 0 && p->iou_thr <= 1)) return hv_error(HV_ERR_INVALID_ARGUMENT, "WBF: iou_thr %g not in [0, 1]", p->iou_thr);
    double wsum = 0;
    for (int m = 0; m < n_models; ++m) {
        const double w = p->weights ? p->weights[m] : 1.0;
        if (!(w > 0) || !isfinite(w)) return hv_error(HV_ERR_INVALID_ARGUMENT, "WBF: weight of model %d is %g (need > 0)", m, w);
        if (counts[m] && !dets[m]) return hv_error(HV_ERR_INVALID_ARGUMENT, "WBF: model %d has %zu boxes but no array", m, counts[m]);
        wsum += w;
    }
    size_t n = 0;
    for (int m = 0; m < n_models; ++m) n += counts[m];
    if (n == 0) return HV_OK;
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "WBF: NULL output array");
    wrow *R = malloc(n * sizeof *R);
    size_t *idx = malloc(n * sizeof *idx), *members = malloc(n * sizeof *members), *cl_of = malloc(n * sizeof *cl_of);
    size_t *cl_start = malloc(n * sizeof *cl_start), *cl_size = malloc(n * sizeof *cl_size);
    double *key = malloc(n * sizeof *key), *fz = malloc(n * 5 * sizeof *fz), *osc = calloc(n, sizeof *osc);
    int32_t *labels = malloc(n * sizeof *labels);
    hv_det *tmp_out = malloc(n * sizeof *tmp_out);
    if (!R || !idx || !members || !cl_of || !cl_start || !cl_size || !key || !fz || !osc || !labels || !tmp_out) {
        free(R); free(idx); free(members); free(cl_of); free(cl_start); free(cl_size); free(key); free(fz); free(osc);
        free(labels); free(tmp_out);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "WBF: out of memory for %zu boxes", n);
    }
    /* prefilter_boxes */
    size_t nr = 0, nl = 0, gi = 0;
    for (int m = 0; m < n_models; ++m) {
        const double w = p->weights ? p->weights[m] : 1.0;
        for (size_t j = 0; j < counts[m]; ++j, ++gi) {
            const hv_det *d = &dets[m][j];
            if ((double)d->score < p->skip_box_thr) continue;
            double x1 = d->box.x1 / (double)p->img_w, y1 = d->box.y1 / (double)p->img_h;
            double x2 = d->box.x2 / (double)p->img_w, y2 = d->box.y2 / (double)p->img_h;
            if (x2 < x1) { double t = x1; x1 = x2; x2 = t; }
            if (y2 < y1) { double t = y1; y1 = y2; y2 = t; }
            x1 = fmin(fmax(x1, 0), 1); x2 = fmin(fmax(x2, 0), 1);
            y1 = fmin(fmax(y1, 0), 1); y2 = fmin(fmax(y2, 0), 1);
            if ((x2 - x1) * (y2 - y1) == 0.0) continue;
            R[nr] = (wrow){d->label, (double)d->score * w, w, m, {x1, y1, x2, y2}, gi};
            size_t l = 0;
            while (l < nl && labels[l] != d->label) ++l;
            if (l == nl) labels[nl++] = d->label;
            ++nr;
        }
    }
    size_t no = 0;
    for (size_t l = 0; l < nl; ++l) {
        /* this label's rows sorted by weighted score, numpy argsort()[::-1] */
        size_t nb = 0;
        for (size_t i = 0; i < nr; ++i)
            if (R[i].label == labels[l]) members[nb++] = i;
        for (size_t i = 0; i < nb; ++i) key[i] = R[members[i]].score;
        sort_desc(idx, nb, key, 1);
        size_t *order = cl_of; /* reuse: order[i] = row */
        for (size_t i = 0; i < nb; ++i) order[i] = members[idx[i]];
        /* clusters: member lists stored contiguously per cluster is awkward with appends; keep a per-row
         * cluster id and rebuild member lists on each fuse (n is small: per-image detections) */
        size_t ncl = 0;
        size_t *row_cl = cl_start; /* row_cl[i] = cluster of order[i] */
        for (size_t i = 0; i < nb; ++i) {
            const wrow *b = &R[order[i]];
            long best = -1;
            double best_iou = -2;
            for (size_t c = 0; c < ncl; ++c) {
                const double iou = iou_d(&fz[c * 5 + 1], b->c);
                if (iou > best_iou) { best_iou = iou; best = (long)c; } /* argmax: first maximum */
            }
            if (best >= 0 && !(best_iou > p->iou_thr)) best = -1;
            if (best >= 0) {
                row_cl[i] = (size_t)best;
                cl_size[best]++;
                size_t s = 0;
                for (size_t q = 0; q <= i; ++q)
                    if (row_cl[q] == (size_t)best) members[s++] = order[q];
                fuse(R, members, s, &fz[(size_t)best * 5]);
            } else {
                row_cl[i] = ncl;
                cl_size[ncl] = 1;
                fz[ncl * 5] = b->score;
                for (int k = 0; k < 4; ++k) fz[ncl * 5 + 1 + k] = b->c[k];
                idx[ncl] = b->index; /* src: first member */
                ++ncl;
            }
        }
        for (size_t c = 0; c < ncl; ++c) {
            const double mult = p->allows_overflow ? (double)cl_size[c]
                                                   : (double)((size_t)n_models < cl_size[c] ? (size_t)n_models : cl_size[c]);
            osc[no] = fz[c * 5] * mult / wsum;
            const double *f = &fz[c * 5 + 1];
            tmp_out[no] = (hv_det){{(float)(f[0] * p->img_w), (float)(f[1] * p->img_h), (float)(f[2] * p->img_w),
                                    (float)(f[3] * p->img_h)},
                                   (float)osc[no], labels[l], (int32_t)idx[c]};
            ++no;
        }
    }
    sort_desc(idx, no, osc, 1);
    for (size_t i = 0; i < no; ++i) out[i] = tmp_out[idx[i]];
    *n_out = no;
    free(R); free(idx); free(members); free(cl_of); free(cl_start); free(cl_size); free(key); free(fz); free(osc);
    free(labels); free(tmp_out);
    return HV_OK;
}
