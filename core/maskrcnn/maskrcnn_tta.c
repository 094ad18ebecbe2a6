/* core/maskrcnn/maskrcnn_tta.c — detection test-time augmentation (MODEL_SPEC §6.2) on top of the
 * stages in maskrcnn.c, with the box/map transforms and merges of hemovk/detect.h.
 *
 * MMDET merge (aug_test): proposals of every augmentation mapped back to the frame and merged by ONE
 * class-agnostic NMS; the box head is run on the merged proposals in each augmentation's frame, and
 * the decoded boxes and softmax scores of the same proposal are averaged; multiclass NMS; the mask
 * head is run on the final boxes in each frame, the 28×28 probabilities un-transformed and averaged.
 * Augmentations are applied to the resized image (as mmdet's flip after Resize); mapping back divides
 * by the scale factor after un-flipping in the resized frame, as bbox_mapping_back does.
 * NMS / WBF merges: each augmentation is detected on its own, mapped back, then merged. */
#include <stdlib.h>
#include <string.h>

#include "maskrcnn/maskrcnn_internal.h"

#define MM (MR_MASK * MR_MASK)

typedef struct aug_view {
    hv_tta_tf tf;
    int32_t ah, aw;
    uint8_t *img;
    int group, k;             /* mmdet merge: the view group whose runs it shares, and its frame there */
} aug_view;

/* The augmented copy of the resized image. */
static hv_status make_view(hv_tta_tf tf, const uint8_t *img, int32_t ih, int32_t iw, aug_view *v) {
    memset(v, 0, sizeof *v);
    v->tf = tf;
    hv_tta_size(tf, ih, iw, &v->ah, &v->aw);
    v->img = malloc((size_t)ih * iw * 3);
    if (!v->img) return hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn TTA: image copy");
    return hv_tta_map(tf, ih, iw, 3, false, img, v->img);
}

static void free_view(aug_view *v) { free(v->img); }

/* Views of one size share each network run, in groups of 4, 2 and 1 views so no run is padded with
 * empty frames (6 views: 4 + 2); the views of a 90° turn of a non-square frame have the other size and go
 * in their own groups. Fills first[g], count[g] (view indices idx[first .. first+count)) and returns the
 * number of groups. */
static int group_views(const aug_view *v, int A, int *idx, int *first, int *count) {
    int done[HV_MRCNN_MAX_TTA] = {0}, n = 0, G = 0;
    for (int a = 0; a < A; a++) {
        if (done[a]) continue;
        int start = n;
        for (int b = a; b < A; b++)
            if (!done[b] && v[b].ah == v[a].ah && v[b].aw == v[a].aw) idx[n++] = b, done[b] = 1;
        for (int f = start; f < n;) {
            int c = n - f >= 4 ? 4 : n - f >= 2 ? 2 : 1;
            first[G] = f, count[G++] = c;
            f += c;
        }
    }
    return G;
}

static void scale_boxes(hv_box *b, size_t n, float sx, float sy, bool divide) {
    for (size_t i = 0; i < n; i++) {
        if (divide)
            b[i] = (hv_box){b[i].x1 / sx, b[i].y1 / sy, b[i].x2 / sx, b[i].y2 / sy};
        else
            b[i] = (hv_box){b[i].x1 * sx, b[i].y1 * sy, b[i].x2 * sx, b[i].y2 * sy};
    }
}

/* One view group's features on the device (slot = group, so every group's maps live until its masks). */
typedef struct view_group {
    int first, c;
    hv_maskrcnn_features f;
    hv_plan *src;
    const float *rows; /* proposals selected on the device (or NULL: from f's RPN maps) */
} view_group;

