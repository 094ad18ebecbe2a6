/* The tta stage: copies, transforms and merge rules, checked exactly against an independent
 * computation. The wrapped "classifier" is test.redclass (tests/fixtures/pipeline): probs = [1-r, r]
 * with r the fraction of red-dominant pixels in the left half of the frame it sees, so each transform
 * gives a different, known answer. */
#include "ptest.h"

#include "hemovk/config.h"
#include "plugin/registry.h"
#include "plugin/stage.h"

#include <math.h>

enum { W = 8, H = 6 };

/* A W×H frame: pixel (x,y) is red when red[y][x] is '#', grey otherwise. */
static void make_frame(hv_frame *f, uint64_t id, const char *const rows[H]) {
    ck_assert_int_eq(hv_frame_init(f, id, "synthetic.png"), HV_OK);
    uint8_t *px = malloc(W * H * 3);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = px + (y * W + x) * 3;
            int red = rows[y][x] == '#';
            p[0] = red ? 200 : 90, p[1] = red ? 30 : 90, p[2] = red ? 30 : 90;
        }
    hv_frame_set_pixels(f, W, H, px);
}

/* Independent reference: place each source pixel where the transform sends it (forward mapping; the
 * stage maps backward), then count red pixels in the left half of the result. */
static double ref_red_fraction(const hv_frame *f, const char *t) {
    int w = f->width, h = f->height;
    int rot = !strcmp(t, "rot90") || !strcmp(t, "rot270");
    int ow = rot ? h : w, oh = rot ? w : h;
    unsigned char *red = calloc((size_t)ow * oh, 1);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int dx = x, dy = y;
            if (!strcmp(t, "hflip")) dx = w - 1 - x;
            else if (!strcmp(t, "vflip")) dy = h - 1 - y;
            else if (!strcmp(t, "rot180")) dx = w - 1 - x, dy = h - 1 - y;
            else if (!strcmp(t, "rot90")) dx = y, dy = w - 1 - x;  /* counter-clockwise (numpy.rot90) */
            else if (!strcmp(t, "rot270")) dx = h - 1 - y, dy = x; /* clockwise */
            const uint8_t *p = f->rgb + (y * w + x) * 3;
            red[dy * ow + dx] = p[0] > p[1] && p[0] > p[2];
        }
    int n = 0, half = ow / 2;
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < half; x++) n += red[y * ow + x];
    free(red);
    return (double)n / (double)(half * oh);
}

static hv_registry *g_reg;

static void setup(void) {
    ck_assert_int_eq(hv_registry_create(&g_reg), HV_OK);
    ck_assert_int_eq(hv_registry_load_dir(g_reg, HEMOVK_BINARY_DIR "/plugins"), HV_OK);
    ck_assert_int_eq(hv_registry_load_dir(g_reg, HEMOVK_BINARY_DIR "/test-plugins/pipetest"), HV_OK);
    ck_assert_ptr_nonnull(hv_registry_find(g_reg, HV_COMPONENT_STAGE, "tta"));
    ck_assert_ptr_nonnull(hv_registry_find(g_reg, HV_COMPONENT_STAGE, "test.redclass"));
}

static void teardown(void) {
    hv_registry_free(g_reg);
}

static hv_stage *make_tta(const char *yaml, hv_config_node **params) {
    ck_assert_int_eq(hv_config_load_string(yaml, strlen(yaml), "tta.yaml", params), HV_OK);
    hv_stage *s = NULL;
    hv_status st = hv_stage_create(g_reg, HV_COMPONENT_STAGE, "tta", "classify", *params, &s);
    ck_assert_msg(st == HV_OK, "%s", hv_last_error());
    return s;
}

static const char *const k_all[6] = {"identity", "hflip", "vflip", "rot90", "rot180", "rot270"};

/* Four frames with different red layouts (left-heavy, right-heavy, top rows, a diagonal). */
static const char *const k_frames[4][H] = {
    {"###.....", "###.....", "##......", "#.......", "###.....", "........"},
    {".....###", "....####", "......##", ".......#", "........", "....####"},
    {"########", "########", "........", "........", "........", "........"},
    {"#.......", ".#......", "..#.....", "...#....", "....#...", ".....#.."},
};

