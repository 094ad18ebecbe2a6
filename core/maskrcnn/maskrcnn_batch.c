/* core/maskrcnn/maskrcnn_batch.c — several frames through one Mask R-CNN pass (issue 16: batching).
 *
 * Frames resized to the same size share every network run: ONE features plan run for all of them (a batch
 * of 1, 2, 4 or 8 frames; a partial batch padded with zero frames, so at most four features plans exist per
 * size), ONE box head run over every frame's proposals and ONE mask head run over every frame's final boxes
 * — each RoI names its frame in RoIAlign's batch column. The FPN maps stay on the device between the three
 * (hv_plan_link_input). What stays per frame is host work on small arrays: proposal selection, decoding and
 * NMS, pasting. Results equal hv_maskrcnn_detect on each frame: the kernels compute each output element
 * the same way whatever the batch (on the CPU backend oneDNN may pick another blocking for another batch,
 * which changes float rounding only). Detection TTA keeps its per-frame path. */
#include <stdlib.h>
#include <string.h>

#include "maskrcnn/maskrcnn_internal.h"

#define MM (MR_MASK * MR_MASK)
#define MR_MAX_BATCH 8 /* frames per features run; batches are buckets 1, 2, 4, 8 */

static int32_t batch_bucket(size_t n) {
    int32_t b = 1;
    while ((size_t)b < n) b *= 2;
    return b;
}

hv_maskrcnn_features mr_frame_view(const hv_maskrcnn *m, const hv_maskrcnn_features *f, size_t i) {
    hv_maskrcnn_features v = *f;
    for (int l = 0; l < HV_MRCNN_LEVELS; l++) {
        size_t cells = (size_t)f->h[l] * f->w[l];
        v.fpn[l] = NULL;
        if (!f->rpn_cls[l]) continue; /* proposals selected on the device: no maps */
        v.rpn_cls[l] = f->rpn_cls[l] + i * (size_t)m->anchors * cells;
        v.rpn_reg[l] = f->rpn_reg[l] + i * 4 * (size_t)m->anchors * cells;
    }
    return v;
}

hv_status mr_single_batch(hv_maskrcnn *m, const uint8_t *const *imgs, size_t n, int32_t ih, int32_t iw,
                          const float *sx, const float *sy, hv_maskrcnn_result *out) {
    const int32_t nb = batch_bucket(n);
    const size_t K = (size_t)m->num_classes, cap = (size_t)m->p.test.rpn_max_per_img;
    const size_t max_det = (size_t)m->p.test.max_per_img;
    hv_maskrcnn_features f;
    hv_plan *src = NULL; /* the FPN maps of the whole batch stay in this plan, on the device */
    const float *rows = NULL; /* the proposals, when selected on the device */
    hv_status st = mr_features_on_device(m, imgs, n, nb, ih, iw, 0, &f, &src, &rows);
    hv_det *props = malloc(cap * sizeof(hv_det));
    hv_box *rois = malloc(n * cap * sizeof(hv_box));
    int32_t *bidx = malloc(n * cap * sizeof(int32_t));
    size_t *start = malloc((n + 1) * sizeof(size_t));
    float *cls = NULL, *reg = NULL, *logits = NULL;
    if (st == HV_OK && (!props || !rois || !bidx || !start))
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn: proposal buffers for %zu frames", n);
    /* 1. proposals per frame, all into one RoI list */
    size_t total = 0;
    for (size_t i = 0; i < n && st == HV_OK; i++) {
        size_t np = 0;
        st = mr_frame_proposals(m, &f, rows, i, props, &np);
        start[i] = total;
        for (size_t k = 0; k < np && st == HV_OK; k++) rois[total + k] = props[k].box, bidx[total + k] = (int32_t)i;
        total += np;
    }
    if (st == HV_OK) start[n] = total;
    /* 2. one box head run; decoding and NMS per frame */
    if (st == HV_OK) {
        cls = malloc((total ? total : 1) * (K + 1) * sizeof(float));
        reg = malloc((total ? total : 1) * 4 * K * sizeof(float));
        if (!cls || !reg) st = hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn: box head outputs of %zu RoIs", total);
    }
    if (st == HV_OK) st = mr_box_head_run(m, &f, src, nb, rois, bidx, total, cls, reg);
    size_t mtotal = 0;
    for (size_t i = 0; i < n && st == HV_OK; i++) {
        hv_maskrcnn_features v = mr_frame_view(m, &f, i);
        size_t a = start[i], np = start[i + 1] - start[i];
        out[i].dets = malloc(max_det * sizeof(hv_det));
        if (!out[i].dets) st = hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn: detections");
        if (st == HV_OK)
            st = hv_maskrcnn_decode(m, &v, rois + a, np, cls + a * (K + 1), reg + a * 4 * K, sx[i], sy[i], out[i].dets,
                                    &out[i].n);
        mtotal += out[i].n;
    }
    /* 3. one mask head run over every frame's final boxes (back in input pixels) */
    hv_box *mrois = NULL;
    int32_t *mbidx = NULL;
    if (st == HV_OK) {
        mrois = malloc((mtotal ? mtotal : 1) * sizeof(hv_box));
        mbidx = malloc((mtotal ? mtotal : 1) * sizeof(int32_t));
        logits = malloc((mtotal ? mtotal : 1) * K * MM * sizeof(float));
        if (!mrois || !mbidx || !logits) st = hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn: mask buffers");
    }
    size_t off = 0;
    for (size_t i = 0; i < n && st == HV_OK; i++)
        for (size_t k = 0; k < out[i].n; k++, off++) {
            hv_box b = out[i].dets[k].box;
            mrois[off] = (hv_box){b.x1 * sx[i], b.y1 * sy[i], b.x2 * sx[i], b.y2 * sy[i]};
            mbidx[off] = (int32_t)i;
        }
    if (st == HV_OK) st = mr_mask_head_run(m, &f, src, nb, mrois, mbidx, mtotal, logits);
    off = 0;
    int kl = m->p.keep_fpn_level - 1;
    for (size_t i = 0; i < n && st == HV_OK; i++) {
        size_t nd = out[i].n;
        out[i].mask_probs = malloc((nd ? nd : 1) * MM * sizeof(float));
        if (!out[i].mask_probs) {
            st = hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn: mask probabilities");
            break;
        }
        mr_mask_probs(logits + off * K * MM, out[i].dets, nd, m->num_classes, out[i].mask_probs);
        for (size_t k = 0; k < nd; k++) { /* get_seg_masks(rescale=True): (det·s)/s in f32 */
            hv_box r = mrois[off + k];
            out[i].dets[k].box = (hv_box){r.x1 / sx[i], r.y1 / sy[i], r.x2 / sx[i], r.y2 / sy[i]};
        }
        off += nd;
        if (kl >= 0 && f.fpn[kl] && n == 1) { /* one frame: hand the map the CAM reads over, no copy */
            out[i].feature = f.fpn[kl];
            f.fpn[kl] = NULL;
            out[i].feat_c = f.channels, out[i].feat_h = f.h[kl], out[i].feat_w = f.w[kl];
        } else if (kl >= 0 && f.fpn[kl]) { /* this frame's slice of the map the CAM reads */
            size_t per = (size_t)f.channels * f.h[kl] * f.w[kl];
            out[i].feature = malloc(per * sizeof(float));
            if (!out[i].feature) {
                st = hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn: feature map");
                break;
            }
            memcpy(out[i].feature, f.fpn[kl] + i * per, per * sizeof(float));
            out[i].feat_c = f.channels, out[i].feat_h = f.h[kl], out[i].feat_w = f.w[kl];
        }
    }
    free(props), free(rois), free(bidx), free(start), free(cls), free(reg), free(logits), free(mrois), free(mbidx);
    hv_maskrcnn_features_free(&f);
    return st;
}

