/* Parity harness of the Mask R-CNN tests: generate a PyTorch reference with tools/ref/gen_maskrcnn.py at
 * test time, then compare every stage of hemovk's model against it, feeding the reference's own
 * proposals and boxes into the later stages (NMS at IoU 0.01 makes proposals sensitive to the last ulp). */
#ifndef MASKRCNN_TESTUTIL_H
#define MASKRCNN_TESTUTIL_H

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hemovk/device.h"
#include "hemovk/maskrcnn.h"
#include "hemovk/weights.h"
#include "hvtest.h"

static inline double mr_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/** gen_maskrcnn.py <args> --out <fresh dir>; returns the dir (static buffer). */
static inline const char *mr_gen(const char *tag, const char *args) {
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s", hvtest_tmpdir(tag));
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "'%s' '%s/tools/ref/gen_maskrcnn.py' %s --out '%s' > '%s/gen.log' 2>&1", HEMOVK_PYTHON,
             HEMOVK_SOURCE_DIR, args, dir, dir);
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "reference generation failed (%d): %s", rc, cmd);
    return dir;
}

static inline hv_weights *mr_open(const char *dir, const char *file) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    hv_weights *w = NULL;
    ck_assert_msg(hv_weights_open(path, &w) == HV_OK, "%s", hv_last_error());
    return w;
}

/** io tensor as malloc'd f32; *numel and dims[4] (trailing 1) optional. */
static inline float *mr_read(const hv_weights *io, const char *name, size_t *numel, int64_t dims[4]) {
    hv_weight_info info;
    ck_assert_msg(hv_weights_find(io, name, &info) == HV_OK, "%s", hv_last_error());
    float *d = malloc((size_t)(info.numel ? info.numel : 1) * sizeof(float));
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(hv_weights_read_f32(io, name, d, (size_t)info.numel), HV_OK);
    if (numel) *numel = (size_t)info.numel;
    if (dims)
        for (int i = 0; i < 4; i++) dims[i] = i < (int)info.rank ? info.dims[i] : 1;
    return d;
}

/** Compare n values by max|Δ|/max|ref|; print and return it. */
static inline double mr_cmp(const char *label, const char *what, const float *got, const float *ref, size_t n) {
    ck_assert_msg(hvtest_count_nonfinite(got, n) == 0, "%s %s: non-finite values", label, what);
    double e = hvtest_max_rel(got, ref, n);
    printf("  %-34s %-14s max|d|/max|ref| = %.3g\n", label, what, e);
    fflush(stdout); /* a later failure in the forked test must not lose the numbers */
    return e;
}

/** One-to-one matching of detections to reference rows [x1,y1,x2,y2,score] in order: each reference takes
 *  the unmatched detection of highest IoU; a match needs IoU ≥ iou_min. Returns matches; *max_ds the
 *  largest |score difference| over matches. */
static inline size_t mr_match(const hv_det *d, size_t n, const float *ref, size_t nr, double iou_min, double *max_ds) {
    char used[4096] = {0};
    size_t m = 0;
    *max_ds = 0;
    for (size_t r = 0; r < nr; r++) {
        hv_box rb = {ref[r * 5], ref[r * 5 + 1], ref[r * 5 + 2], ref[r * 5 + 3]};
        double best = -1;
        size_t bi = 0;
        for (size_t i = 0; i < n && i < sizeof used; i++) {
            if (used[i]) continue;
            double iou = hv_box_iou(&d[i].box, &rb);
            if (iou > best) best = iou, bi = i;
        }
        if (best >= iou_min) {
            used[bi] = 1;
            m++;
            double ds = fabs((double)d[bi].score - ref[r * 5 + 4]);
            if (ds > *max_ds) *max_ds = ds;
        }
    }
    return m;
}

/** Tolerances of one run. */
typedef struct mr_tol {
    double tensor;        /* FPN, RPN, box head, mask logits: max|Δ|/max|ref| */
    double score;         /* detection scores */
    double prop_frac;     /* fraction of reference proposals that must match (IoU ≥ 0.99) */
    size_t mask_px;       /* binary mask pixels allowed to differ (threshold ties) */
    double det_frac;      /* fraction of reference detections that must match (0 → all, and the same count) */
} mr_tol;

/** What one run measured. */
typedef struct mr_stats {
    double worst_tensor, det_ds, paste_err;
    size_t props, props_ref, props_matched, dets, dets_ref, dets_matched, mask_px_diff, mask_px_total;
    double t_features, t_box, t_mask;
} mr_stats;