static void check_merge(const char *merge) {
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "stage: {component: test.redclass}\n"
             "transforms: [identity, hflip, vflip, rot90, rot180, rot270]\n"
             "merge: %s\n", merge);
    hv_config_node *params = NULL;
    hv_stage *s = make_tta(yaml, &params);
    hv_frame frames[4];
    hv_frame *ptrs[4];
    for (int i = 0; i < 4; i++) make_frame(&frames[i], (uint64_t)i, k_frames[i]), ptrs[i] = &frames[i];
    ck_assert_int_eq(hv_stage_process(s, ptrs, 4), HV_OK);
    for (int i = 0; i < 4; i++) {
        double mean[2] = {0, 0}, mx[2] = {0, 0};
        int votes[2] = {0, 0};
        for (int t = 0; t < 6; t++) {
            float r = (float)ref_red_fraction(&frames[i], k_all[t]);
            float p[2] = {1.0f - r, r};
            mean[0] += p[0] / 6.0, mean[1] += p[1] / 6.0;
            if (p[0] > mx[0]) mx[0] = p[0];
            if (p[1] > mx[1]) mx[1] = p[1];
            votes[p[1] > p[0] ? 1 : 0]++;
        }
        const double *want = !strcmp(merge, "max") ? mx : mean;
        int label;
        if (!strcmp(merge, "vote"))
            label = votes[1] > votes[0] || (votes[1] == votes[0] && mean[1] > mean[0]) ? 1 : 0;
        else
            label = want[1] > want[0] ? 1 : 0;
        const hv_classification *c = &frames[i].cls;
        ck_assert_msg(c->valid && c->n_probs == 2, "frame %d: no merged classification", i);
        ck_assert_msg(fabs(c->probs[0] - want[0]) < 1e-6 && fabs(c->probs[1] - want[1]) < 1e-6,
                      "%s frame %d: probs %g %g, want %g %g", merge, i, c->probs[0], c->probs[1], want[0], want[1]);
        ck_assert_int_eq(c->label, label);
        ck_assert_double_eq_tol(c->score, want[label], 1e-6);
        ck_assert_str_eq(c->label_name, label ? "red" : "clean");
        if (!strcmp(merge, "vote")) {
            char expect[16];
            snprintf(expect, sizeof expect, "%d/6", votes[label]);
            ck_assert_str_eq(hv_frame_get_meta(&frames[i], "classify.votes"), expect);
        }
        /* The original pixels are untouched: TTA works on copies. */
        ck_assert_int_eq(frames[i].width, W);
        ck_assert_int_eq(frames[i].rgb[0], k_frames[i][0][0] == '#' ? 200 : 90);
    }
    for (int i = 0; i < 4; i++) hv_frame_clear(&frames[i]);
    hv_stage_destroy(s);
    hv_config_free(params);
}

START_TEST(test_merge_mean) { check_merge("mean"); }
END_TEST

START_TEST(test_merge_max) { check_merge("max"); }
END_TEST

START_TEST(test_merge_vote) { check_merge("vote"); }
END_TEST

/* hflip alone flips the answer of a left-heavy frame; identity+hflip as the paper's --tta. */
START_TEST(test_hflip_changes_answer) {
    hv_config_node *params = NULL;
    hv_stage *s = make_tta("stage: {component: test.redclass}\ntransforms: [hflip]\n", &params);
    hv_frame f;
    hv_frame *p = &f;
    make_frame(&f, 0, k_frames[0]); /* left-heavy: red without TTA */
    ck_assert_int_eq(hv_stage_process(s, &p, 1), HV_OK);
    ck_assert_str_eq(f.cls.label_name, "clean");
    ck_assert_double_eq_tol(f.cls.probs[1], ref_red_fraction(&f, "hflip"), 1e-6);
    hv_frame_clear(&f);
    hv_stage_destroy(s);
    hv_config_free(params);
}
END_TEST

/* Vote ties: 1 vote each → the higher mean probability wins; equal means too → the lower index. */
START_TEST(test_vote_ties) {
    hv_config_node *params = NULL;
    hv_stage *s = make_tta("stage: {component: test.redclass, params: {labels: [neg, pos]}}\n"
                           "transforms: [identity, hflip]\nmerge: vote\n", &params);
    /* left half 3/4 red, right half 0 red: identity r=0.75 (pos), hflip r=0 (neg): mean [0.625, 0.375] */
    static const char *const uneven[H] = {"###.....", "###.....", "###.....", "###.....", "###.....", "###....."};
    /* left 3/4 red, right 1/4 red: identity r=0.75 (pos), hflip r=0.25 (neg): mean [0.5, 0.5] */
    static const char *const even[H] = {"###....#", "###....#", "###....#", "###....#", "###....#", "###....#"};
    hv_frame f[2];
    hv_frame *p[2] = {&f[0], &f[1]};
    make_frame(&f[0], 0, uneven);
    make_frame(&f[1], 1, even);
    ck_assert_int_eq(hv_stage_process(s, p, 2), HV_OK);
    ck_assert_int_eq(f[0].cls.label, 0);
    ck_assert_str_eq(f[0].cls.label_name, "neg");
    ck_assert_double_eq_tol(f[0].cls.score, 0.625, 1e-6);
    ck_assert_int_eq(f[1].cls.label, 0); /* tie on votes and means: lower index */
    ck_assert_double_eq_tol(f[1].cls.score, 0.5, 1e-6);
    ck_assert_str_eq(hv_frame_get_meta(&f[1], "classify.votes"), "1/2");
    hv_frame_clear(&f[0]);
    hv_frame_clear(&f[1]);
    hv_stage_destroy(s);
    hv_config_free(params);
}
END_TEST

/* The wrapped classifier's threshold decides on the merged probabilities (one owner of the rule): the
 * classifier's own threshold, not an argmax and not a second copy on the tta. */
