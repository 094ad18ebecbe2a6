/* Affirmative / consensus / unanimous box ensembles of Casado-García & Heras (MODEL_SPEC §7): the paper
 * mode follows ancasag Ensemble/ensemble.py step by step (§7.2); the clean mode fixes its oddities
 * (rounding, +1 IoU, unbounded sum/M scores, input-order seeds). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/det_sort.h"
#include "detect/pyfloat.h"
#include "hemovk/detect.h"

void hv_ensemble_params_default(hv_ensemble_params *p) {
    if (!p) return;
    memset(p, 0, sizeof *p);
    p->vote = HV_VOTE_AFFIRMATIVE;
    p->iou_thr = 0.5;
    p->paper_compatible = false;
    p->truncate_coords = false;
    p->clean_box = HV_FUSE_WEIGHTED_AVG;
}

/* ancasag bb_intersection_over_union: VOC +1 on float coordinates, in double */
static double iou_plus1(const hv_box *a, const hv_box *b) {
    const double xA = fmax(a->x1, b->x1), yA = fmax(a->y1, b->y1), xB = fmin(a->x2, b->x2), yB = fmin(a->y2, b->y2);
    const double inter = fmax(0.0, xB - xA + 1) * fmax(0.0, yB - yA + 1);
    const double aa = ((double)a->x2 - a->x1 + 1) * ((double)a->y2 - a->y1 + 1);
    const double ab = ((double)b->x2 - b->x1 + 1) * ((double)b->y2 - b->y1 + 1);
    return inter / (aa + ab - inter);
}

typedef struct ens_box {
    hv_det d;
    int model;
    size_t index;  /* in the concatenation */
    double score;  /* rounded (paper) or raw */
} ens_box;

static bool keep_cluster(hv_vote vote, size_t votes, int M) {
    switch (vote) {
    case HV_VOTE_AFFIRMATIVE: return true;
    case HV_VOTE_CONSENSUS: return votes >= (size_t)((M + 1) / 2);
    case HV_VOTE_UNANIMOUS: return votes == (size_t)M;
    }
    return false;
}

/* Paper output of one cluster C (members in cluster order). */
static hv_det paper_output(const ens_box *B, const size_t *C, size_t s, int M, bool truncate, double *score64) {
    size_t pick = C[0];
    double sum = 0;
    for (size_t i = 0; i < s; ++i) {
        sum = sum + B[C[i]].score; /* probFinal = probFinal + l, cluster order */
        if (B[C[i]].d.box.y2 >= B[pick].d.box.y2) pick = C[i]; /* max y2, ties → last */
    }
    hv_det o = B[pick].d;
    *score64 = sum / M;
    o.score = (float)*score64;
    o.src = (int32_t)B[pick].index;
    if (truncate) {
        o.box.x1 = (float)hv_py_repr_truncate2(o.box.x1);
        o.box.y1 = (float)hv_py_repr_truncate2(o.box.y1);
        o.box.x2 = (float)hv_py_repr_truncate2(o.box.x2);
        o.box.y2 = (float)hv_py_repr_truncate2(o.box.y2);
    }
    return o;
}

/* Clean output: per-model best score summed / M; box per rule; votes = distinct models. */
static hv_det clean_output(const ens_box *B, const size_t *C, size_t s, int M, hv_fuse_box rule, double *best,
                           size_t *votes) {
    for (int m = 0; m < M; ++m) best[m] = -1;
    size_t top = C[0];
    double wsum = 0, bx[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < s; ++i) {
        const ens_box *b = &B[C[i]];
        if (b->score > best[b->model]) best[b->model] = b->score;
        if (b->score > B[top].score) top = C[i];
        const double w = b->score > 0 ? b->score : 0;
        wsum += w;
        bx[0] += w * b->d.box.x1; bx[1] += w * b->d.box.y1; bx[2] += w * b->d.box.x2; bx[3] += w * b->d.box.y2;
    }
    double sc = 0;
    *votes = 0;
    for (int m = 0; m < M; ++m)
        if (best[m] >= 0) {
            sc += best[m];
            ++*votes;
        }
    hv_det o = B[top].d;
    o.src = (int32_t)B[C[0]].index;
    o.score = (float)fmin(1.0, fmax(0.0, sc / M));
    if (rule == HV_FUSE_WEIGHTED_AVG && wsum > 0)
        o.box = (hv_box){(float)(bx[0] / wsum), (float)(bx[1] / wsum), (float)(bx[2] / wsum), (float)(bx[3] / wsum)};
    return o;
}

