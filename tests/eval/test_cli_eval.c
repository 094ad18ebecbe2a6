/* hemovk gt and hemovk eval end to end on the real WCEBleedGen validation split: results made from the
 * ground truth itself score AP 1 and 100 % accuracy; with the detections of every other bleeding frame
 * removed the localisation rate is exactly the share kept; each bad input exits 3 naming the thing, a bad
 * command line exits 2. */
#include "hvtest.h"

#include "hemovk/eval.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define ROOT HEMOVK_SHARED_DIR "/data/wcebleedgen/WCEBleedGen"

static char g_dir[4096], g_gt[4200];
static char g_out[65536];

/* Run the CLI with `args`; stdout+stderr into g_out; returns the exit code. */
static int cli(const char *args) {
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", HEMOVK_CLI, args);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = 0, k;
    while ((k = fread(g_out + n, 1, sizeof g_out - 1 - n, p)) > 0) n += k;
    g_out[n] = '\0';
    int status = pclose(p);
    ck_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static cJSON *read_json(const char *path) {
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "no %s", path);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cJSON *j = cJSON_Parse(buf);
    ck_assert_msg(j != NULL, "%s is not JSON", path);
    return j;
}

static double num_at(const cJSON *o, const char *a, const char *b, const char *c) {
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(o, a), b);
    if (c) v = cJSON_GetObjectItem(v, c);
    ck_assert_msg(cJSON_IsNumber(v), "%s.%s%s%s is not a number", a, b, c ? "." : "", c ? c : "");
    return v->valuedouble;
}

/* results.jsonl from the ground truth: each frame classified as its label, each instance detected with
 * its own box and mask under model "ensemble"; `skip_every_other`: bleeding frames 2, 4, … get none.
 * `edit` lets a test break one line. Returns the number of bleeding frames that keep detections. */
static size_t write_results(const char *path, int skip_every_other, void (*edit)(cJSON *frame, size_t i)) {
    hv_eval_gt gt;
    ck_assert_msg(hv_eval_gt_read_coco(g_gt, &gt) == HV_OK, "%s", hv_last_error());
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    size_t nb = 0, kept = 0;
    for (size_t i = 0; i < gt.n_images; i++) {
        const hv_eval_image *im = &gt.images[i];
        cJSON *o = cJSON_CreateObject();
        char p[4200];
        snprintf(p, sizeof p, "../shared/data/wcebleedgen/WCEBleedGen/%s", im->file_name);
        cJSON_AddStringToObject(o, "path", p);
        cJSON *c = cJSON_AddObjectToObject(o, "classification");
        cJSON_AddStringToObject(c, "label", gt.class_names[im->label]);
        cJSON_AddNumberToObject(c, "index", im->label);
        cJSON_AddNumberToObject(c, "score", 0.9);
        double probs[2] = {im->label == 0 ? 0.9 : 0.1, im->label == 0 ? 0.1 : 0.9};
        cJSON_AddItemToObject(c, "probs", cJSON_CreateDoubleArray(probs, 2));
        cJSON *dets = cJSON_AddArrayToObject(o, "detections");
        int keep = 1;
        if (im->label == 0) {
            nb++;
            keep = !(skip_every_other && nb % 2 == 0);
        }
        int any = 0;
        for (size_t a = 0; keep && a < gt.n_anns; a++) {
            const hv_eval_ann *an = &gt.anns[a];
            if (an->image_id != im->id) continue;
            any = 1;
            cJSON *d = cJSON_CreateObject();
            double box[4] = {an->bbox[0], an->bbox[1], an->bbox[0] + an->bbox[2], an->bbox[1] + an->bbox[3]};
            cJSON_AddItemToObject(d, "box", cJSON_CreateDoubleArray(box, 4));
            cJSON_AddNumberToObject(d, "score", 0.8);
            cJSON_AddNumberToObject(d, "label", 0);
            cJSON_AddStringToObject(d, "model", "ensemble");
            cJSON *m = cJSON_AddObjectToObject(d, "mask");
            double size[2] = {an->segm.h, an->segm.w};
            cJSON_AddItemToObject(m, "size", cJSON_CreateDoubleArray(size, 2));
            cJSON *counts = cJSON_AddArrayToObject(m, "counts");
            for (size_t k = 0; k < an->segm.n; k++) cJSON_AddItemToArray(counts, cJSON_CreateNumber(an->segm.counts[k]));
            cJSON_AddItemToArray(dets, d);
        }
        kept += im->label == 0 && any;
        if (edit) edit(o, i);
        char *line = cJSON_PrintUnformatted(o);
        if (line && line[0]) fprintf(f, "%s\n", line);
        free(line);
        cJSON_Delete(o);
    }
    fclose(f);
    hv_eval_gt_free(&gt);
    return kept;
}

