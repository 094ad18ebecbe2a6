/* Greedy NMS with mmcv's devIoU test (offset 0, float32, "inter > thr·union" without a division) and the
 * per-group variant used for per-level proposals and per-class detections (MODEL_SPEC §5.5, §5.9). */
#include <math.h>
#include <stdlib.h>

#include "detect/det_sort.h"
#include "hemovk/detect.h"

bool hv_iou_exceeds(const hv_box *a, const hv_box *b, float thr) {
    const float left = fmaxf(a->x1, b->x1), right = fminf(a->x2, b->x2);
    const float top = fmaxf(a->y1, b->y1), bottom = fminf(a->y2, b->y2);
    const float width = fmaxf(right - left, 0.0f), height = fmaxf(bottom - top, 0.0f);
    const float inter = width * height;
    const float sa = (a->x2 - a->x1) * (a->y2 - a->y1), sb = (b->x2 - b->x1) * (b->y2 - b->y1);
    return inter > thr * (sa + sb - inter);
}

double hv_box_iou(const hv_box *a, const hv_box *b) {
    const double w = fmin(a->x2, b->x2) - fmax(a->x1, b->x1), h = fmin(a->y2, b->y2) - fmax(a->y1, b->y1);
    const double inter = (w > 0 ? w : 0) * (h > 0 ? h : 0);
    const double uni = ((double)a->x2 - a->x1) * ((double)a->y2 - a->y1) + ((double)b->x2 - b->x1) * ((double)b->y2 - b->y1) - inter;
    return uni > 0 ? inter / uni : 0.0;
}

hv_status hv_nms_batched(const hv_box *boxes, const float *scores, const int32_t *groups, size_t n, float iou_thr,
                         size_t *keep, size_t *n_keep) {
    return hv_det_nms_first(boxes, scores, groups, n, iou_thr, SIZE_MAX, keep, n_keep);
}

hv_status hv_det_nms_first(const hv_box *boxes, const float *scores, const int32_t *groups, size_t n, float iou_thr,
                           size_t max_keep, size_t *keep, size_t *n_keep) {
    if (!n_keep || (n && (!boxes || !scores || !keep)))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "NMS: NULL argument (boxes, scores, keep and n_keep are required)");
    *n_keep = 0;
    if (!isfinite(iou_thr) || iou_thr < 0)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "NMS: iou_threshold %g must be a number ≥ 0", (double)iou_thr);
    if (n == 0) return HV_OK;
    size_t *order = malloc(n * sizeof *order), *tmp = malloc(n * sizeof *tmp);
    unsigned char *dead = calloc(n, 1);
    if (!order || !tmp || !dead) {
        free(order); free(tmp); free(dead);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "NMS: out of memory for %zu boxes", n);
    }
    for (size_t i = 0; i < n; ++i) order[i] = i;
    hv_det_sort_desc(order, n, scores, tmp);
    size_t k = 0;
    for (size_t a = 0; a < n && k < max_keep; ++a) {
        if (dead[a]) continue;
        const size_t i = order[a];
        keep[k++] = i;
        for (size_t b = a + 1; b < n; ++b) {
            if (dead[b]) continue;
            const size_t j = order[b];
            if (groups && groups[j] != groups[i]) continue;
            if (hv_iou_exceeds(&boxes[i], &boxes[j], iou_thr)) dead[b] = 1;
        }
    }
    *n_keep = k;
    free(order); free(tmp); free(dead);
    return HV_OK;
}

hv_status hv_nms(const hv_box *boxes, const float *scores, size_t n, float iou_thr, size_t *keep, size_t *n_keep) {
    return hv_nms_batched(boxes, scores, NULL, n, iou_thr, keep, n_keep);
}
