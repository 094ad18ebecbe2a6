/* CTEST_PROPERTIES SKIP_RETURN_CODE 77 */
/* Classification metrics against scikit-learn on seeded random cases (tools/eval_ref/cls_sklearn_ref.py):
 * binary balanced / imbalanced, heavy score ties, positive class 1, three classes, a tiny case. Asserts
 * to 1e-9: accuracy, per-class and macro P/R/F1 (%), the confusion matrix, sensitivity, specificity,
 * ROC-AUC, PR-AUC (average precision), the best-F1 operating point and the target-sensitivity point; the
 * first case also through hv_cls_eval (ground truth + results). Skips (exit 77) without scikit-learn. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <sys/wait.h>

#include "test_metrics_util.h"

static cJSON *g_cases;

static double num(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    ck_assert_msg(cJSON_IsNumber(v), "field %s missing", key);
    return v->valuedouble;
}

#define CLOSE(got, key)                                                                                           \
    ck_assert_msg(fabs((got) - num(want, key)) <= 1e-9, "case %d: %s = %.15g, scikit-learn %.15g", ci, key, (got), \
                  num(want, key))

static void close_array(const double *got, const cJSON *want, const char *key, size_t n, int ci) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(want, key);
    ck_assert_int_eq(cJSON_GetArraySize(a), (int)n);
    for (size_t i = 0; i < n; ++i)
        ck_assert_msg(fabs(got[i] - cJSON_GetArrayItem(a, (int)i)->valuedouble) <= 1e-9, "case %d: %s[%zu] = %.15g, scikit-learn %.15g",
                      ci, key, i, got[i], cJSON_GetArrayItem(a, (int)i)->valuedouble);
}

static void check(const hv_cls_metrics *m, const cJSON *want, int ci) {
    const size_t C = m->n_classes;
    CLOSE(m->accuracy_pct, "accuracy_pct");
    close_array(m->precision_pct, want, "precision_pct", C, ci);
    close_array(m->recall_pct, want, "recall_pct", C, ci);
    close_array(m->f1_pct, want, "f1_pct", C, ci);
    CLOSE(m->macro_precision_pct, "macro_precision_pct");
    CLOSE(m->macro_recall_pct, "macro_recall_pct");
    CLOSE(m->macro_f1_pct, "macro_f1_pct");
    const cJSON *cm = cJSON_GetObjectItemCaseSensitive(want, "confusion");
    for (size_t i = 0; i < C * C; ++i) ck_assert_uint_eq(m->confusion[i], (uint64_t)cJSON_GetArrayItem(cm, (int)i)->valuedouble);
    CLOSE(m->sensitivity, "sensitivity");
    CLOSE(m->specificity, "specificity");
    CLOSE(m->roc_auc, "roc_auc");
    CLOSE(m->pr_auc, "pr_auc");
    CLOSE(m->best_f1, "best_f1");
    CLOSE(m->best_f1_threshold, "best_f1_threshold");
    CLOSE(m->best_f1_precision, "best_f1_precision");
    CLOSE(m->best_f1_recall, "best_f1_recall");
    CLOSE(m->sens_threshold, "sens_threshold");
    CLOSE(m->sens_sensitivity, "sens_sensitivity");
    CLOSE(m->sens_specificity, "sens_specificity");
}

/* One case's inputs as arrays (owned by the caller). */
static size_t inputs(const cJSON *c, int32_t **label, int32_t **pred, double **score) {
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(c, "label"), *p = cJSON_GetObjectItemCaseSensitive(c, "pred"),
                *s = cJSON_GetObjectItemCaseSensitive(c, "score");
    const size_t n = (size_t)cJSON_GetArraySize(l);
    *label = malloc(n * sizeof **label);
    *pred = malloc(n * sizeof **pred);
    *score = malloc(n * sizeof **score);
    ck_assert(*label && *pred && *score);
    for (size_t i = 0; i < n; ++i) {
        (*label)[i] = (int32_t)cJSON_GetArrayItem(l, (int)i)->valuedouble;
        (*pred)[i] = (int32_t)cJSON_GetArrayItem(p, (int)i)->valuedouble;
        (*score)[i] = cJSON_GetArrayItem(s, (int)i)->valuedouble;
    }
    return n;
}

