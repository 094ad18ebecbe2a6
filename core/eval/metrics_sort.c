/* The one sort of the metric engine: numpy's argsort(-score, kind='mergesort'). pycocotools sorts
 * detections with a stable sort both per image and across images, so detections with equal scores keep
 * their input order; an unstable sort (qsort) would change AP whenever scores tie, and ensemble scores
 * tie a lot (multiples of 0.005, MODEL_SPEC §9.2). */
#include <string.h>

#include "eval/metrics_internal.h"

/* Short runs by insertion (stable: an element only moves past strictly smaller keys). Most cells hold a
 * handful of detections, so this is the common path. */
static void insertion(size_t *idx, size_t n, const double *key) {
    for (size_t i = 1; i < n; ++i) {
        const size_t v = idx[i];
        const double kv = key[v];
        size_t j = i;
        while (j > 0 && key[idx[j - 1]] < kv) {
            idx[j] = idx[j - 1];
            --j;
        }
        idx[j] = v;
    }
}

void hvm_sort_desc_stable(size_t *idx, size_t n, const double *key, size_t *tmp) {
    enum { RUN = 16 };
    if (n < 2) return;
    for (size_t lo = 0; lo < n; lo += RUN) insertion(idx + lo, n - lo < RUN ? n - lo : RUN, key);
    if (n <= RUN) return;
    /* Bottom-up merges; on equal keys the left run goes first, which keeps the sort stable. */
    size_t *src = idx, *dst = tmp;
    for (size_t width = RUN; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            const size_t mid = lo + width < n ? lo + width : n;
            const size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi) dst[o++] = key[src[b]] > key[src[a]] ? src[b++] : src[a++];
            while (a < mid) dst[o++] = src[a++];
            while (b < hi) dst[o++] = src[b++];
        }
        size_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != idx) memcpy(idx, src, n * sizeof *idx);
}