static hv_status tta_mmdet(hv_maskrcnn *m, const uint8_t *img, int32_t ih, int32_t iw, float sx, float sy,
                           const hv_maskrcnn_tta *tta, hv_maskrcnn_result *out) {
    const int A = tta->n;
    const size_t K = (size_t)m->num_classes, cap = (size_t)m->p.test.rpn_max_per_img;
    aug_view v[HV_MRCNN_MAX_TTA];
    view_group grp[HV_MRCNN_MAX_TTA];
    int idx[HV_MRCNN_MAX_TTA], gfirst[HV_MRCNN_MAX_TTA], gcount[HV_MRCNN_MAX_TTA], G = 0;
    memset(v, 0, sizeof v);
    memset(grp, 0, sizeof grp);
    hv_det *props = malloc((size_t)A * cap * sizeof(hv_det));
    /* RoIs of one group (≤ 4 views): the merged proposals (≤ cap), then the final boxes (≤ cap·K) */
    const size_t rcap = 4 * (cap * K + 1);
    hv_box *all = malloc((size_t)A * cap * sizeof(hv_box)), *rois = malloc(rcap * sizeof(hv_box));
    int32_t *bidx = malloc(rcap * sizeof(int32_t));
    float *all_s = malloc((size_t)A * cap * sizeof(float));
    size_t *keep = malloc((size_t)A * cap * sizeof(size_t));
    float *cls = malloc(4 * cap * (K + 1) * sizeof(float)), *reg = malloc(4 * cap * 4 * K * sizeof(float));
    float *scores = malloc((size_t)A * cap * (K + 1) * sizeof(float));
    hv_box *boxes = malloc((size_t)A * cap * K * sizeof(hv_box));
    hv_box *mean_b = malloc(cap * K * sizeof(hv_box));
    float *mean_s = malloc(cap * (K + 1) * sizeof(float));
    hv_det *dets = malloc(cap * K * sizeof(hv_det));
    hv_status st = props && all && rois && bidx && all_s && keep && cls && reg && scores && boxes && mean_b && mean_s &&
                           dets
                       ? HV_OK
                       : hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn TTA buffers");
    /* 0. every view's image; views of one size share one features run per group (frame k of group g) */
    for (int a = 0; a < A && st == HV_OK; a++) st = make_view(tta->tfs[a], img, ih, iw, &v[a]);
    if (st == HV_OK) G = group_views(v, A, idx, gfirst, gcount);
    for (int g = 0; g < G && st == HV_OK; g++) {
        const uint8_t *imgs[4];
        grp[g].first = gfirst[g], grp[g].c = gcount[g];
        for (int k = 0; k < gcount[g]; k++) {
            aug_view *w = &v[idx[gfirst[g] + k]];
            imgs[k] = w->img, w->group = g, w->k = k;
        }
        const aug_view *w0 = &v[idx[gfirst[g]]];
        st = mr_features_on_device(m, imgs, (size_t)gcount[g], gcount[g], w0->ah, w0->aw, g, &grp[g].f, &grp[g].src,
                                   &grp[g].rows);
    }
    /* 1. proposals of every augmentation, back in frame pixels, one NMS over all */
    size_t total = 0, nm = 0;
    for (int a = 0; a < A && st == HV_OK; a++) {
        size_t np = 0;
        st = mr_frame_proposals(m, &grp[v[a].group].f, grp[v[a].group].rows, (size_t)v[a].k, props, &np);
        for (size_t i = 0; i < np; i++) all[total + i] = props[i].box, all_s[total + i] = props[i].score;
        if (st == HV_OK) st = hv_tta_boxes(v[a].tf, ih, iw, true, all + total, np, all + total);
        scale_boxes(all + total, np, sx, sy, true);
        total += np;
    }
    if (st == HV_OK) st = hv_nms(all, all_s, total, m->p.test.rpn_iou, keep, &nm);
    if (nm > cap) nm = cap;
    /* 2. box head on the merged proposals in every augmentation's frame (one run per group), averaged */
    const hv_box *bptr[HV_MRCNN_MAX_TTA];
    const float *sptr[HV_MRCNN_MAX_TTA];
    for (int g = 0; g < G && st == HV_OK; g++) {
        for (int k = 0; k < grp[g].c && st == HV_OK; k++) {
            const aug_view *w = &v[idx[grp[g].first + k]];
            hv_box *r = rois + (size_t)k * nm;
            for (size_t i = 0; i < nm; i++) r[i] = all[keep[i]], bidx[(size_t)k * nm + i] = k;
            scale_boxes(r, nm, sx, sy, false);
            st = hv_tta_boxes(w->tf, ih, iw, false, r, nm, r);
        }
        if (st == HV_OK)
            st = mr_box_head_run(m, &grp[g].f, grp[g].src, grp[g].c, rois, bidx, (size_t)grp[g].c * nm, cls, reg);
        for (int k = 0; k < grp[g].c && st == HV_OK; k++) {
            int a = idx[grp[g].first + k];
            hv_box *ba = boxes + (size_t)a * cap * K;
            float *sa = scores + (size_t)a * cap * (K + 1);
            st = mr_decode_raw(m, v[a].ah, v[a].aw, rois + (size_t)k * nm, nm, cls + (size_t)k * nm * (K + 1),
                               reg + (size_t)k * nm * 4 * K, sa, ba);
            if (st == HV_OK) st = hv_tta_boxes(v[a].tf, ih, iw, true, ba, nm * K, ba);
            scale_boxes(ba, nm * K, sx, sy, true);
            bptr[a] = ba, sptr[a] = sa;
        }
    }
    size_t nd = 0;
    /* merge_aug_bboxes: element-wise means in view order (boxes as n·K·4 floats, so class-specific boxes work) */
    const float *fptr[HV_MRCNN_MAX_TTA];
    for (int a = 0; a < A && st == HV_OK; a++) fptr[a] = (const float *)bptr[a];
    if (st == HV_OK && nm > 0) st = hv_tta_mean_maps(fptr, A, nm * K * 4, (float *)mean_b);
    if (st == HV_OK && nm > 0) st = hv_tta_mean_maps(sptr, A, nm * (K + 1), mean_s);
    if (st == HV_OK)
        st = hv_multiclass_nms(mean_b, true, mean_s, nm, (int)K, m->p.test.score_thr, m->p.test.rcnn_iou,
                               m->p.test.max_per_img, dets, &nd);
    /* 3. masks of the final boxes in every frame (one run per group), un-transformed and averaged */
    float *logits = NULL, *probs = NULL, *tmp = NULL;
    if (st == HV_OK) {
        out->dets = malloc((nd ? nd : 1) * sizeof(hv_det));
        out->mask_probs = calloc((nd ? nd : 1) * MM, sizeof(float));
        logits = malloc((size_t)A * (nd ? nd : 1) * K * MM * sizeof(float));
        probs = malloc((nd ? nd : 1) * MM * sizeof(float));
        tmp = malloc(MM * sizeof(float));
        if (!out->dets || !out->mask_probs || !logits || !probs || !tmp) st = hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn TTA masks");
    }
    if (st == HV_OK) memcpy(out->dets, dets, nd * sizeof(hv_det)), out->n = nd;
    for (int g = 0; g < G && st == HV_OK && nd > 0; g++) { /* logits of view a at logits + a·nd·K·MM */
        for (int k = 0; k < grp[g].c && st == HV_OK; k++) {
            const aug_view *w = &v[idx[grp[g].first + k]];
            hv_box *r = rois + (size_t)k * nd;
            for (size_t i = 0; i < nd; i++) r[i] = dets[i].box, bidx[(size_t)k * nd + i] = k;
            scale_boxes(r, nd, sx, sy, false);
            st = hv_tta_boxes(w->tf, ih, iw, false, r, nd, r);
        }
        float *lg = logits + (size_t)grp[g].first * nd * K * MM; /* group views are idx[first..], see below */
        if (st == HV_OK) st = mr_mask_head_run(m, &grp[g].f, grp[g].src, grp[g].c, rois, bidx, (size_t)grp[g].c * nd, lg);
    }
    for (int a = 0; a < A && st == HV_OK && nd > 0; a++) { /* in view order, as the per-view path averaged */
        size_t pos = (size_t)grp[v[a].group].first + (size_t)v[a].k; /* a's place in idx[], so in logits */
        mr_mask_probs(logits + pos * nd * K * MM, dets, nd, m->num_classes, probs);
        for (size_t i = 0; i < nd && st == HV_OK; i++) {
            st = hv_tta_map(v[a].tf, MR_MASK, MR_MASK, sizeof(float), true, probs + i * MM, tmp);
            for (size_t j = 0; j < MM && st == HV_OK; j++) out->mask_probs[i * MM + j] += tmp[j] / (float)A;
        }
    }
    int kl = m->p.keep_fpn_level - 1;
    const view_group *g0 = G > 0 ? &grp[v[0].group] : NULL;
    if (st == HV_OK && kl >= 0 && g0 && g0->f.fpn[kl]) { /* the first augmentation's map, for CAM */
        size_t per = (size_t)g0->f.channels * g0->f.h[kl] * g0->f.w[kl];
        out->feature = malloc(per * sizeof(float));
        if (!out->feature) st = hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn TTA: feature map");
        else memcpy(out->feature, g0->f.fpn[kl] + (size_t)v[0].k * per, per * sizeof(float));
        out->feat_c = g0->f.channels, out->feat_h = g0->f.h[kl], out->feat_w = g0->f.w[kl];
    }
    for (int a = 0; a < A; a++) free_view(&v[a]);
    for (int g = 0; g < G; g++) hv_maskrcnn_features_free(&grp[g].f);
    free(props), free(all), free(rois), free(bidx), free(all_s), free(keep), free(cls), free(reg), free(scores);
    free(boxes), free(mean_b), free(mean_s), free(dets), free(logits), free(probs), free(tmp);
    return st;
}

