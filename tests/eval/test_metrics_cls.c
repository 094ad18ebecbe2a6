/* Classification metrics on hand-built samples whose numbers are derived in the comments: Table 1's
 * macro P/R/F1 (mmpretrain, in %), the positive class, ROC-AUC with a tie, PR-AUC, the threshold sweep,
 * and the bookkeeping of hv_cls_eval (missing, unlabelled, unclassified results, errors). The agreement
 * with scikit-learn on random data is test_metrics_cls_sklearn.c. */
#include <float.h>
#include <math.h>

#include "test_metrics_util.h"

#define NEAR(a, b) (fabs((a) - (b)) <= 1e-12)

/* Six frames, classes {bleeding = 0, non-bleeding = 1}, positive = bleeding (by name):
 *   #  label  pred  p(bleeding)
 *   1    0     0     .9
 *   2    0     0     .8
 *   3    0     1     .4
 *   4    1     0     .8     (ties with #2)
 *   5    1     1     .3
 *   6    1     1     .1
 * Confusion rows (true) × columns (predicted): [[2, 1], [1, 2]]. Accuracy 4/6 = 66.67 %.
 * Each class: P = 2/3, R = 2/3, F1 = 2/3 → all macro values 66.67 %. TP 2, FN 1, FP 1, TN 2:
 * sensitivity = specificity = 2/3.
 * ROC over the distinct scores (P = N = 3): .9 → (fpr 0, tpr 1/3); .8 → (1/3, 2/3) (the tie enters at
 * once: a diagonal step); .4 → (1/3, 1); .3 → (2/3, 1); .1 → (1, 1). Trapezoids: 0 + 1/3·(1/3+2/3)/2
 * + 0 + 1/3 + 1/3 = 5/6 (Mann–Whitney: 7.5 of 9 pairs ordered, the tie counting ½).
 * AP: .9 → R 1/3, P 1; .8 → R 2/3, P 2/3; .4 → R 1, P 3/4; then ΔR = 0:
 *   1/3·1 + 1/3·2/3 + 1/3·3/4 = 29/36.
 * Sweep, F1 = 2TP/(2TP+FP+FN): .9 → 2/4; .8 → 4/6; .4 → 6/7; .3 → 6/8; .1 → 6/9: best 6/7 at .4
 * (P 3/4, R 1). Sensitivity ≥ .99 first at .4: sensitivity 1, specificity (3 − 1)/3 = 2/3. */
START_TEST(hand_binary) {
    fx f;
    fx_init(&f, 6);
    const int32_t label[6] = {0, 0, 0, 1, 1, 1}, pred[6] = {0, 0, 1, 0, 1, 1};
    const double pb[6] = {.9, .8, .4, .8, .3, .1};
    for (int i = 0; i < 6; ++i) {
        f.gt.images[i].label = label[i];
        const double probs[2] = {pb[i], 1 - pb[i]};
        fx_cls(&f, i + 1, pred[i], probs);
    }
    hv_cls_metrics *m;
    ck_assert_int_eq(hv_cls_eval(&f.gt, &f.res, NULL, &m), HV_OK);
    ck_assert_int_eq(m->positive, 0);
    ck_assert(m->n == 6 && m->n_missing == 0 && m->n_unlabelled == 0 && m->n_unclassified == 0);
    ck_assert(m->confusion[0] == 2 && m->confusion[1] == 1 && m->confusion[2] == 1 && m->confusion[3] == 2);
    ck_assert(NEAR(m->accuracy_pct, 400.0 / 6));
    for (int k = 0; k < 2; ++k)
        ck_assert(NEAR(m->precision_pct[k], 200.0 / 3) && NEAR(m->recall_pct[k], 200.0 / 3) && NEAR(m->f1_pct[k], 200.0 / 3));
    ck_assert(NEAR(m->macro_precision_pct, 200.0 / 3) && NEAR(m->macro_recall_pct, 200.0 / 3) && NEAR(m->macro_f1_pct, 200.0 / 3));
    ck_assert(m->tp == 2 && m->fn == 1 && m->fp == 1 && m->tn == 2);
    ck_assert(NEAR(m->sensitivity, 2.0 / 3) && NEAR(m->specificity, 2.0 / 3));
    ck_assert_uint_eq(m->n_scored, 6);
    ck_assert_msg(NEAR(m->roc_auc, 5.0 / 6), "roc %.15g", m->roc_auc);
    ck_assert_msg(NEAR(m->pr_auc, 29.0 / 36), "ap %.15g", m->pr_auc);
    ck_assert(m->best_f1_threshold == .4 && NEAR(m->best_f1, 6.0 / 7) && NEAR(m->best_f1_precision, .75) && m->best_f1_recall == 1);
    ck_assert(m->sens_threshold == .4 && m->sens_sensitivity == 1 && NEAR(m->sens_specificity, 2.0 / 3));
    hv_cls_metrics_free(m);

    /* the same with non-bleeding as the positive class (index 1, scores 1 − p): confusion unchanged,
     * TP 2 (true 1, pred 1), FN 1, FP 1: sensitivity 2/3; the ROC of the complement scores is the mirror:
     * AUC still 5/6 */
    hv_cls_params p;
    hv_cls_params_default(&p);
    p.positive = 1;
    ck_assert_int_eq(hv_cls_eval(&f.gt, &f.res, &p, &m), HV_OK);
    ck_assert(m->positive == 1 && m->tp == 2 && NEAR(m->roc_auc, 5.0 / 6));
    hv_cls_metrics_free(m);
    fx_free(&f);
}
END_TEST