/* Runs once in the parent process (an unchecked fixture), so the forked tests share the file. */
static void setup(void) {
    if (g_gt[0]) return;
    snprintf(g_dir, sizeof g_dir, "%s", hvtest_tmpdir("cli_eval"));
    snprintf(g_gt, sizeof g_gt, "%s/gt_val.json", g_dir);
    char args[8400];
    snprintf(args, sizeof args, "gt '%s' --output '%s' --split val", ROOT, g_gt);
    ck_assert_msg(cli(args) == 0, "%s", g_out);
    ck_assert_msg(strstr(g_out, "525 images (262 bleeding, 263 non-bleeding)"), "%s", g_out);
    ck_assert_msg(strstr(g_out, "disagreements"), "%s", g_out);
}

START_TEST(gt_command) {
    setup();
    cJSON *j = read_json(g_gt);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "images")), 525);
    ck_assert_int_gt(cJSON_GetArraySize(cJSON_GetObjectItem(j, "disagreements")), 0);
    const cJSON *a0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "annotations"), 0);
    ck_assert(cJSON_IsString(cJSON_GetObjectItem(cJSON_GetObjectItem(a0, "segmentation"), "counts")));
    cJSON_Delete(j);
    ck_assert_int_eq(cli("gt"), 2);
    ck_assert_int_eq(cli("gt /nonexistent --output x.json"), 3);
    ck_assert_msg(strstr(g_out, "/nonexistent"), "%s", g_out);
}
END_TEST

START_TEST(perfect_results) {
    setup();
    char run[4200], args[16384], path[4300];
    snprintf(run, sizeof run, "%s/perfect", g_dir);
    snprintf(path, sizeof path, "mkdir -p '%s'", run);
    ck_assert_int_eq(system(path), 0);
    snprintf(path, sizeof path, "%s/results.jsonl", run);
    write_results(path, 0, NULL);
    snprintf(args, sizeof args, "eval --ground-truth '%s' --results '%s'", g_gt, run);
    ck_assert_msg(cli(args) == 0, "%s", g_out);
    ck_assert_msg(strstr(g_out, "| 100.00 | 100.00 | 100.00 | 100.00 |"), "%s", g_out);
    snprintf(path, sizeof path, "%s/eval/metrics.json", run);
    cJSON *m = read_json(path);
    ck_assert_double_eq(num_at(m, "classification", "accuracy_pct", NULL), 100);
    ck_assert_double_eq(num_at(m, "classification", "macro_f1_pct", NULL), 100);
    ck_assert_double_eq(num_at(m, "classification", "roc_auc", NULL), 1);
    ck_assert_double_eq_tol(num_at(m, "bbox", "stats", "AP"), 1, 1e-12);
    ck_assert_double_eq_tol(num_at(m, "segm", "stats", "AP"), 1, 1e-12);
    ck_assert_double_eq_tol(num_at(m, "segm", "table2", "AP@100"), 1, 1e-12);
    ck_assert_double_eq(num_at(m, "localisation", "rate", NULL), 1);
    ck_assert_double_eq(num_at(m, "localisation", "images", NULL), 262);
    cJSON_Delete(m);
    /* frames.jsonl: one line per frame */
    snprintf(path, sizeof path, "%s/eval/frames.jsonl", run);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    int lines = 0, c;
    while ((c = fgetc(f)) != EOF) lines += c == '\n';
    fclose(f);
    ck_assert_int_eq(lines, 525);
}
END_TEST

START_TEST(half_the_detections) {
    setup();
    char run[4200], args[16384], path[4300];
    snprintf(run, sizeof run, "%s/half", g_dir);
    snprintf(path, sizeof path, "mkdir -p '%s'", run);
    ck_assert_int_eq(system(path), 0);
    snprintf(path, sizeof path, "%s/results.jsonl", run);
    size_t kept = write_results(path, 1, NULL);
    snprintf(args, sizeof args, "eval --ground-truth '%s' --results '%s' --output '%s/out'", g_gt, path, run);
    ck_assert_msg(cli(args) == 0, "%s", g_out);
    snprintf(path, sizeof path, "%s/out/metrics.json", run);
    cJSON *m = read_json(path);
    ck_assert_double_eq(num_at(m, "localisation", "localised", NULL), (double)kept);
    ck_assert_double_eq_tol(num_at(m, "localisation", "rate", NULL), (double)kept / 262.0, 1e-12);
    ck_assert_uint_eq(kept, 131);
    ck_assert_double_eq(num_at(m, "classification", "accuracy_pct", NULL), 100);
    cJSON_Delete(m);
}
END_TEST