hv_status hv_maskrcnn_detect_batch(hv_maskrcnn *m, const uint8_t *const *pixels, const int32_t *w, const int32_t *h,
                                   size_t n, const hv_maskrcnn_tta *tta, hv_maskrcnn_result *out) {
    if (!m || (n && (!pixels || !w || !h || !out)))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_maskrcnn_detect_batch: NULL argument");
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        if (!pixels[i]) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_maskrcnn_detect_batch: frame %zu has no pixels", i);
    }
    m->problem[0] = 0;
    hv_status st = HV_OK;
    char first[sizeof m->problem] = "";
    if (tta && tta->n > 0) { /* detection TTA: frame by frame */
        for (size_t i = 0; i < n && st == HV_OK; i++) {
            st = hv_maskrcnn_detect(m, pixels[i], w[i], h[i], tta, &out[i]);
            if (!first[0] && m->problem[0]) memcpy(first, m->problem, sizeof first);
        }
        memcpy(m->problem, first, sizeof first);
    } else {
        mr_frame *fr = calloc(n ? n : 1, sizeof *fr);
        uint8_t *done = calloc(n ? n : 1, 1);
        if (!fr || !done) st = hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn: %zu frames", n);
        for (size_t i = 0; i < n && st == HV_OK; i++) {
            st = mr_resize_frame(m, pixels[i], w[i], h[i], &fr[i]);
            if (st) hv_error_context(st, "frame %zu of the batch", i);
        }
        /* groups of up to MR_MAX_BATCH frames of one resized size, in frame order */
        for (size_t i = 0; i < n && st == HV_OK; i++) {
            if (done[i]) continue;
            const uint8_t *imgs[MR_MAX_BATCH];
            float sx[MR_MAX_BATCH], sy[MR_MAX_BATCH];
            size_t idx[MR_MAX_BATCH], g = 0;
            for (size_t j = i; j < n && g < MR_MAX_BATCH; j++)
                if (!done[j] && fr[j].nw == fr[i].nw && fr[j].nh == fr[i].nh) {
                    imgs[g] = fr[j].img, sx[g] = fr[j].sx, sy[g] = fr[j].sy, idx[g++] = j;
                    done[j] = 1;
                }
            hv_maskrcnn_result r[MR_MAX_BATCH];
            memset(r, 0, sizeof r);
            st = mr_single_batch(m, imgs, g, fr[i].nh, fr[i].nw, sx, sy, r);
            for (size_t k = 0; k < g; k++) {
                r[k].width = w[idx[k]], r[k].height = h[idx[k]];
                if (st == HV_OK) st = mr_paste_all(m, &r[k]);
                out[idx[k]] = r[k];
            }
        }
        if (fr)
            for (size_t i = 0; i < n; i++) free(fr[i].resized);
        free(fr), free(done);
    }
    if (st != HV_OK)
        for (size_t i = 0; i < n; i++) hv_maskrcnn_result_free(&out[i]);
    return st;
}
