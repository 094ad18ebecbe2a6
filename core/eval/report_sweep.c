/* The classification threshold sweep of the report: at each threshold the frames whose positive-class
 * probability reaches it are called positive, and the metric engine (hv_cls_eval_arrays) scores that
 * labelling, so the sweep and Table 1 share one definition of every number. */
#include "hemovk/eval_report.h"

#include "gt_internal.h"

#include <stdlib.h>
#include <string.h>

hv_status hv_eval_report_sweep(hv_eval_report *r, int32_t positive) {
    if (!r || !r->gt || !r->res) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_eval_report_sweep: NULL argument");
    r->n_sweep = 0;
    const hv_eval_gt *gt = r->gt;
    const hv_eval_results *res = r->res;
    if (gt->n_classes != 2 || positive < 0 || positive > 1 || !res->n_cls) return HV_OK;
    ev_id_index ix;
    hv_status st = ev_id_index_build(gt, &ix);
    if (st) return st;
    size_t n = 0;
    int32_t *label = malloc(res->n_cls * sizeof *label), *pred = malloc(res->n_cls * sizeof *pred);
    double *score = malloc(res->n_cls * sizeof *score);
    if (!label || !pred || !score) st = hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; !st && i < res->n_cls; i++) {
        const hv_eval_cls *c = &res->cls[i];
        ptrdiff_t k = ev_id_index_find(&ix, c->image_id);
        if (k < 0 || gt->images[k].label < 0 || c->predicted < 0) continue;
        if (!c->probs) { /* no probabilities: no sweep */
            n = 0;
            break;
        }
        label[n] = gt->images[k].label;
        score[n++] = c->probs[positive];
    }
    for (int t = 1; !st && n && t <= 19 && r->n_sweep < HV_EVAL_REPORT_MAX_SWEEP; t++) {
        const double thr = t * 0.05;
        for (size_t i = 0; i < n; i++) pred[i] = score[i] >= thr ? positive : 1 - positive;
        hv_cls_metrics *m = NULL;
        if ((st = hv_cls_eval_arrays(label, pred, NULL, n, 2, positive, 0.99, &m))) break;
        hv_eval_sweep_row *row = &r->sweep[r->n_sweep++];
        row->threshold = thr;
        row->sensitivity = m->sensitivity;
        row->specificity = m->specificity;
        row->precision = m->precision_pct[positive] / 100.0;
        row->f1 = m->f1_pct[positive] / 100.0;
        row->accuracy = m->accuracy_pct / 100.0;
        hv_cls_metrics_free(m);
    }
    free(label);
    free(pred);
    free(score);
    ev_id_index_free(&ix);
    return st;
}
