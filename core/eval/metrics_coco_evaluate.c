/* COCOeval.evaluate: every (category, image) cell is scored once — score order, maxDets cut, IoU
 * matrix — and matched for every area range and IoU threshold. What accumulate needs is kept per
 * detection as one byte per (area range, threshold); the per-frame view is filled on the way. */
#include <stdlib.h>
#include <string.h>

#include "eval/metrics_internal.h"

void hvm_evaluated_free(hvm_evaluated *ev) {
    if (!ev) return;
    free(ev->cat_off);
    free(ev->score);
    free(ev->rank);
    free(ev->state);
    free(ev->npig);
    memset(ev, 0, sizeof *ev);
}

/* Scratch for one cell, sized for the largest cell. */
typedef struct scratch {
    size_t *didx, *tmp, *order;
    double *iou, *dbb, *gbb, *darea;
    uint8_t *ignore, *crowd, *taken;
    int32_t *match;
} scratch;

static void scratch_free(scratch *s) {
    free(s->didx), free(s->tmp), free(s->order), free(s->iou), free(s->dbb), free(s->gbb), free(s->darea);
    free(s->ignore), free(s->crowd), free(s->taken), free(s->match);
}

static int scratch_alloc(scratch *s, size_t max_dall, size_t max_d, size_t max_g) {
    memset(s, 0, sizeof *s);
    max_dall += !max_dall, max_d += !max_d, max_g += !max_g;
    s->didx = malloc(max_dall * sizeof *s->didx);
    s->tmp = malloc(max_dall * sizeof *s->tmp);
    s->order = malloc(max_g * sizeof *s->order);
    s->iou = malloc(max_d * max_g * sizeof *s->iou);
    s->dbb = malloc(max_d * 4 * sizeof *s->dbb);
    s->gbb = malloc(max_g * 4 * sizeof *s->gbb);
    s->darea = malloc(max_d * sizeof *s->darea);
    s->ignore = malloc(max_g);
    s->crowd = malloc(max_g);
    s->taken = malloc(max_g);
    s->match = malloc(max_d * sizeof *s->match);
    return s->didx && s->tmp && s->order && s->iou && s->dbb && s->gbb && s->darea && s->ignore && s->crowd &&
           s->taken && s->match;
}

/* evaluateImg's `gtind = argsort(ignore, kind='mergesort')`: the non-ignored instances first, each group
 * in input order. */
static void order_by_ignore(const uint8_t *ignore, size_t G, size_t *order) {
    size_t n = 0;
    for (size_t g = 0; g < G; ++g)
        if (!ignore[g]) order[n++] = g;
    for (size_t g = 0; g < G; ++g)
        if (ignore[g]) order[n++] = g;
}

