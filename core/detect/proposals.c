/* RPN proposal post-processing (mmdet 2.x RPNHead._get_bboxes_single + _bbox_post_process, MODEL_SPEC
 * §5.5) and multiclass_nms (§5.9). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/det_sort.h"
#include "hemovk/detect.h"

void hv_rpn_params_default(hv_rpn_params *p, float img_h, float img_w) {
    if (!p) return;
    memset(p, 0, sizeof *p);
    p->nms_pre = 1000;
    p->max_per_img = 1000;
    p->iou_thr = 0.01f;
    p->min_bbox_size = 0.0f;
    p->img_h = img_h;
    p->img_w = img_w;
    p->anchor_scale = 8.0f;
    p->n_ratios = 3;
    p->ratios[0] = 0.5f;
    p->ratios[1] = 1.0f;
    p->ratios[2] = 2.0f;
}

typedef struct cand {
    hv_box *boxes;
    float *scores;
    int32_t *level;
    int32_t *anchor;
} cand;

static void cand_free(cand *c) {
    free(c->boxes); free(c->scores); free(c->level); free(c->anchor);
}

/* The scales in use: scales[0..n_scales) or, with n_scales 0, the one anchor_scale. */
static int scales_of(const hv_rpn_params *p, const float **scales) {
    *scales = p->n_scales > 0 ? p->scales : &p->anchor_scale;
    return p->n_scales > 0 ? p->n_scales : 1;
}

/* Top-k of one level into the candidate arrays at offset *m. */
static hv_status level_candidates(const hv_rpn_level *L, int li, const hv_rpn_params *p, const hv_box *base, cand *c,
                                  size_t *m) {
    const float *scales;
    const int A = p->n_ratios * scales_of(p, &scales);
    const size_t n = (size_t)L->h * (size_t)L->w * (size_t)A;
    float *s = malloc(n * sizeof *s);
    size_t *idx = malloc(n * sizeof *idx), *tmp = malloc(n * sizeof *tmp);
    if (!s || !idx || !tmp) {
        free(s); free(idx); free(tmp);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "RPN proposals: out of memory for level %d (%zu anchors)", li, n);
    }
    for (size_t i = 0; i < n; ++i) {
        s[i] = 1.0f / (1.0f + expf(-L->cls[i]));
        idx[i] = i;
    }
    size_t k = n;
    if (p->nms_pre > 0 && (size_t)p->nms_pre < n) {
        hv_det_sort_desc(idx, n, s, tmp);
        k = (size_t)p->nms_pre;
    }
    const hv_delta_coder coder = {.means = {0, 0, 0, 0}, .stds = {1, 1, 1, 1}, .img_h = p->img_h, .img_w = p->img_w};
    for (size_t j = 0; j < k; ++j) {
        const size_t i = idx[j];
        const size_t cell = i / (size_t)A;
        const int a = (int)(i % (size_t)A), y = (int)(cell / (size_t)L->w), x = (int)(cell % (size_t)L->w);
        const float sx = (float)x * L->stride, sy = (float)y * L->stride;
        const hv_box anchor = {base[a].x1 + sx, base[a].y1 + sy, base[a].x2 + sx, base[a].y2 + sy};
        hv_box b;
        hv_delta_decode(&coder, &anchor, L->reg + i * 4, 1, &b);
        c->boxes[*m] = b;
        c->scores[*m] = s[i];
        c->level[*m] = li;
        c->anchor[*m] = (int32_t)i;
        ++*m;
    }
    free(s); free(idx); free(tmp);
    return HV_OK;
}