/* Every view detected on its own, the views of a group in one pass (mr_single_batch). */
static hv_status detect_views(hv_maskrcnn *m, aug_view *v, const float *vsx, const float *vsy, int A,
                              hv_maskrcnn_result *r) {
    int idx[HV_MRCNN_MAX_TTA], first[HV_MRCNN_MAX_TTA], count[HV_MRCNN_MAX_TTA];
    int G = group_views(v, A, idx, first, count);
    hv_status st = HV_OK;
    for (int g = 0; g < G && st == HV_OK; g++) {
        const uint8_t *imgs[4];
        float sx[4], sy[4];
        hv_maskrcnn_result part[4];
        memset(part, 0, sizeof part);
        for (int k = 0; k < count[g]; k++) {
            int b = idx[first[g] + k];
            imgs[k] = v[b].img, sx[k] = vsx[b], sy[k] = vsy[b];
        }
        const aug_view *w0 = &v[idx[first[g]]];
        st = mr_single_batch(m, imgs, (size_t)count[g], w0->ah, w0->aw, sx, sy, part);
        for (int k = 0; k < count[g]; k++) r[idx[first[g] + k]] = part[k]; /* freed by the caller, also on error */
    }
    return st;
}

/* Each augmentation detected on its own (all views batched), then merged by NMS or WBF. */
static hv_status tta_separate(hv_maskrcnn *m, const uint8_t *img, int32_t ih, int32_t iw, float sx, float sy,
                              int32_t h0, int32_t w0, const hv_maskrcnn_tta *tta, hv_maskrcnn_result *out) {
    const int A = tta->n;
    hv_maskrcnn_result r[HV_MRCNN_MAX_TTA];
    memset(r, 0, sizeof r);
    aug_view v[HV_MRCNN_MAX_TTA];
    memset(v, 0, sizeof v);
    float vsx[HV_MRCNN_MAX_TTA], vsy[HV_MRCNN_MAX_TTA];
    hv_status st = HV_OK;
    for (int a = 0; a < A && st == HV_OK; a++) {
        st = make_view(tta->tfs[a], img, ih, iw, &v[a]);
        /* the aug frame of the ORIGINAL size has the same scale factors, swapped by a 90° turn */
        bool turn = v[a].ah != ih || v[a].aw != iw;
        vsx[a] = turn ? sy : sx, vsy[a] = turn ? sx : sy;
    }
    if (st == HV_OK) st = detect_views(m, v, vsx, vsy, A, r);
    for (int a = 0; a < A; a++) free_view(&v[a]);
    size_t total = 0;
    for (int a = 0; a < A && st == HV_OK; a++) {
        for (size_t i = 0; i < r[a].n && st == HV_OK; i++) {
            st = hv_tta_boxes(tta->tfs[a], h0, w0, true, &r[a].dets[i].box, 1, &r[a].dets[i].box);
            float tmp[MM];
            if (st == HV_OK) st = hv_tta_map(tta->tfs[a], MR_MASK, MR_MASK, sizeof(float), true, r[a].mask_probs + i * MM, tmp);
            if (st == HV_OK) memcpy(r[a].mask_probs + i * MM, tmp, sizeof tmp);
            r[a].dets[i].src = (int32_t)(total + i);
        }
        total += r[a].n;
    }
    const hv_det *dp[HV_MRCNN_MAX_TTA];
    size_t counts[HV_MRCNN_MAX_TTA];
    float *probs = malloc((total ? total : 1) * MM * sizeof(float));
    hv_det *merged = malloc((total ? total : 1) * sizeof(hv_det));
    if (st == HV_OK && (!probs || !merged)) st = hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn TTA merge");
    size_t off = 0;
    for (int a = 0; a < A && st == HV_OK; a++) {
        dp[a] = r[a].dets, counts[a] = r[a].n;
        memcpy(probs + off * MM, r[a].mask_probs, r[a].n * MM * sizeof(float));
        off += r[a].n;
    }
    size_t nm = 0;
    if (st == HV_OK) {
        if (tta->merge == HV_TTA_MERGE_NMS) {
            st = hv_tta_merge_nms(dp, counts, A, m->p.test.rcnn_iou, m->p.test.max_per_img, merged, &nm);
        } else {
            hv_wbf_params wp;
            hv_wbf_params_default(&wp, (float)w0, (float)h0);
            if (tta->wbf_iou > 0) wp.iou_thr = tta->wbf_iou;
            st = hv_wbf(dp, counts, A, &wp, merged, &nm);
            if (nm > (size_t)m->p.test.max_per_img) nm = (size_t)m->p.test.max_per_img;
        }
    }
    if (st == HV_OK) {
        out->dets = malloc((nm ? nm : 1) * sizeof(hv_det));
        out->mask_probs = malloc((nm ? nm : 1) * MM * sizeof(float));
        if (!out->dets || !out->mask_probs) st = hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn TTA result");
    }
    for (size_t i = 0; i < nm && st == HV_OK; i++) {
        size_t src = merged[i].src >= 0 && (size_t)merged[i].src < total ? (size_t)merged[i].src : 0;
        out->dets[i] = merged[i];
        memcpy(out->mask_probs + i * MM, probs + src * MM, MM * sizeof(float));
    }
    if (st == HV_OK) {
        out->n = nm;
        out->feature = r[0].feature, out->feat_c = r[0].feat_c, out->feat_h = r[0].feat_h, out->feat_w = r[0].feat_w;
        r[0].feature = NULL;
    }
    for (int a = 0; a < A; a++) hv_maskrcnn_result_free(&r[a]);
    free(probs), free(merged);
    return st;
}

