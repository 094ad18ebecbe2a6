/* Stable descending merge sort of indices by score (the tie rule every detect function documents). */
#include "detect/det_sort.h"

#include <string.h>

static void merge_pass(size_t *idx, size_t n, const float *s, size_t *tmp) {
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            /* take from the right run only when strictly larger: ties keep the left (earlier) element */
            while (i < mid && j < hi) tmp[k++] = (s[idx[j]] > s[idx[i]]) ? idx[j++] : idx[i++];
            while (i < mid) tmp[k++] = idx[i++];
            while (j < hi) tmp[k++] = idx[j++];
        }
        memcpy(idx, tmp, n * sizeof *idx);
    }
}

void hv_det_sort_desc(size_t *idx, size_t n, const float *scores, size_t *tmp) {
    if (n > 1) merge_pass(idx, n, scores, tmp);
}
