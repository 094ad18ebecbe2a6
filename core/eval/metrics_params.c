/* COCOeval's Params (setDetParams) and their validation. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "eval/metrics_internal.h"

/* numpy.linspace(start, stop, num) as numpy computes it: i·step + start with step = (stop − start)/(num − 1),
 * and the last value set to stop. The thresholds must be bit-identical to pycocotools' because both IoU
 * (`iou < thr`) and recall (searchsorted) are compared against them; e.g. the 6th IoU threshold has to be
 * exactly 0.75 for summarize()'s `iouThr == .75` to find it. */
static void linspace(double start, double stop, size_t num, double *out) {
    const double step = (stop - start) / (double)(num - 1);
    for (size_t i = 0; i < num; ++i) out[i] = (double)i * step + start;
    out[num - 1] = stop;
}

void hv_coco_params_default(hv_coco_params *p) {
    if (!p) return;
    memset(p, 0, sizeof *p);
    p->n_iou_thrs = 10;
    linspace(0.5, 0.95, p->n_iou_thrs, p->iou_thrs);
    p->n_rec_thrs = 101;
    linspace(0.0, 1.0, p->n_rec_thrs, p->rec_thrs);
    p->n_max_dets = 3;
    p->max_dets[0] = 1;
    p->max_dets[1] = 10;
    p->max_dets[2] = 100;
    static const double rng[4][2] = {{0, 1e10}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e10}};
    static const char *const lbl[4] = {"all", "small", "medium", "large"};
    p->n_area_rng = 4;
    for (size_t a = 0; a < 4; ++a) {
        p->area_rng[a][0] = rng[a][0];
        p->area_rng[a][1] = rng[a][1];
        snprintf(p->area_lbl[a], sizeof p->area_lbl[a], "%s", lbl[a]);
    }
    p->det_area = HV_COCO_DET_AREA_BOX;
    p->frame_iou_thr = 0.5;
    p->frame_score_thr = 0.0;
}

hv_status hvm_params_check(const hv_coco_params *p) {
    if (p->n_iou_thrs < 1 || p->n_iou_thrs > HV_COCO_MAX_IOU_THRS)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO params: n_iou_thrs is %zu, must be 1..%d", p->n_iou_thrs,
                        HV_COCO_MAX_IOU_THRS);
    if (p->n_rec_thrs < 1 || p->n_rec_thrs > HV_COCO_MAX_REC_THRS)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO params: n_rec_thrs is %zu, must be 1..%d", p->n_rec_thrs,
                        HV_COCO_MAX_REC_THRS);
    if (p->n_max_dets < 1 || p->n_max_dets > HV_COCO_MAX_MAX_DETS)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO params: n_max_dets is %zu, must be 1..%d", p->n_max_dets,
                        HV_COCO_MAX_MAX_DETS);
    if (p->n_area_rng < 1 || p->n_area_rng > HV_COCO_MAX_AREA_RNGS)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO params: n_area_rng is %zu, must be 1..%d", p->n_area_rng,
                        HV_COCO_MAX_AREA_RNGS);
    for (size_t i = 0; i < p->n_iou_thrs; ++i)
        if (!(p->iou_thrs[i] >= 0 && p->iou_thrs[i] <= 1))
            return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO params: iou_thrs[%zu] = %g is not in [0, 1]", i,
                            p->iou_thrs[i]);
    for (size_t i = 0; i < p->n_rec_thrs; ++i)
        if (!(p->rec_thrs[i] >= 0 && p->rec_thrs[i] <= 1))
            return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO params: rec_thrs[%zu] = %g is not in [0, 1]", i,
                            p->rec_thrs[i]);
    for (size_t a = 0; a < p->n_area_rng; ++a) {
        if (isnan(p->area_rng[a][0]) || isnan(p->area_rng[a][1]))
            return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO params: area_rng[%zu] has a NaN bound", a);
        if (!memchr(p->area_lbl[a], 0, sizeof p->area_lbl[a]))
            return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO params: area_lbl[%zu] is not NUL-terminated", a);
    }
    if (p->det_area != HV_COCO_DET_AREA_BOX && p->det_area != HV_COCO_DET_AREA_MASK)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO params: det_area %d is neither BOX (0) nor MASK (1)",
                        (int)p->det_area);
    if (!(p->frame_iou_thr >= 0 && p->frame_iou_thr <= 1))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO params: frame_iou_thr = %g is not in [0, 1]", p->frame_iou_thr);
    if (isnan(p->frame_score_thr))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO params: frame_score_thr is NaN");
    return HV_OK;
}