hv_status hv_ensemble_fuse(const hv_det *const *dets, const size_t *counts, int n_models,
                           const hv_ensemble_params *p, hv_det *out, double *scores64, size_t *n_out) {
    if (!dets || !counts || !p || !n_out) return hv_error(HV_ERR_INVALID_ARGUMENT, "ensemble: NULL argument");
    *n_out = 0;
    if (n_models < 1) return hv_error(HV_ERR_INVALID_ARGUMENT, "ensemble: %d models (need ≥ 1)", n_models);
    if (!(p->iou_thr >= 0 && p->iou_thr <= 1))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "ensemble: iou_thr %g must be in [0, 1]", p->iou_thr);
    if (p->vote > HV_VOTE_UNANIMOUS) return hv_error(HV_ERR_INVALID_ARGUMENT, "ensemble: unknown vote %d", (int)p->vote);
    size_t n = 0;
    for (int m = 0; m < n_models; ++m) {
        if (counts[m] && !dets[m]) return hv_error(HV_ERR_INVALID_ARGUMENT, "ensemble: model %d has %zu boxes but no array", m, counts[m]);
        n += counts[m];
    }
    if (n == 0) return HV_OK;
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "ensemble: NULL output array");
    ens_box *B = malloc(n * sizeof *B);
    size_t *order = malloc(n * sizeof *order), *tmp = malloc(n * sizeof *tmp), *C = malloc(n * sizeof *C);
    float *key = malloc(n * sizeof *key);
    unsigned char *used = calloc(n, 1);
    double *best = malloc((size_t)n_models * sizeof *best);
    if (!B || !order || !tmp || !C || !key || !used || !best) {
        free(B); free(order); free(tmp); free(C); free(key); free(used); free(best);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "ensemble: out of memory for %zu boxes", n);
    }
    size_t k = 0;
    for (int m = 0; m < n_models; ++m)
        for (size_t i = 0; i < counts[m]; ++i, ++k) {
            B[k] = (ens_box){dets[m][i], m, k, p->paper_compatible ? hv_round2_py(dets[m][i].score) : dets[m][i].score};
            order[k] = k;
            key[k] = dets[m][i].score;
        }
    if (!p->paper_compatible) hv_det_sort_desc(order, n, key, tmp);
    size_t no = 0;
    for (size_t a = 0; a < n; ++a) {
        const size_t seed = order[a];
        if (used[seed]) continue;
        used[seed] = 1;
        size_t s = 0;
        C[s++] = seed;
        for (size_t b = a + 1; b < n; ++b) {
            const size_t j = order[b];
            if (used[j] || B[j].d.label != B[seed].d.label) continue;
            const double iou = p->paper_compatible ? iou_plus1(&B[seed].d.box, &B[j].d.box)
                                                   : hv_box_iou(&B[seed].d.box, &B[j].d.box);
            if (iou > p->iou_thr) {
                used[j] = 1;
                C[s++] = j;
            }
        }
        if (p->paper_compatible) {
            double s64 = 0;
            hv_det o = paper_output(B, C, s, n_models, p->truncate_coords, &s64);
            if (keep_cluster(p->vote, s, n_models)) {
                if (scores64) scores64[no] = s64;
                out[no++] = o;
            }
        } else {
            size_t votes = 0;
            hv_det o = clean_output(B, C, s, n_models, p->clean_box, best, &votes);
            if (keep_cluster(p->vote, votes, n_models)) {
                if (scores64) scores64[no] = o.score;
                out[no++] = o;
            }
        }
    }
    *n_out = no;
    free(B); free(order); free(tmp); free(C); free(key); free(used); free(best);
    return HV_OK;
}
