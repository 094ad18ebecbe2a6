/* Backbone swap without recompiling: ONE pipeline template, written twice with only the `backbone:`
 * lines changed (efficientnet b0 and convnext tiny, reduced widths), both run by the scheduler
 * (hv_pipeline_load/run, what `hemovk run` does) over 8 real WCEBleedGen frames (4 bleeding, 4 not) with
 * `when: classify.bleeding` routing to a second writer. Random weights (these are plumbing runs), so
 * the test also checks that random mode is reported as such on every frame and in the log. Mixed frame
 * sizes are grouped into one plan per shape. Validation layer on, zero messages. */
/* CTEST_ALSO_ON_CPU */
#include "cls_testutil.h"

#include "hemovk/log.h"
#include "hemovk/pipeline.h"

#include <cjson/cJSON.h>
#include <math.h>

static const char *k_template =
    "version: 1\n"
    "name: swap-%s\n"
    "batch: 4\n"
    "stages:\n"
    "  - id: classify\n"
    "    component: classifier\n"
    "    params:\n"
    "%s"
    "      weights: {random: {seed: 7}}\n"
    "      preprocess: imagenet\n"
    "      resize: stretch\n"
    "      size: [96, 96]\n"
    "      labels: [bleeding, non-bleeding]\n"
    "      positive: bleeding\n"
    "      threshold: %s\n"
    "outputs:\n"
    "  - {id: all, component: writer.jsonl, path: all.jsonl}\n"
    "  - {id: flagged, component: writer.jsonl, path: flagged.jsonl, when: classify.bleeding}\n";

static const char *k_effnet = "      backbone:\n        component: efficientnet\n"
                              "        params: {arch: b0, width: 0.25, depth: 0.34}\n";
static const char *k_convnext = "      backbone:\n        component: convnext\n"
                                "        params: {arch: tiny, depths: [1, 1, 1, 1], dims: [16, 32, 48, 64]}\n";

static char g_list[600];

static void setup(void) {
    /* the scheduler opens its own device; nothing else to prepare but the frame list */
    const char *dir = hvtest_tmpdir("cls-swap");
    snprintf(g_list, sizeof g_list, "%s/frames.txt", dir);
    FILE *f = fopen(g_list, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 1; i <= 4; i++) {
        fprintf(f, WCE_BLEEDING "\n", 100 * i);
        fprintf(f, WCE_NORMAL "\n", 100 * i);
    }
    fclose(f);
}

static void teardown(void) { ck_assert_uint_eq(hv_validation_message_count(), 0); }

/* Write the template with `backbone` and `threshold`, run it, return the output folder. */
static const char *run_pipeline(const char *tag, const char *backbone, const char *threshold) {
    static char out[600];
    char path[600], yaml[4096];
    const char *dir = hvtest_tmpdir(tag);
    snprintf(path, sizeof path, "%s/pipeline.yaml", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(yaml, sizeof yaml, k_template, tag, backbone, threshold);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(yaml, f);
    fclose(f);
    hv_pipeline *p = NULL;
    hv_status st = hv_pipeline_load(path, NULL, &p);
    ck_assert_msg(st == HV_OK, "%s", hv_last_error());
    hv_pipeline_run_options o;
    hv_pipeline_run_options_init(&o);
    o.input = g_list;
    o.output_dir = out;
    o.progress = HV_PROGRESS_NONE;
    hv_pipeline_summary sum;
    st = hv_pipeline_run(p, &o, &sum);
    ck_assert_msg(st == HV_OK, "%s", hv_last_error());
    ck_assert_uint_eq(sum.frames_in, 8);
    ck_assert_uint_eq(sum.frames_done, 8);
    ck_assert_uint_eq(sum.failed, 0);
    hv_pipeline_summary_free(&sum);
    hv_pipeline_free(p);
    return out;
}

typedef struct result {
    int n, flagged_count;
    float p[8][2];
    int label[8];
} result;

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = calloc(1, (size_t)n + 1);
    ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return s;
}

/* Read all.jsonl (every frame must carry a classification and the random-weights mark) and count
 * flagged.jsonl's lines. */