static void drop_first(cJSON *o, size_t i) {
    if (i == 0) {
        cJSON_DeleteItemFromObject(o, "path");
        cJSON_AddStringToObject(o, "path", "../elsewhere/bleeding/Images/img- (99999).png");
    }
}

static void bad_mask(cJSON *o, size_t i) {
    cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "detections"), 0);
    if (d && i == 0) {
        cJSON *size = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "mask"), "size");
        cJSON_ReplaceItemInArray(size, 0, cJSON_CreateNumber(100));
    }
}

static void bad_label(cJSON *o, size_t i) {
    cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "detections"), 0);
    if (d && i == 0) cJSON_ReplaceItemInObject(d, "label", cJSON_CreateNumber(3));
}

static void expect_exit3(const char *tag, void (*edit)(cJSON *, size_t), const char *n1, const char *n2) {
    char path[4300], args[16384];
    snprintf(path, sizeof path, "%s/%s.jsonl", g_dir, tag);
    write_results(path, 0, edit);
    snprintf(args, sizeof args, "eval --ground-truth '%s' --results '%s' --output '%s/o-%s'", g_gt, path, g_dir, tag);
    int rc = cli(args);
    ck_assert_msg(rc == 3, "%s: exit %d: %s", tag, rc, g_out);
    ck_assert_msg(strstr(g_out, n1) && (!n2 || strstr(g_out, n2)), "%s: %s", tag, g_out);
}

START_TEST(bad_inputs_exit_3) {
    setup();
    /* a frame of the split without a result, and a result that is in no ground truth */
    expect_exit3("stray", drop_first, "1 result frame is not in the ground truth", "img- (99999).png");
    expect_exit3("mask", bad_mask, "frame 'bleeding/Images/img- (6).png'", "mask is 100x224");
    expect_exit3("label", bad_label, "unknown category: detection label 3", NULL);
    char path[4300], args[16384];
    /* missing frames: only the first 100 lines */
    snprintf(path, sizeof path, "%s/all.jsonl", g_dir);
    write_results(path, 0, NULL);
    snprintf(args, sizeof args, "head -n 100 '%s' > '%s/partial.jsonl' && printf '{\"path\": \"x\",\\n' > '%s/torn.jsonl'",
             path, g_dir, g_dir);
    ck_assert_int_eq(system(args), 0);
    snprintf(args, sizeof args, "eval --ground-truth '%s' --results '%s/partial.jsonl' --output '%s/o-p'", g_gt, g_dir, g_dir);
    ck_assert_int_eq(cli(args), 3);
    ck_assert_msg(strstr(g_out, "425 of the 525 ground-truth frames have no result"), "%s", g_out);
    snprintf(args, sizeof args, "eval --ground-truth '%s' --results '%s/torn.jsonl' --output '%s/o-t'", g_gt, g_dir, g_dir);
    ck_assert_int_eq(cli(args), 3);
    ck_assert_msg(strstr(g_out, "torn.jsonl:1:") && strstr(g_out, "malformed JSON"), "%s", g_out);
    /* a ground truth with polygons */
    snprintf(path, sizeof path, "%s/poly.json", g_dir);
    FILE *f = fopen(path, "wb");
    fputs("{\"images\": [{\"id\": 1, \"file_name\": \"a.png\", \"width\": 4, \"height\": 4}], \"annotations\": "
          "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 1, 1], \"segmentation\": [[0, 0, 1, 0, 1, 1]]}], "
          "\"categories\": [{\"id\": 1, \"name\": \"bleeding\"}]}", f);
    fclose(f);
    snprintf(args, sizeof args, "eval --ground-truth '%s' --results '%s'", path, g_dir);
    ck_assert_int_eq(cli(args), 3);
    ck_assert_msg(strstr(g_out, "polygon segmentation is not supported"), "%s", g_out);
    snprintf(args, sizeof args, "eval --ground-truth '%s' --results '%s/missing.jsonl'", g_gt, g_dir);
    ck_assert_int_eq(cli(args), 3);
    ck_assert_msg(strstr(g_out, "missing.jsonl: no such file"), "%s", g_out);
    /* usage */
    ck_assert_int_eq(cli("eval --results x"), 2);
    ck_assert_int_eq(cli("eval --ground-truth a --results b --bogus"), 2);
    snprintf(args, sizeof args, "eval --ground-truth '%s' --results b --split val --verify", g_gt);
    ck_assert_int_eq(cli(args), 2);
    ck_assert_msg(strstr(g_out, "--verify needs the WCEBleedGen folder"), "%s", g_out);
}
END_TEST

int main(void) {
    Suite *s = suite_create("eval.cli_eval");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, setup, NULL);
    tcase_add_test(tc, gt_command);
    tcase_add_test(tc, perfect_results);
    tcase_add_test(tc, half_the_detections);
    tcase_add_test(tc, bad_inputs_exit_3);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