/* A class never predicted: labels {0, 0, 1, 1}, every prediction 0.
 * Class 0: P = 2/max(4,1) = 50 %, R = 2/2 = 100 %, F1 = 2·50·100/150 = 66.67 %.
 * Class 1: P = 0/max(0,1) = 0, R = 0/2 = 0, F1 = 0/max(0, eps) = 0.
 * Macro: P 25 %, R 50 %, F1 (66.67 + 0)/2 = 33.33 %. Accuracy 50 %. Bleeding (0) positive: TP 2, FP 2,
 * FN 0, TN 0 → sensitivity 1, specificity 0. */
START_TEST(never_predicted) {
    const int32_t label[4] = {0, 0, 1, 1}, pred[4] = {0, 0, 0, 0};
    hv_cls_metrics *m;
    ck_assert_int_eq(hv_cls_eval_arrays(label, pred, NULL, 4, 2, 0, .99, &m), HV_OK);
    ck_assert(NEAR(m->precision_pct[0], 50) && NEAR(m->recall_pct[0], 100) && NEAR(m->f1_pct[0], 200.0 / 3));
    ck_assert(m->precision_pct[1] == 0 && m->recall_pct[1] == 0 && m->f1_pct[1] == 0);
    ck_assert(NEAR(m->macro_precision_pct, 25) && NEAR(m->macro_recall_pct, 50) && NEAR(m->macro_f1_pct, 100.0 / 3));
    ck_assert(NEAR(m->accuracy_pct, 50));
    ck_assert(m->sensitivity == 1 && m->specificity == 0);
    ck_assert(m->roc_auc == -1 && m->n_scored == 0); /* no scores: no curves */
    hv_cls_metrics_free(m);
}
END_TEST

/* Macro F1 differs from F1 of the macro P and R: labels {0,0,0,1}, predictions {0,1,1,1}.
 * Class 0: P 1/1 = 100, R 1/3 = 33.33, F1 = 2·100·33.33/133.33 = 50.
 * Class 1: P 1/3 = 33.33, R 1/1 = 100, F1 = 50. Macro F1 = 50; F1(66.67, 66.67) would be 66.67. */
START_TEST(macro_f1_is_mean_of_f1) {
    const int32_t label[4] = {0, 0, 0, 1}, pred[4] = {0, 1, 1, 1};
    hv_cls_metrics *m;
    ck_assert_int_eq(hv_cls_eval_arrays(label, pred, NULL, 4, 2, 0, .99, &m), HV_OK);
    ck_assert(NEAR(m->macro_precision_pct, 200.0 / 3) && NEAR(m->macro_recall_pct, 200.0 / 3));
    ck_assert_msg(NEAR(m->macro_f1_pct, 50), "macro F1 %.15g", m->macro_f1_pct);
    hv_cls_metrics_free(m);
}
END_TEST