static void read_results(const char *out, double threshold, result *r) {
    memset(r, 0, sizeof *r);
    char path[700];
    snprintf(path, sizeof path, "%s/all.jsonl", out);
    char *text = slurp(path);
    ck_assert_ptr_nonnull(text);
    int flagged_expected = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *j = cJSON_Parse(line);
        ck_assert_ptr_nonnull(j);
        cJSON *c = cJSON_GetObjectItem(j, "classification");
        ck_assert_msg(cJSON_IsObject(c), "no classification in %s", line);
        cJSON *probs = cJSON_GetObjectItem(c, "probs");
        ck_assert_int_eq(cJSON_GetArraySize(probs), 2);
        float p0 = (float)cJSON_GetArrayItem(probs, 0)->valuedouble, p1 = (float)cJSON_GetArrayItem(probs, 1)->valuedouble;
        ck_assert(isfinite(p0) && isfinite(p1));
        ck_assert_float_eq_tol(p0 + p1, 1.0f, 1e-5f);
        int label = cJSON_GetObjectItem(c, "index")->valueint;
        ck_assert_int_eq(label, p0 >= threshold ? 0 : 1); /* the threshold rule, positive = index 0 */
        ck_assert_str_eq(cJSON_GetObjectItem(c, "label")->valuestring, label ? "non-bleeding" : "bleeding");
        cJSON *meta = cJSON_GetObjectItem(j, "meta");
        cJSON *mark = cJSON_GetObjectItem(meta, "classify.weights");
        ck_assert_msg(cJSON_IsString(mark) && !strcmp(mark->valuestring, "random(seed=7)"),
                      "frame not marked as random weights: %s", line);
        flagged_expected += label == 0;
        r->p[r->n][0] = p0, r->p[r->n][1] = p1, r->label[r->n] = label;
        r->n++;
        cJSON_Delete(j);
    }
    free(text);
    ck_assert_int_eq(r->n, 8);
    snprintf(path, sizeof path, "%s/flagged.jsonl", out);
    text = slurp(path);
    int lines = 0;
    for (char *s = text; s && *s; s++) lines += *s == '\n';
    free(text);
    ck_assert_int_eq(lines, flagged_expected); /* `when: classify.bleeding` routed exactly the flagged frames */
    r->flagged_count = lines;
}

START_TEST(same_yaml_two_backbones) {
    unsigned warnings_before = hv_log_warning_count();
    result a, b;
    read_results(run_pipeline("cls-swap-eff", k_effnet, "0.5"), 0.5, &a);
    read_results(run_pipeline("cls-swap-cnx", k_convnext, "0.5"), 0.5, &b);
    /* random mode is logged as a warning in each run */
    ck_assert_uint_ge(hv_log_warning_count() - warnings_before, 2);
    /* the backbones are different networks: their outputs differ; within one network frames differ */
    double diff = 0, spread = 0;
    for (int i = 0; i < 8; i++) diff += fabs(a.p[i][0] - b.p[i][0]), spread += fabs(a.p[i][0] - a.p[0][0]);
    ck_assert_msg(diff > 1e-4, "efficientnet and convnext gave the same probabilities");
    ck_assert_msg(spread > 1e-6, "every frame got the same probabilities: the input does not reach the network");
}
END_TEST

/* Threshold 0 flags every frame, 1 none: the routing follows the stage's decision, not argmax. */
START_TEST(threshold_routes_frames) {
    result r;
    read_results(run_pipeline("cls-swap-thr0", k_effnet, "0.0"), 0.0, &r);
    ck_assert_int_eq(r.flagged_count, 8);
    read_results(run_pipeline("cls-swap-thr1", k_effnet, "1.0"), 1.0, &r);
    ck_assert_int_eq(r.flagged_count, 0);
}
END_TEST

int main(void) {
    Suite *s = suite_create("classify.backbone_swap");
    TCase *tc = tcase_create("swap");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, same_yaml_two_backbones);
    tcase_add_test(tc, threshold_routes_frames);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