hv_status hv_rpn_proposals(const hv_rpn_level *levels, int n_levels, const hv_rpn_params *p, hv_det *out,
                           size_t *n_out) {
    if (!levels || !p || !out || !n_out) return hv_error(HV_ERR_INVALID_ARGUMENT, "RPN proposals: NULL argument");
    *n_out = 0;
    if (n_levels < 1 || n_levels > 16)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "RPN proposals: %d levels (1..16 supported)", n_levels);
    if (p->n_ratios < 1 || p->n_ratios > HV_RPN_MAX_RATIOS || p->n_scales < 0 || p->n_scales > HV_RPN_MAX_SCALES ||
        p->max_per_img < 1 || !(p->img_h > 0) || !(p->img_w > 0))
        return hv_error(HV_ERR_INVALID_ARGUMENT,
                        "RPN proposals: n_ratios %d (1..%d), n_scales %d (0..%d), max_per_img %d (≥ 1), img_shape %gx%g "
                        "(> 0) out of range",
                        p->n_ratios, HV_RPN_MAX_RATIOS, p->n_scales, HV_RPN_MAX_SCALES, p->max_per_img, (double)p->img_h,
                        (double)p->img_w);
    const float *scales;
    const int n_scales = scales_of(p, &scales), A = p->n_ratios * n_scales;
    size_t total = 0;
    for (int l = 0; l < n_levels; ++l) {
        const hv_rpn_level *L = &levels[l];
        if (L->h < 0 || L->w < 0 || !(L->stride > 0) || ((size_t)L->h * (size_t)L->w > 0 && (!L->cls || !L->reg)))
            return hv_error(HV_ERR_INVALID_ARGUMENT, "RPN proposals: level %d: %dx%d stride %g, cls %p reg %p invalid", l,
                            L->h, L->w, (double)L->stride, (const void *)L->cls, (const void *)L->reg);
        size_t n = (size_t)L->h * L->w * (size_t)A;
        total += (p->nms_pre > 0 && (size_t)p->nms_pre < n) ? (size_t)p->nms_pre : n;
    }
    if (total == 0) return HV_OK;
    cand c = {malloc(total * sizeof *c.boxes), malloc(total * sizeof *c.scores), malloc(total * sizeof *c.level),
              malloc(total * sizeof *c.anchor)};
    size_t *keep = malloc(total * sizeof *keep);
    if (!c.boxes || !c.scores || !c.level || !c.anchor || !keep) {
        cand_free(&c); free(keep);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "RPN proposals: out of memory for %zu candidates", total);
    }
    hv_status st = HV_OK;
    size_t m = 0;
    for (int l = 0; l < n_levels && !st; ++l) {
        hv_box base[HV_RPN_MAX_RATIOS * HV_RPN_MAX_SCALES];
        st = hv_anchors_base(levels[l].stride, scales, n_scales, p->ratios, p->n_ratios, base);
        if (!st) st = level_candidates(&levels[l], l, p, base, &c, &m);
    }
    /* min_bbox_size: keep w > min and h > min (strict), compacting in order */
    size_t v = 0;
    for (size_t i = 0; i < m && !st; ++i) {
        const hv_box b = c.boxes[i];
        if (b.x2 - b.x1 > p->min_bbox_size && b.y2 - b.y1 > p->min_bbox_size) {
            c.boxes[v] = b; c.scores[v] = c.scores[i]; c.level[v] = c.level[i]; c.anchor[v] = c.anchor[i];
            ++v;
        }
    }
    size_t nk = 0;
    if (!st) st = hv_det_nms_first(c.boxes, c.scores, c.level, v, p->iou_thr, (size_t)p->max_per_img, keep, &nk);
    if (!st) {
        if (nk > (size_t)p->max_per_img) nk = (size_t)p->max_per_img;
        for (size_t i = 0; i < nk; ++i)
            out[i] = (hv_det){c.boxes[keep[i]], c.scores[keep[i]], c.level[keep[i]], c.anchor[keep[i]]};
        *n_out = nk;
    }
    cand_free(&c); free(keep);
    return st;
}

hv_status hv_multiclass_nms(const hv_box *boxes, bool per_class_boxes, const float *scores, size_t n,
                            int num_classes, float score_thr, float iou_thr, int max_per_img, hv_det *out,
                            size_t *n_out) {
    if (!n_out || (n && (!boxes || !scores || !out)))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "multiclass_nms: NULL argument");
    *n_out = 0;
    if (num_classes < 1) return hv_error(HV_ERR_INVALID_ARGUMENT, "multiclass_nms: num_classes %d must be ≥ 1", num_classes);
    const size_t nc = (size_t)num_classes, total = n * nc;
    if (total == 0) return HV_OK;
    hv_box *cb = malloc(total * sizeof *cb);
    float *cs = malloc(total * sizeof *cs);
    int32_t *cl = malloc(total * sizeof *cl), *row = malloc(total * sizeof *row);
    size_t *keep = malloc(total * sizeof *keep);
    if (!cb || !cs || !cl || !row || !keep) {
        free(cb); free(cs); free(cl); free(row); free(keep);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "multiclass_nms: out of memory for %zu candidates", total);
    }
    size_t m = 0;
    for (size_t i = 0; i < n; ++i)
        for (size_t k = 0; k < nc; ++k) {
            const float s = scores[i * (nc + 1) + k];
            if (!(s > score_thr)) continue;
            cb[m] = per_class_boxes ? boxes[i * nc + k] : boxes[i];
            cs[m] = s;
            cl[m] = (int32_t)k;
            row[m] = (int32_t)i;
            ++m;
        }
    size_t nk = 0;
    hv_status st = hv_det_nms_first(cb, cs, cl, m, iou_thr, max_per_img > 0 ? (size_t)max_per_img : SIZE_MAX, keep, &nk);
    if (!st) {
        if (max_per_img > 0 && nk > (size_t)max_per_img) nk = (size_t)max_per_img;
        for (size_t i = 0; i < nk; ++i) out[i] = (hv_det){cb[keep[i]], cs[keep[i]], cl[keep[i]], row[keep[i]]};
        *n_out = nk;
    }
    free(cb); free(cs); free(cl); free(row); free(keep);
    return st;
}
