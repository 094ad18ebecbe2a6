/* The positive class's score curves, as scikit-learn computes them: ROC-AUC (roc_auc_score), PR-AUC
 * (average_precision_score) and a sweep over the distinct scores for operating points. All come from one
 * pass over the samples in descending score, one point per distinct score (tied samples enter together,
 * which makes a tie a diagonal ROC step and one PR point). */
#include <stdlib.h>

#include "eval/metrics_cls_internal.h"
#include "eval/metrics_internal.h"

hv_status hvm_cls_curves(const int32_t *label, const double *score, size_t n, int32_t positive, hv_cls_metrics *m) {
    m->roc_auc = m->pr_auc = -1;
    m->best_f1_threshold = m->best_f1_precision = m->best_f1_recall = m->best_f1 = -1;
    m->sens_threshold = m->sens_sensitivity = m->sens_specificity = -1;
    m->n_scored = 0;
    if (!score || n == 0) return HV_OK;
    m->n_scored = n;
    size_t *idx = malloc(n * sizeof *idx), *tmp = malloc(n * sizeof *tmp);
    if (!idx || !tmp) {
        free(idx), free(tmp);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "classification curves: out of memory for %zu samples", n);
    }
    for (size_t i = 0; i < n; ++i) idx[i] = i;
    hvm_sort_desc_stable(idx, n, score, tmp);
    uint64_t P = 0;
    for (size_t i = 0; i < n; ++i) P += label[i] == positive;
    const uint64_t N = n - P;
    uint64_t tp = 0, fp = 0;
    double fpr0 = 0, tpr0 = 0, roc = 0, ap = 0, rec0 = 0;
    int have_best = 0, have_sens = 0;
    for (size_t i = 0; i < n; ++i) {
        if (label[idx[i]] == positive)
            ++tp;
        else
            ++fp;
        if (i + 1 < n && score[idx[i + 1]] == score[idx[i]]) continue; /* not the last of a tie */
        const double thr = score[idx[i]];
        if (P && N) { /* roc_curve + auc: np.trapz(tpr, fpr) */
            const double fpr = (double)fp / (double)N, tpr = (double)tp / (double)P;
            roc += (fpr - fpr0) * (tpr + tpr0) / 2;
            fpr0 = fpr, tpr0 = tpr;
        }
        if (P) {
            /* average_precision_score: Σ (R_k − R_{k−1}) · P_k, no interpolation */
            const double rec = (double)tp / (double)P, prec = (double)tp / (double)(tp + fp);
            ap += (rec - rec0) * prec;
            rec0 = rec;
            /* F1 = 2TP / (2TP + FP + FN): one correctly rounded division, so equal fractions give equal
             * doubles and a tie keeps the first (largest) threshold */
            const double f1 = (double)(2 * tp) / (double)(2 * tp + fp + (P - tp));
            if (!have_best || f1 > m->best_f1) {
                have_best = 1;
                m->best_f1_threshold = thr;
                m->best_f1_precision = prec;
                m->best_f1_recall = rec;
                m->best_f1 = f1;
            }
            if (!have_sens && rec >= m->target_sensitivity) {
                have_sens = 1;
                m->sens_threshold = thr;
                m->sens_sensitivity = rec;
                m->sens_specificity = N ? (double)(N - fp) / (double)N : -1;
            }
        }
    }
    if (P && N) m->roc_auc = roc;
    if (P) m->pr_auc = ap;
    free(idx), free(tmp);
    return HV_OK;
}
