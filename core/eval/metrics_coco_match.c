/* The greedy matching of COCOeval.evaluateImg, line for line: detections in score order each take the
 * best still-free instance; the details below decide ties and crowd regions, so they are kept verbatim. */
#include <string.h>

#include "eval/metrics_internal.h"

void hvm_match(const double *iou, size_t ld, size_t D, size_t G, const size_t *order, const uint8_t *ignore,
               const uint8_t *crowd, double thr, uint8_t *gt_taken, int32_t *dt_match) {
    if (G) memset(gt_taken, 0, G);
    /* pycocotools caps the threshold just below 1 so that an IoU of exactly 1 still matches at t = 1 */
    const double cap = thr < 1 - 1e-10 ? thr : 1 - 1e-10;
    for (size_t d = 0; d < D; ++d) {
        double best = cap;
        long m = -1; /* position in `order` of the best instance so far */
        for (size_t p = 0; p < G; ++p) {
            const size_t g = order[p];
            /* an instance already taken is skipped, but a crowd region can absorb many detections */
            if (gt_taken[p] && !crowd[g]) continue;
            /* holding a regular instance, stop at the ignored ones (they are sorted last) */
            if (m > -1 && !ignore[order[m]] && ignore[g]) break;
            /* `<`, not `<=`: an equal IoU later in the order replaces the current best */
            if (iou[d * ld + g] < best) continue;
            best = iou[d * ld + g];
            m = (long)p;
        }
        if (m == -1) {
            dt_match[d] = -1;
            continue;
        }
        dt_match[d] = (int32_t)order[m];
        gt_taken[m] = 1;
    }
}
