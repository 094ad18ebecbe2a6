/* Internal: the threshold-free part of the classification metrics (metrics_cls_curves.c). */
#ifndef HEMOVK_EVAL_METRICS_CLS_INTERNAL_H
#define HEMOVK_EVAL_METRICS_CLS_INTERNAL_H

#include "hemovk/eval_metrics.h"

/** Fill n_scored, roc_auc, pr_auc, the best-F1 point and the target-sensitivity point of `m` from the
 *  scores of class `positive` (`score` NULL: all −1, n_scored 0). Inputs are already checked. */
hv_status hvm_cls_curves(const int32_t *label, const double *score, size_t n, int32_t positive, hv_cls_metrics *m);

#endif
