/* Classification metrics (MODEL_SPEC §9.1): mmpretrain's Accuracy and SingleLabelMetric(average='macro')
 * as the paper's Table 1 reports them, plus the positive class against the rest. The curves are in
 * metrics_cls_curves.c. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval/metrics_internal.h"
#include "eval/metrics_cls_internal.h"

void hv_cls_params_default(hv_cls_params *p) {
    if (!p) return;
    p->positive = -1;
    p->target_sensitivity = 0.99;
}

void hv_cls_metrics_free(hv_cls_metrics *m) {
    if (!m) return;
    free(m->confusion);
    free(m->precision_pct);
    free(m->recall_pct);
    free(m->f1_pct);
    free(m);
}

hv_status hv_cls_eval_arrays(const int32_t *label, const int32_t *predicted, const double *score, size_t n,
                             size_t n_classes, int32_t positive, double target_sensitivity, hv_cls_metrics **out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "classification metrics: NULL output pointer");
    *out = NULL;
    if (n && (!label || !predicted)) return hv_error(HV_ERR_INVALID_ARGUMENT, "classification metrics: NULL labels");
    if (n_classes < 2 || n_classes > 65536)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "classification metrics: %zu classes (need 2..65536)", n_classes);
    if (positive < 0 || (size_t)positive >= n_classes)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "classification metrics: positive class %d is not in [0, %zu)",
                        (int)positive, n_classes);
    if (!(target_sensitivity >= 0 && target_sensitivity <= 1))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "classification metrics: target sensitivity %g is not in [0, 1]",
                        target_sensitivity);
    for (size_t i = 0; i < n; ++i) {
        if (label[i] < 0 || (size_t)label[i] >= n_classes || predicted[i] < 0 || (size_t)predicted[i] >= n_classes)
            return hv_error(HV_ERR_INVALID_ARGUMENT, "classification metrics: sample %zu has label %d / prediction %d outside [0, %zu)",
                            i, (int)label[i], (int)predicted[i], n_classes);
        if (score && !isfinite(score[i]))
            return hv_error(HV_ERR_INVALID_ARGUMENT, "classification metrics: sample %zu has a non-finite probability", i);
    }
    const size_t C = n_classes;
    hv_cls_metrics *m = calloc(1, sizeof *m);
    if (!m) return hv_error(HV_ERR_OUT_OF_MEMORY, "classification metrics: out of memory");
    m->confusion = calloc(C * C, sizeof *m->confusion);
    m->precision_pct = calloc(C, sizeof *m->precision_pct);
    m->recall_pct = calloc(C, sizeof *m->recall_pct);
    m->f1_pct = calloc(C, sizeof *m->f1_pct);
    if (!m->confusion || !m->precision_pct || !m->recall_pct || !m->f1_pct) {
        hv_cls_metrics_free(m);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "classification metrics: out of memory for %zu classes", C);
    }
    m->n_classes = C;
    m->positive = positive;
    m->n = n;
    m->target_sensitivity = target_sensitivity;
    for (size_t i = 0; i < n; ++i) ++m->confusion[(size_t)label[i] * C + (size_t)predicted[i]];
    uint64_t correct = 0;
    for (size_t k = 0; k < C; ++k) correct += m->confusion[k * C + k];
    m->accuracy_pct = n ? (double)correct / (double)n * 100 : -1;
    /* SingleLabelMetric: per class P = TP/max(pred, 1), R = TP/max(gt, 1) in %, F1 = 2PR/max(P+R, eps of
     * float32); the macro values average each over the classes (macro F1 is not F1 of macro P and R) */
    for (size_t k = 0; k < C; ++k) {
        uint64_t pred = 0, truth = 0;
        for (size_t j = 0; j < C; ++j) {
            pred += m->confusion[j * C + k];
            truth += m->confusion[k * C + j];
        }
        const double tp = (double)m->confusion[k * C + k];
        const double P = tp / (double)(pred > 1 ? pred : 1) * 100, R = tp / (double)(truth > 1 ? truth : 1) * 100;
        m->precision_pct[k] = P;
        m->recall_pct[k] = R;
        m->f1_pct[k] = 2 * P * R / fmax(P + R, (double)FLT_EPSILON);
        m->macro_precision_pct += P;
        m->macro_recall_pct += R;
        m->macro_f1_pct += m->f1_pct[k];
    }
    m->macro_precision_pct /= (double)C;
    m->macro_recall_pct /= (double)C;
    m->macro_f1_pct /= (double)C;
    /* the positive class against the rest */
    const size_t pc = (size_t)positive;
    for (size_t i = 0; i < C; ++i)
        for (size_t j = 0; j < C; ++j) {
            const uint64_t v = m->confusion[i * C + j];
            if (i == pc && j == pc)
                m->tp += v;
            else if (i == pc)
                m->fn += v;
            else if (j == pc)
                m->fp += v;
            else
                m->tn += v;
        }
    m->sensitivity = m->tp + m->fn ? (double)m->tp / (double)(m->tp + m->fn) : -1;
    m->specificity = m->tn + m->fp ? (double)m->tn / (double)(m->tn + m->fp) : -1;
    hv_status st = hvm_cls_curves(label, score, n, positive, m);
    if (st) {
        hv_cls_metrics_free(m);
        return st;
    }
    *out = m;
    return HV_OK;
}

