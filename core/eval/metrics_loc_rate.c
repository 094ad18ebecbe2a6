/* Frame-level localisation rate: "did a detection point at the bleed in this frame". Uses the same
 * (category, image) cells as COCOeval, so the same detections and instances count. */
#include <math.h>
#include <stdlib.h>

#include "eval/metrics_internal.h"

hv_status hv_eval_localisation_rate(const hv_eval_gt *gt, const hv_eval_results *res, double iou_thr,
                                    double score_thr, hv_eval_loc_rate *out, int8_t *localised) {
    if (!gt || !res || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "localisation rate: NULL argument");
    if ((gt->n_images && !gt->images) || (gt->n_anns && !gt->anns) || (gt->n_categories && !gt->category_ids) ||
        (res->n_dets && !res->dets))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "localisation rate: an array is NULL but its count is not 0");
    if (!(iou_thr >= 0 && iou_thr <= 1))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "localisation rate: iou_thr = %g is not in [0, 1]", iou_thr);
    if (isnan(score_thr)) return hv_error(HV_ERR_INVALID_ARGUMENT, "localisation rate: score_thr is NaN");
    int32_t *cats = malloc((gt->n_categories + 1) * sizeof *cats);
    uint8_t *has = calloc(gt->n_images + 1, 1), *hit = calloc(gt->n_images + 1, 1);
    if (!cats || !has || !hit) {
        free(cats), free(has), free(hit);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "localisation rate: out of memory");
    }
    /* ascending unique category ids, as COCOeval's catIds */
    size_t K = 0;
    for (size_t i = 0; i < gt->n_categories; ++i) {
        const int32_t id = gt->category_ids[i];
        size_t j = K;
        while (j > 0 && cats[j - 1] > id) --j;
        if (j > 0 && cats[j - 1] == id) continue;
        for (size_t m = K; m > j; --m) cats[m] = cats[m - 1];
        cats[j] = id;
        ++K;
    }
    hvm_cells cells;
    hv_status st = hvm_cells_build(gt, res, cats, K, 0, 0, &cells);
    if (st) {
        free(cats), free(has), free(hit);
        return hv_error_context(st, "localisation rate");
    }
    for (size_t c = 0; c < cells.C; ++c) {
        const size_t img = cells.img_of_rank[c % cells.I];
        for (size_t a = cells.gt_off[c]; a < cells.gt_off[c + 1]; ++a) {
            const hv_eval_ann *an = &gt->anns[cells.gt_idx[a]];
            if (an->iscrowd) continue;
            has[img] = 1;
            for (size_t d = cells.dt_off[c]; d < cells.dt_off[c + 1] && !hit[img]; ++d) {
                const hv_eval_det *dt = &res->dets[cells.dt_idx[d]];
                if (dt->score >= score_thr && hvm_box_iou(dt->bbox, an->bbox, 0) >= iou_thr) hit[img] = 1;
            }
        }
    }
    out->n_images = out->n_localised = 0;
    for (size_t i = 0; i < gt->n_images; ++i) {
        out->n_images += has[i];
        out->n_localised += has[i] && hit[i];
        if (localised) localised[i] = has[i] ? (int8_t)hit[i] : -1;
    }
    out->rate = out->n_images ? (double)out->n_localised / (double)out->n_images : -1;
    hvm_cells_free(&cells);
    free(cats), free(has), free(hit);
    return HV_OK;
}