/* One class only among the scored samples: AUC undefined (−1), as roc_auc_score refuses it; AP still
 * defined when positives exist (all positive: precision 1 at every threshold → AP 1). */
START_TEST(one_class) {
    const int32_t label[3] = {0, 0, 0}, pred[3] = {0, 1, 0};
    const double s[3] = {.9, .2, .5};
    hv_cls_metrics *m;
    ck_assert_int_eq(hv_cls_eval_arrays(label, pred, s, 3, 2, 0, .99, &m), HV_OK);
    ck_assert(m->roc_auc == -1 && m->pr_auc == 1 && m->specificity == -1);
    ck_assert(m->sens_threshold == .2 && m->sens_specificity == -1);
    hv_cls_metrics_free(m);
}
END_TEST

/* hv_cls_eval's bookkeeping: 5 images; #1 labelled, classified; #2 labelled, no result (missing); #3
 * label −1 with a result (unlabelled); #4 labelled, predicted −1 (unclassified); #5 labelled, classified
 * without probabilities → no curves (a partial set of scores would rank another population). */
START_TEST(bookkeeping) {
    fx f;
    fx_init(&f, 5);
    const int32_t lab[5] = {0, 1, -1, 0, 1};
    for (int i = 0; i < 5; ++i) f.gt.images[i].label = lab[i];
    const double pr[2] = {.7, .3};
    fx_cls(&f, 1, 0, pr);
    fx_cls(&f, 3, 1, pr);
    fx_cls(&f, 4, -1, NULL);
    fx_cls(&f, 5, 1, NULL);
    hv_cls_metrics *m;
    ck_assert_int_eq(hv_cls_eval(&f.gt, &f.res, NULL, &m), HV_OK);
    ck_assert(m->n == 2 && m->n_missing == 1 && m->n_unlabelled == 1 && m->n_unclassified == 1);
    ck_assert(m->accuracy_pct == 100 && m->n_scored == 0 && m->roc_auc == -1);
    hv_cls_metrics_free(m);
    /* errors */
    fx_cls(&f, 1, 0, pr); /* a second result for image 1 */
    ck_assert_int_eq(hv_cls_eval(&f.gt, &f.res, NULL, &m), HV_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(m);
    f.res.cls[4].image_id = 99;
    ck_assert_int_eq(hv_cls_eval(&f.gt, &f.res, NULL, &m), HV_ERR_INVALID_ARGUMENT);
    free(f.res.cls[4].probs);
    f.res.n_cls = 4;
    f.res.cls[0].predicted = 2;
    ck_assert_int_eq(hv_cls_eval(&f.gt, &f.res, NULL, &m), HV_ERR_INVALID_ARGUMENT);
    f.res.cls[0].predicted = 0;
    f.res.cls[0].probs[0] = NAN;
    ck_assert_int_eq(hv_cls_eval(&f.gt, &f.res, NULL, &m), HV_ERR_INVALID_ARGUMENT);
    f.res.cls[0].probs[0] = .7;
    f.gt.class_names[0] = (char *)"blood";
    ck_assert_int_eq(hv_cls_eval(&f.gt, &f.res, NULL, &m), HV_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(hv_last_error(), "bleeding"), "message: %s", hv_last_error());
    hv_cls_params p = {.positive = 5, .target_sensitivity = .99};
    ck_assert_int_eq(hv_cls_eval(&f.gt, &f.res, &p, &m), HV_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(hv_cls_eval(NULL, &f.res, NULL, &m), HV_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(hv_cls_eval_arrays(NULL, NULL, NULL, 0, 1, 0, .99, &m), HV_ERR_INVALID_ARGUMENT);
    hv_cls_metrics_free(NULL);
    fx_free(&f);
}
END_TEST

int main(void) {
    Suite *s = suite_create("eval.metrics_cls");
    TCase *tc = tcase_create("hand");
    tcase_add_test(tc, hand_binary);
    tcase_add_test(tc, never_predicted);
    tcase_add_test(tc, macro_f1_is_mean_of_f1);
    tcase_add_test(tc, one_class);
    tcase_add_test(tc, bookkeeping);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