hv_status mr_detect_tta(hv_maskrcnn *m, const uint8_t *img, int32_t ih, int32_t iw, float sx, float sy, int32_t h0,
                        int32_t w0, const hv_maskrcnn_tta *tta, hv_maskrcnn_result *out) {
    if (tta->n < 1 || tta->n > HV_MRCNN_MAX_TTA)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "maskrcnn TTA: %d augmentations (1..%d)", tta->n, HV_MRCNN_MAX_TTA);
    for (int a = 0; a < tta->n; a++)
        if ((int)tta->tfs[a] < HV_TTA_IDENTITY || (int)tta->tfs[a] > HV_TTA_ROT270)
            return hv_error(HV_ERR_INVALID_ARGUMENT, "maskrcnn TTA: transform %d unknown", (int)tta->tfs[a]);
    switch (tta->merge) {
    case HV_TTA_MERGE_MMDET:
        return tta_mmdet(m, img, ih, iw, sx, sy, tta, out);
    case HV_TTA_MERGE_NMS:
    case HV_TTA_MERGE_WBF:
        return tta_separate(m, img, ih, iw, sx, sy, h0, w0, tta, out);
    }
    return hv_error(HV_ERR_INVALID_ARGUMENT, "maskrcnn TTA: merge %d unknown", (int)tta->merge);
}
