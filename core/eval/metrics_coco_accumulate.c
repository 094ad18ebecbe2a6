/* COCOeval.accumulate for one category: merge the per-image detection lists into one ranking and turn
 * it into the interpolated precision / recall arrays (and §9.2's precision_s). */
#include <float.h>
#include <stdlib.h>

#include "eval/metrics_internal.h"

/* numpy.searchsorted(rc, v, side='left'): the first index whose value is ≥ v (n when none). */
static size_t search_left(const double *rc, size_t n, double v) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (rc[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

hv_status hvm_accumulate_cat(hv_coco_eval_result *r, size_t k, const hvm_cat_dets *c) {
    const hv_coco_params *p = &r->params;
    const size_t T = r->T, R = r->R, K = r->K, A = r->A, M = r->M, n = c->n;
    size_t *order = malloc((n ? n : 1) * sizeof *order), *tmp = malloc((n ? n : 1) * sizeof *tmp);
    size_t *sel = malloc((n ? n : 1) * sizeof *sel);
    double *rc = malloc((n ? n : 1) * sizeof *rc), *pr = malloc((n ? n : 1) * sizeof *pr);
    if (!order || !tmp || !sel || !rc || !pr) {
        free(order), free(tmp), free(sel), free(rc), free(pr);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "COCO accumulate: out of memory for %zu detections", n);
    }
    /* One stable sort by score of all detections, in image-id order: for a smaller maxDets the ranking
     * is the subsequence of this one (the order is total: score, then position), which is what
     * pycocotools' per-maxDets concatenate-and-mergesort produces. */
    for (size_t i = 0; i < n; ++i) order[i] = i;
    hvm_sort_desc_stable(order, n, c->score, tmp);
    for (size_t m = 0; m < M; ++m) {
        size_t nd = 0;
        for (size_t i = 0; i < n; ++i)
            if (c->rank[order[i]] < p->max_dets[m]) sel[nd++] = order[i];
        for (size_t a = 0; a < A; ++a) {
            if (c->npig[a] == 0) continue; /* no non-ignored instance: the entries stay −1 */
            const double npig = (double)c->npig[a];
            for (size_t t = 0; t < T; ++t) {
                const uint8_t *st = c->state + (a * T + t) * c->stride;
                uint64_t tp = 0, fp = 0;
                for (size_t i = 0; i < nd; ++i) {
                    const uint8_t s = st[sel[i]];
                    tp += s == HVM_TP;
                    fp += s == HVM_FP;
                    rc[i] = (double)tp / npig;
                    pr[i] = (double)tp / ((double)fp + (double)tp + DBL_EPSILON);
                }
                const size_t ikam = ((t * K + k) * A + a) * M + m;
                r->recall[ikam] = nd ? rc[nd - 1] : 0;
                r->precision_s[ikam] = nd ? pr[nd - 1] : 0;
                for (size_t i = nd; i-- > 1;)
                    if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
                /* q and ss start at 0; pycocotools fills them until the first recall threshold past the
                 * last rank raises IndexError, which its bare except swallows: the rest stay 0 */
                for (size_t ri = 0; ri < R; ++ri) {
                    const size_t at = ((((t * R + ri) * K + k) * A + a) * M + m);
                    r->precision[at] = 0;
                    r->scores[at] = 0;
                }
                for (size_t ri = 0; ri < R; ++ri) {
                    const size_t pi = search_left(rc, nd, p->rec_thrs[ri]);
                    if (pi >= nd) break;
                    const size_t at = ((((t * R + ri) * K + k) * A + a) * M + m);
                    r->precision[at] = pr[pi];
                    r->scores[at] = c->score[sel[pi]];
                }
            }
        }
    }
    free(order), free(tmp), free(sel), free(rc), free(pr);
    return HV_OK;
}