/** Stage-by-stage parity of the model built from (p, w) on `dev` against io. */
static inline mr_stats mr_parity(const char *label, const hv_maskrcnn_params *p, const hv_weights *w, const hv_weights *io,
                                 hv_device *dev, const mr_tol *tol) {
    mr_stats s;
    memset(&s, 0, sizeof s);
    uint32_t vmsgs = hv_validation_message_count();
    hv_maskrcnn *m = NULL;
    ck_assert_msg(hv_maskrcnn_create(p, w, dev, &m) == HV_OK, "%s: %s", label, hv_last_error());
    size_t n_in;
    int64_t d[4];
    float *input = mr_read(io, "input", &n_in, d);
    hv_maskrcnn_features f;
    double t0 = mr_now();
    ck_assert_msg(hv_maskrcnn_features_from_image(m, input, (int32_t)d[2], (int32_t)d[3], (int32_t)d[2], (int32_t)d[3], &f) == HV_OK,
                  "%s: features: %s", label, hv_last_error());
    s.t_features = mr_now() - t0;
    if (dev) { /* time a warm run */
        hv_maskrcnn_features_free(&f);
        t0 = mr_now();
        ck_assert_int_eq(hv_maskrcnn_features_from_image(m, input, (int32_t)d[2], (int32_t)d[3], (int32_t)d[2], (int32_t)d[3], &f), HV_OK);
        s.t_features = mr_now() - t0;
    }
    char name[32];
    for (int i = 0; i < HV_MRCNN_LEVELS; i++) {
        size_t n;
        snprintf(name, sizeof name, "fpn.%d", i);
        float *ref = mr_read(io, name, &n, NULL);
        ck_assert_int_eq(n, (size_t)f.channels * f.h[i] * f.w[i]);
        double e = mr_cmp(label, name, f.fpn[i], ref, n);
        if (e > s.worst_tensor) s.worst_tensor = e;
        free(ref);
        snprintf(name, sizeof name, "rpn_cls.%d", i);
        ref = mr_read(io, name, &n, NULL);
        e = mr_cmp(label, name, f.rpn_cls[i], ref, n);
        if (e > s.worst_tensor) s.worst_tensor = e;
        free(ref);
        snprintf(name, sizeof name, "rpn_reg.%d", i);
        ref = mr_read(io, name, &n, NULL);
        e = mr_cmp(label, name, f.rpn_reg[i], ref, n);
        if (e > s.worst_tensor) s.worst_tensor = e;
        free(ref);
    }
    /* proposals: our own, matched one to one */
    hv_det *props = malloc((size_t)p->test.rpn_max_per_img * sizeof(hv_det));
    ck_assert_int_eq(hv_maskrcnn_proposals(m, &f, props, &s.props), HV_OK);
    size_t nrp;
    float *rprops = mr_read(io, "proposals", &nrp, NULL);
    s.props_ref = nrp / 5;
    double ds;
    s.props_matched = mr_match(props, s.props, rprops, s.props_ref, 0.99, &ds);
    printf("  %-34s proposals      %zu / ref %zu, %zu matched (IoU ≥ 0.99), max |score d| %.3g\n", label, s.props,
           s.props_ref, s.props_matched, ds);
    fflush(stdout);
    ck_assert_msg((double)s.props_matched >= tol->prop_frac * (double)s.props_ref, "%s: only %zu of %zu proposals matched",
                  label, s.props_matched, s.props_ref);
    /* RoI levels and box head on the reference's proposals */
    size_t R = s.props_ref, K = (size_t)hv_maskrcnn_num_classes(m);
    hv_box *rois = malloc((R + 1) * sizeof(hv_box));
    for (size_t i = 0; i < R; i++) rois[i] = (hv_box){rprops[i * 5], rprops[i * 5 + 1], rprops[i * 5 + 2], rprops[i * 5 + 3]};
    float *rlv = mr_read(io, "roi_levels", NULL, NULL);
    for (size_t i = 0; i < R; i++)
        ck_assert_msg(hv_roi_level(rois[i].x1, rois[i].y1, rois[i].x2, rois[i].y2, 56, 4) == (int)rlv[i], "%s: roi level %zu", label, i);
    float *cls = malloc((R + 1) * (K + 1) * sizeof(float)), *reg = malloc((R + 1) * 4 * K * sizeof(float));
    t0 = mr_now();
    ck_assert_msg(hv_maskrcnn_box_head(m, &f, rois, R, cls, reg) == HV_OK, "%s: box head: %s", label, hv_last_error());
    s.t_box = mr_now() - t0;
    float *rcls = mr_read(io, "cls_score", NULL, NULL), *rreg = mr_read(io, "bbox_pred", NULL, NULL);
    double e1 = mr_cmp(label, "cls_score", cls, rcls, R * (K + 1)), e2 = mr_cmp(label, "bbox_pred", reg, rreg, R * 4 * K);
    if (e1 > s.worst_tensor) s.worst_tensor = e1;
    if (e2 > s.worst_tensor) s.worst_tensor = e2;
    /* final detections from our head outputs on the reference's proposals */
    hv_det *dets = malloc((size_t)p->test.max_per_img * sizeof(hv_det));
    ck_assert_int_eq(hv_maskrcnn_decode(m, &f, rois, R, cls, reg, 1.0f, 1.0f, dets, &s.dets), HV_OK);
    size_t nrd;
    float *rdets = mr_read(io, "dets", &nrd, NULL);
    s.dets_ref = nrd / 5;
    s.dets_matched = mr_match(dets, s.dets, rdets, s.dets_ref, 0.99, &s.det_ds);
    printf("  %-34s dets           %zu / ref %zu, %zu matched (IoU ≥ 0.99), max |score d| %.3g\n", label, s.dets,
           s.dets_ref, s.dets_matched, s.det_ds);
    fflush(stdout);
    if (tol->det_frac > 0)
        ck_assert_msg((double)s.dets_matched >= tol->det_frac * (double)s.dets_ref, "%s: detections differ", label);
    else
        ck_assert_msg(s.dets == s.dets_ref && s.dets_matched == s.dets_ref, "%s: detections differ", label);
    ck_assert_msg(s.det_ds <= tol->score, "%s: score difference %g > %g", label, s.det_ds, tol->score);
    /* masks on the reference's boxes */
    size_t D = s.dets_ref;
    hv_box *boxes = malloc((D + 1) * sizeof(hv_box));
    hv_det *rd = malloc((D + 1) * sizeof(hv_det));
    for (size_t i = 0; i < D; i++) {
        boxes[i] = (hv_box){rdets[i * 5], rdets[i * 5 + 1], rdets[i * 5 + 2], rdets[i * 5 + 3]};
        rd[i] = (hv_det){.box = boxes[i], .score = rdets[i * 5 + 4]};
    }
    float *logits = malloc((D + 1) * K * 784 * sizeof(float));
    t0 = mr_now();
    ck_assert_msg(hv_maskrcnn_mask_head(m, &f, boxes, D, logits) == HV_OK, "%s: mask head: %s", label, hv_last_error());
    s.t_mask = mr_now() - t0;
    float *rlog = mr_read(io, "mask_logits", NULL, NULL);
    double e3 = mr_cmp(label, "mask_logits", logits, rlog, D * K * 784);
    if (e3 > s.worst_tensor) s.worst_tensor = e3;
    /* pasted probabilities and binary masks (reference boxes, our probabilities) */
    int32_t H = f.img_h, W = f.img_w;
    float *prob = malloc(784 * sizeof(float)), *pasted = malloc((size_t)H * W * sizeof(float));
    uint8_t *mask = malloc((size_t)H * W);
    float *rpaste = mr_read(io, "mask_pasted", NULL, NULL), *rmask = mr_read(io, "masks", NULL, NULL);
    for (size_t i = 0; i < D; i++) {
        for (int j = 0; j < 784; j++) prob[j] = 1.0f / (1.0f + expf(-logits[i * K * 784 + j]));
        ck_assert_int_eq(hv_mask_paste(prob, 28, 28, &boxes[i], H, W, p->test.mask_thr, mask, pasted), HV_OK);
        for (size_t k = 0; k < (size_t)H * W; k++) {
            double e = fabs((double)pasted[k] - rpaste[i * H * W + k]);
            if (e > s.paste_err) s.paste_err = e;
            s.mask_px_diff += mask[k] != (rmask[i * H * W + k] > 0.5f);
        }
        s.mask_px_total += (size_t)H * W;
    }
    printf("  %-34s masks          pasted max|d| %.3g, %zu of %zu binary pixels differ\n", label, s.paste_err,
           s.mask_px_diff, s.mask_px_total);
    ck_assert_msg(s.mask_px_diff <= tol->mask_px, "%s: %zu mask pixels differ (> %zu)", label, s.mask_px_diff, tol->mask_px);
    ck_assert_msg(s.worst_tensor <= tol->tensor, "%s: worst tensor error %g > %g", label, s.worst_tensor, tol->tensor);
    if (dev) printf("  %-34s time           features %.3f s, box head (%zu RoIs) %.3f s, mask head (%zu) %.3f s\n", label,
                    s.t_features, R, s.t_box, D, s.t_mask);
    fflush(stdout);
    free(input), free(props), free(rprops), free(rois), free(rlv), free(cls), free(reg), free(rcls), free(rreg);
    free(dets), free(rdets), free(boxes), free(rd), free(logits), free(rlog), free(prob), free(pasted), free(mask);
    free(rpaste), free(rmask);
    hv_maskrcnn_features_free(&f);
    hv_maskrcnn_free(m);
    ck_assert_msg(hv_validation_message_count() == vmsgs, "%s: validation layer messages", label);
    return s;
}

static inline hv_device *mr_device(void) {
    hv_device *dev = NULL;
    ck_assert_msg(hv_device_open(NULL, &dev) == HV_OK, "device: %s", hv_last_error());
    return dev;
}

#endif
