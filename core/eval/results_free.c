/* hv_eval_results_free: the one place that knows what a result set owns (readers call it on failure
 * too, so a half-built set is released by the same code as a complete one). */
#include "hemovk/eval.h"

#include <stdlib.h>
#include <string.h>

void hv_eval_results_free(hv_eval_results *res) {
    if (!res) return;
    for (size_t i = 0; res->dets && i < res->n_dets; i++) hv_rle_free(&res->dets[i].segm);
    free(res->dets);
    for (size_t i = 0; res->cls && i < res->n_cls; i++) free(res->cls[i].probs);
    free(res->cls);
    free(res->source);
    memset(res, 0, sizeof *res);
}
