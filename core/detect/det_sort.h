/* Internal: stable index sort by score used by NMS, proposals and ensembles. */
#ifndef HEMOVK_DETECT_SORT_H
#define HEMOVK_DETECT_SORT_H

#include <stddef.h>

/** Sort idx[0..n) by scores[idx] descending; equal scores keep ascending index order (stable merge sort).
 *  tmp must hold n entries. */
void hv_det_sort_desc(size_t *idx, size_t n, const float *scores, size_t *tmp);

#endif
