/* Internal: stable index sort by score used by NMS, proposals and ensembles, and the greedy NMS that
 * stops once it has what its caller keeps. */
#ifndef HEMOVK_DETECT_SORT_H
#define HEMOVK_DETECT_SORT_H

#include <stddef.h>
#include <stdint.h>

#include "hemovk/detect.h"

/** Sort idx[0..n) by scores[idx] descending; equal scores keep ascending index order (stable merge sort).
 *  tmp must hold n entries. */
void hv_det_sort_desc(size_t *idx, size_t n, const float *scores, size_t *tmp);

/** hv_nms_batched that stops after max_keep kept boxes: the same first max_keep (greedy NMS keeps in
 *  score order, so later boxes cannot change earlier decisions), without testing the rest. Callers that
 *  truncate to max_per_img (RPN proposals, multiclass NMS) save the O(kept · n) tail. */
hv_status hv_det_nms_first(const hv_box *boxes, const float *scores, const int32_t *groups, size_t n, float iou_thr,
                           size_t max_keep, size_t *keep, size_t *n_keep);

#endif