START_TEST(test_threshold) {
    hv_config_node *params = NULL;
    hv_stage *s = make_tta("stage: {component: test.redclass, params: {threshold: 0.3}}\ntransforms: [identity, hflip]\n",
                           &params);
    /* left half 3/4 red, right half 0: identity r=0.75, hflip r=0 -> mean p(red)=0.375 >= 0.3 -> red */
    static const char *const rows[H] = {"###.....", "###.....", "###.....", "###.....", "###.....", "###....."};
    /* left 1/4 red only: identity r=0.25, hflip 0 -> mean p(red) = 0.125 < 0.3 -> clean */
    static const char *const few[H] = {"#.......", "#.......", "#.......", "#.......", "#.......", "#......."};
    hv_frame f[2];
    hv_frame *p[2] = {&f[0], &f[1]};
    make_frame(&f[0], 0, rows);
    make_frame(&f[1], 1, few);
    ck_assert_int_eq(hv_stage_process(s, p, 2), HV_OK);
    ck_assert_int_eq(f[0].cls.label, 1); /* the argmax would say clean (0.625) */
    ck_assert_str_eq(f[0].cls.label_name, "red");
    ck_assert_double_eq_tol(f[0].cls.score, 0.375, 1e-6);
    ck_assert_int_eq(f[1].cls.label, 0);
    ck_assert_double_eq_tol(f[1].cls.score, 0.875, 1e-6);
    /* the merged frame carries the rule and the routing flag, as the classifier would set them */
    hv_class_rule rule;
    ck_assert(hv_frame_class_rule(&f[0], &rule));
    ck_assert_int_eq(rule.positive, 1);
    ck_assert_float_eq_tol(rule.threshold, 0.3f, 1e-7f);
    ck_assert_str_eq(hv_frame_get_meta(&f[0], "classify.red"), "true");
    ck_assert_str_eq(hv_frame_get_meta(&f[1], "classify.red"), "false");
    hv_frame_clear(&f[0]);
    hv_frame_clear(&f[1]);
    hv_stage_destroy(s);
    hv_config_free(params);
}
END_TEST

/* A threshold or positive on the tta itself (where it used to compete with the classifier's) is refused
 * with the place it belongs. */
START_TEST(test_threshold_on_tta_refused) {
    static const char *const keys[] = {"threshold: 0.3", "positive: 1"};
    for (int i = 0; i < 2; i++) {
        char yaml[200];
        snprintf(yaml, sizeof yaml, "stage: {component: test.redclass}\n%s\n", keys[i]);
        hv_config_node *params = NULL;
        ck_assert_int_eq(hv_config_load_string(yaml, strlen(yaml), "tta.yaml", &params), HV_OK);
        hv_stage *s = NULL;
        hv_status st = hv_stage_create(g_reg, HV_COMPONENT_STAGE, "tta", "tta", params, &s);
        ck_assert_int_eq(st, HV_ERR_SCHEMA);
        ck_assert_ptr_null(s);
        ck_assert_msg(strstr(hv_last_error(), "tta.yaml:2:1") && strstr(hv_last_error(), "wrapped classifier"), "%s",
                      hv_last_error());
        hv_config_free(params);
    }
}
END_TEST

/* Bad params of the wrapped stage are reported with their line:col; unknown wrapped components list
 * what exists. */
START_TEST(test_wrapped_errors) {
    const char *yaml = "merge: mean\nstage:\n  component: test.redclass\n  params:\n    labels: [only-one]\n";
    hv_config_node *params = NULL;
    ck_assert_int_eq(hv_config_load_string(yaml, strlen(yaml), "tta.yaml", &params), HV_OK);
    hv_stage *s = NULL;
    ck_assert_int_eq(hv_stage_create(g_reg, HV_COMPONENT_STAGE, "tta", "classify", params, &s), HV_ERR_SCHEMA);
    ck_assert_msg(strstr(hv_last_error(), "tta.yaml:5:13") != NULL, "%s", hv_last_error());
    hv_config_free(params);
    yaml = "stage:\n  component: classifer\n";
    ck_assert_int_eq(hv_config_load_string(yaml, strlen(yaml), "tta.yaml", &params), HV_OK);
    ck_assert_int_eq(hv_stage_create(g_reg, HV_COMPONENT_STAGE, "tta", "classify", params, &s), HV_ERR_NOT_FOUND);
    ck_assert_msg(strstr(hv_last_error(), "tta.yaml:2:14") && strstr(hv_last_error(), "test.redclass"), "%s",
                  hv_last_error());
    hv_config_free(params);
}
END_TEST

int main(void) {
    ptest_env();
    Suite *s = suite_create("pipeline.tta");
    TCase *tc = tcase_create("tta");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_merge_mean);
    tcase_add_test(tc, test_merge_max);
    tcase_add_test(tc, test_merge_vote);
    tcase_add_test(tc, test_hflip_changes_answer);
    tcase_add_test(tc, test_vote_ties);
    tcase_add_test(tc, test_threshold);
    tcase_add_test(tc, test_threshold_on_tta_refused);
    tcase_add_test(tc, test_wrapped_errors);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