START_TEST(arrays) {
    int ci = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, g_cases) {
        int32_t *label, *pred;
        double *score;
        const size_t n = inputs(c, &label, &pred, &score);
        hv_cls_metrics *m;
        ck_assert_msg(hv_cls_eval_arrays(label, pred, score, n, (size_t)num(c, "n_classes"), (int32_t)num(c, "positive"),
                                         num(c, "target"), &m) == HV_OK,
                      "%s", hv_last_error());
        check(m, cJSON_GetObjectItemCaseSensitive(c, "expected"), ci);
        printf("case %d (n %zu, %zu classes): acc %.3f %% macro F1 %.3f %% ROC-AUC %.6f AP %.6f best F1 %.4f at %.4g\n", ci, n,
               m->n_classes, m->accuracy_pct, m->macro_f1_pct, m->roc_auc, m->pr_auc, m->best_f1, m->best_f1_threshold);
        hv_cls_metrics_free(m);
        free(label), free(pred), free(score);
        ++ci;
    }
}
END_TEST

/* The first case (binary, bleeding positive) through the ground truth + results path. */
START_TEST(through_results) {
    const cJSON *c = cJSON_GetArrayItem(g_cases, 0);
    int32_t *label, *pred;
    double *score;
    const size_t n = inputs(c, &label, &pred, &score);
    fx f;
    fx_init(&f, n);
    for (size_t i = 0; i < n; ++i) {
        f.gt.images[i].label = label[i];
        const double probs[2] = {score[i], 1 - score[i]};
        fx_cls(&f, (int64_t)i + 1, pred[i], probs);
    }
    hv_cls_metrics *m;
    ck_assert_int_eq(hv_cls_eval(&f.gt, &f.res, NULL, &m), HV_OK);
    ck_assert_int_eq(m->positive, 0);
    check(m, cJSON_GetObjectItemCaseSensitive(c, "expected"), 0);
    hv_cls_metrics_free(m);
    fx_free(&f);
    free(label), free(pred), free(score);
}
END_TEST

int main(void) {
    const char *dir = hvtest_tmpdir("metrics_cls_sklearn");
    if (!dir) return 1;
    char cmd[8192], path[4096];
    snprintf(path, sizeof path, "%s/cases.json", dir);
    snprintf(cmd, sizeof cmd, "'%s' '%s/tools/eval_ref/cls_sklearn_ref.py' '%s'", HEMOVK_PYTHON, HEMOVK_SOURCE_DIR, path);
    const int rc = system(cmd);
    if (WIFEXITED(rc) && WEXITSTATUS(rc) == 3) {
        printf("SKIP eval.metrics_cls_sklearn: scikit-learn is not importable from %s\n", HEMOVK_PYTHON);
        return 77;
    }
    if (rc != 0) {
        fprintf(stderr, "reference script failed (rc %d): %s\n", rc, cmd);
        return 1;
    }
    FILE *fp = fopen(path, "rb");
    if (!fp) return 1;
    fseek(fp, 0, SEEK_END);
    const long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    if (!buf || fread(buf, 1, (size_t)len, fp) != (size_t)len) return 1;
    buf[len] = 0;
    fclose(fp);
    g_cases = cJSON_Parse(buf);
    free(buf);
    if (!g_cases) return 1;
    Suite *s = suite_create("eval.metrics_cls_sklearn");
    TCase *tc = tcase_create("sklearn");
    tcase_add_test(tc, arrays);
    tcase_add_test(tc, through_results);
    suite_add_tcase(s, tc);
    const int ret = hvtest_run(s);
    cJSON_Delete(g_cases);
    return ret;
}