/* Position of image id `id` in the ascending ids[0..n) (pairs of id, index), or −1. */
typedef struct cls_id {
    int64_t id;
    size_t at;
} cls_id;

static int cmp_cls_id(const void *a, const void *b) {
    const cls_id *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static long find_id(const cls_id *ids, size_t n, int64_t id) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (ids[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && ids[lo].id == id ? (long)ids[lo].at : -1;
}

hv_status hv_cls_eval(const hv_eval_gt *gt, const hv_eval_results *res, const hv_cls_params *params,
                      hv_cls_metrics **out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "classification metrics: NULL output pointer");
    *out = NULL;
    if (!gt || !res) return hv_error(HV_ERR_INVALID_ARGUMENT, "classification metrics: NULL ground truth or results");
    if ((gt->n_images && !gt->images) || (res->n_cls && !res->cls) || (gt->n_classes && !gt->class_names))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "classification metrics: an array is NULL but its count is not 0");
    hv_cls_params p;
    hv_cls_params_default(&p);
    if (params) p = *params;
    const size_t C = gt->n_classes;
    if (C < 2)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "classification metrics: the ground truth has %zu classes (need 2 or more)", C);
    int32_t pos = p.positive;
    if (pos < 0) {
        for (size_t k = 0; k < C && pos < 0; ++k)
            if (gt->class_names[k] && strcmp(gt->class_names[k], "bleeding") == 0) pos = (int32_t)k;
        if (pos < 0)
            return hv_error(HV_ERR_INVALID_ARGUMENT,
                            "classification metrics: no class is named \"bleeding\"; choose the positive class by index");
    } else if ((size_t)pos >= C) {
        return hv_error(HV_ERR_INVALID_ARGUMENT, "classification metrics: positive class %d is not in [0, %zu)", (int)pos, C);
    }
    const size_t I = gt->n_images, R = res->n_cls;
    cls_id *ids = malloc((I ? I : 1) * sizeof *ids);
    uint8_t *seen = calloc(I ? I : 1, 1);
    int32_t *lab = malloc((R ? R : 1) * sizeof *lab), *pred = malloc((R ? R : 1) * sizeof *pred);
    double *sc = malloc((R ? R : 1) * sizeof *sc);
    hv_status st = HV_OK;
    if (!ids || !seen || !lab || !pred || !sc) {
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "classification metrics: out of memory for %zu results", R);
        goto done;
    }
    for (size_t i = 0; i < I; ++i) {
        ids[i] = (cls_id){gt->images[i].id, i};
        if (gt->images[i].label < -1 || gt->images[i].label >= (int32_t)C) {
            st = hv_error(HV_ERR_INVALID_ARGUMENT, "classification metrics: image %lld has label %d outside [-1, %zu)",
                          (long long)gt->images[i].id, (int)gt->images[i].label, C);
            goto done;
        }
    }
    qsort(ids, I, sizeof *ids, cmp_cls_id);
    size_t n = 0, unlabelled = 0, unclassified = 0, with_probs = 0;
    for (size_t j = 0; j < R; ++j) {
        const hv_eval_cls *c = &res->cls[j];
        const long i = find_id(ids, I, c->image_id);
        if (i < 0) {
            st = hv_error(HV_ERR_INVALID_ARGUMENT, "classification metrics: result %zu is on image id %lld, which is not in the ground truth",
                          j, (long long)c->image_id);
            goto done;
        }
        if (seen[i]) {
            st = hv_error(HV_ERR_INVALID_ARGUMENT, "classification metrics: image id %lld has two classification results",
                          (long long)c->image_id);
            goto done;
        }
        seen[i] = 1;
        if (c->predicted < -1 || c->predicted >= (int32_t)C) {
            st = hv_error(HV_ERR_INVALID_ARGUMENT, "classification metrics: result %zu predicts class %d outside [-1, %zu)", j,
                          (int)c->predicted, C);
            goto done;
        }
        const int32_t label = gt->images[i].label;
        if (label < 0) {
            ++unlabelled;
            continue;
        }
        if (c->predicted < 0) {
            ++unclassified;
            continue;
        }
        if (c->probs && !isfinite(c->probs[pos])) {
            st = hv_error(HV_ERR_INVALID_ARGUMENT, "classification metrics: result %zu (image id %lld) has a non-finite probability",
                          j, (long long)c->image_id);
            goto done;
        }
        lab[n] = label;
        pred[n] = c->predicted;
        sc[n] = c->probs ? c->probs[pos] : 0;
        with_probs += c->probs != NULL;
        ++n;
    }
    size_t missing = 0;
    for (size_t i = 0; i < I; ++i) missing += !seen[i] && gt->images[i].label >= 0;
    /* the curves need a score for every evaluated sample; a partial set would rank a different population */
    st = hv_cls_eval_arrays(lab, pred, with_probs == n ? sc : NULL, n, C, pos, p.target_sensitivity, out);
    if (st == HV_OK) {
        (*out)->n_missing = missing;
        (*out)->n_unlabelled = unlabelled;
        (*out)->n_unclassified = unclassified;
    }
done:
    free(ids), free(seen), free(lab), free(pred), free(sc);
    return st;
}