hv_status hvm_evaluate(const hv_eval_gt *gt, const hv_eval_results *res, hv_coco_iou_type iou_type,
                       const hvm_cells *cells, hv_coco_eval_result *r, hvm_evaluated *ev) {
    const hv_coco_params *p = &r->params;
    const size_t T = r->T, A = r->A, K = cells->K, I = cells->I;
    const uint32_t max_last = p->max_dets[r->M - 1];
    memset(ev, 0, sizeof *ev);
    size_t n = 0, max_dall = 0, max_d = 0, max_g = 0;
    for (size_t c = 0; c < cells->C; ++c) {
        const size_t dall = cells->dt_off[c + 1] - cells->dt_off[c], g = cells->gt_off[c + 1] - cells->gt_off[c];
        const size_t d = dall < max_last ? dall : max_last;
        n += d;
        if (dall > max_dall) max_dall = dall;
        if (d > max_d) max_d = d;
        if (g > max_g) max_g = g;
    }
    ev->n = n;
    ev->cat_off = malloc((K + 1) * sizeof *ev->cat_off);
    ev->score = malloc((n ? n : 1) * sizeof *ev->score);
    ev->rank = malloc((n ? n : 1) * sizeof *ev->rank);
    const size_t n_state = A * T * n;
    ev->state = malloc(n_state ? n_state : 1);
    ev->npig = calloc(K * A + 1, sizeof *ev->npig);
    double *dscore = malloc((res->n_dets ? res->n_dets : 1) * sizeof *dscore);
    scratch s;
    const int ok = scratch_alloc(&s, max_dall, max_d, max_g);
    if (!ok || !ev->cat_off || !ev->score || !ev->rank || !ev->state || !ev->npig || !dscore) {
        scratch_free(&s);
        free(dscore);
        hvm_evaluated_free(ev);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "COCO evaluate: out of memory for %zu detections", n);
    }
    for (size_t j = 0; j < res->n_dets; ++j) dscore[j] = res->dets[j].score;

    size_t pos = 0;
    for (size_t k = 0; k < K; ++k) {
        ev->cat_off[k] = pos;
        for (size_t i = 0; i < I; ++i) {
            const size_t c = k * I + i;
            const size_t G = cells->gt_off[c + 1] - cells->gt_off[c], dall = cells->dt_off[c + 1] - cells->dt_off[c];
            const size_t *gidx = cells->gt_idx + cells->gt_off[c];
            hv_coco_frame *f = &r->frames[cells->img_of_rank[i]];
            f->n_dets += (uint32_t)dall;
            for (size_t g = 0; g < G; ++g) {
                s.crowd[g] = gt->anns[gidx[g]].iscrowd != 0;
                if (s.crowd[g])
                    ++f->n_crowd;
                else
                    ++f->n_gt;
                r->gt_det[gidx[g]] = -1;
            }
            if (dall == 0 && G == 0) continue; /* evaluateImg returns None */
            /* computeIoU / evaluateImg: score order (stable), cut to the largest maxDets */
            memcpy(s.didx, cells->dt_idx + cells->dt_off[c], dall * sizeof *s.didx);
            hvm_sort_desc_stable(s.didx, dall, dscore, s.tmp);
            const size_t D = dall < max_last ? dall : max_last;
            for (size_t d = 0; d < D; ++d) {
                const hv_eval_det *dt = &res->dets[s.didx[d]];
                s.darea[d] = p->det_area == HV_COCO_DET_AREA_MASK ? (double)hv_rle_area(&dt->segm) : dt->bbox[2] * dt->bbox[3];
                if (iou_type == HV_COCO_SEGM) hvm_rle_box(&dt->segm, s.dbb + 4 * d);
            }
            if (iou_type == HV_COCO_SEGM)
                for (size_t g = 0; g < G; ++g) hvm_rle_box(&gt->anns[gidx[g]].segm, s.gbb + 4 * g);
            for (size_t d = 0; d < D; ++d)
                for (size_t g = 0; g < G; ++g) {
                    const hv_eval_det *dt = &res->dets[s.didx[d]];
                    const hv_eval_ann *an = &gt->anns[gidx[g]];
                    s.iou[d * G + g] = iou_type == HV_COCO_SEGM
                                           ? hvm_rle_iou(&dt->segm, &an->segm, s.dbb + 4 * d, s.gbb + 4 * g, s.crowd[g])
                                           : hvm_box_iou(dt->bbox, an->bbox, s.crowd[g]);
                }
            for (size_t a = 0; a < A; ++a) {
                const double lo = p->area_rng[a][0], hi = p->area_rng[a][1];
                for (size_t g = 0; g < G; ++g) {
                    const double ar = gt->anns[gidx[g]].area;
                    s.ignore[g] = s.crowd[g] || ar < lo || ar > hi;
                    ev->npig[k * A + a] += !s.ignore[g];
                }
                order_by_ignore(s.ignore, G, s.order);
                for (size_t t = 0; t < T; ++t) {
                    hvm_match(s.iou, G, D, G, s.order, s.ignore, s.crowd, p->iou_thrs[t], s.taken, s.match);
                    uint8_t *st = ev->state + (a * T + t) * n + pos;
                    for (size_t d = 0; d < D; ++d) {
                        const int32_t m = s.match[d];
                        /* dtMatches holds the annotation id and is tested for truth: id 0 reads as no match */
                        const int matched = m >= 0 && gt->anns[gidx[m]].id != 0;
                        int ignored = m >= 0 && s.ignore[m];
                        if (!matched && (s.darea[d] < lo || s.darea[d] > hi)) ignored = 1;
                        st[d] = ignored ? HVM_IGNORED : matched ? HVM_TP : HVM_FP;
                    }
                }
            }
            /* the per-frame view: one more matching, no area range */
            for (size_t g = 0; g < G; ++g) s.ignore[g] = s.crowd[g];
            order_by_ignore(s.ignore, G, s.order);
            hvm_match(s.iou, G, D, G, s.order, s.ignore, s.crowd, p->frame_iou_thr, s.taken, s.match);
            for (size_t d = 0; d < D; ++d) {
                const size_t j = s.didx[d];
                ev->score[pos + d] = dscore[j];
                ev->rank[pos + d] = (uint32_t)d;
                double best = 0;
                for (size_t g = 0; g < G; ++g)
                    if (s.iou[d * G + g] > best) best = s.iou[d * G + g];
                if (G > 0 && best > f->best_iou) f->best_iou = best;
                const int32_t m = s.match[d];
                if (m >= 0) {
                    r->det_gt[j] = (int64_t)gidx[m];
                    r->det_iou[j] = s.iou[d * G + m];
                    if (r->gt_det[gidx[m]] == -1) {
                        r->gt_det[gidx[m]] = (int64_t)j;
                        if (!s.crowd[m]) ++f->n_matched;
                    }
                } else {
                    r->det_gt[j] = -1;
                    r->det_iou[j] = best;
                    if (dscore[j] >= p->frame_score_thr) ++f->n_false;
                }
            }
            pos += D;
        }
    }
    ev->cat_off[K] = pos;
    for (size_t i = 0; i < gt->n_images; ++i) r->frames[i].n_missed = r->frames[i].n_gt - r->frames[i].n_matched;
    scratch_free(&s);
    free(dscore);
    return HV_OK;
}
