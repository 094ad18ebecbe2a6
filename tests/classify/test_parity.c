/* The classifier stage against PyTorch: a real WCEBleedGen frame (raw RGB 0–255 at its native 224×224,
 * MODEL_SPEC §1.1) through the stage with weights written by tools/ref/gen_backbone.py --image (the
 * mmpretrain-named reference models), compared with PyTorch's softmax of the same pixels; and the
 * positive-class / threshold rule on those real probabilities. Validation layer on, zero messages. */
/* CTEST_SPLIT_BY_TCASE efficientnet convnext */
/* CTEST_ALSO_ON_CPU */
#include "cls_testutil.h"

#include <math.h>

static char g_eff[512], g_cnx[512], g_frame[512];

static void setup(void) { cls_setup_registry(1); }

/* Generated once per tcase (an unchecked fixture runs in the parent, before the forked tests); each
 * tcase is its own CTest test (CTEST_SPLIT_BY_TCASE above) and generates only its own reference. */
static const char *paths(void) {
    snprintf(g_frame, sizeof g_frame, WCE_BLEEDING, 1);
    const char *dir = hvtest_tmpdir("cls-parity");
    snprintf(g_eff, sizeof g_eff, "%s/eff", dir);
    snprintf(g_cnx, sizeof g_cnx, "%s/cnx", dir);
    return dir;
}

static void generate_efficientnet(void) {
    paths();
    char args[1600];
    snprintf(args, sizeof args, "efficientnet --arch b0 --width 0.25 --depth 0.34 --seed 3 --out %s --image '%s'",
             g_eff, g_frame);
    cls_gen(args);
}

static void generate_convnext(void) {
    paths();
    char args[1600];
    snprintf(args, sizeof args,
             "convnext --depths 1,1,2,1 --dims 16,32,48,64 --downsample-eps 1e-6 --seed 4 --out %s --image '%s'", g_cnx,
             g_frame);
    cls_gen(args);
}

/* Run one stage on the frame; returns the frame's probabilities (2) and label. */
static void run_stage(const char *yaml, hv_frame *f) {
    hv_config_node *params = NULL;
    hv_stage *s = cls_stage(yaml, &params);
    cls_load_frame(f, 0, g_frame);
    hv_frame *ptr = f;
    hv_status st = hv_stage_process(s, &ptr, 1);
    ck_assert_msg(st == HV_OK, "%s", hv_last_error());
    ck_assert_msg(!f->error, "%s", f->error ? f->error : "");
    ck_assert(f->cls.valid);
    ck_assert_uint_eq(f->cls.n_probs, 2);
    hv_stage_destroy(s);
    hv_config_free(params);
}

static void check_parity(const char *dir, const char *backbone, const char *precision, double tol) {
    char yaml[1400], ref_path[600];
    snprintf(yaml, sizeof yaml,
             "backbone: %s\n"
             "weights: {loader: safetensors, params: {path: '%s/weights.safetensors'}}\n"
             "preprocess: raw\n"
             "precision: %s\n",
             backbone, dir, precision);
    hv_frame f;
    run_stage(yaml, &f);
    snprintf(ref_path, sizeof ref_path, "%s/io.safetensors", dir);
    size_t n = 0;
    float *ref = cls_read_tensor(ref_path, "probs", &n);
    ck_assert_uint_eq(n, 2);
    /* the references are not saturated, so the comparison means something */
    ck_assert_msg(ref[0] > 0.05 && ref[0] < 0.95, "reference probs %g %g are saturated", ref[0], ref[1]);
    double err = fmax(fabs(f.cls.probs[0] - ref[0]), fabs(f.cls.probs[1] - ref[1]));
    ck_assert_msg(err <= tol, "%s %s: probs %.7f %.7f vs PyTorch %.7f %.7f (|d| %.3g > %.3g)", backbone, precision,
                  f.cls.probs[0], f.cls.probs[1], ref[0], ref[1], err, tol);
    int want = ref[0] >= 0.5f ? 0 : 1;
    ck_assert_int_eq(f.cls.label, want);
    ck_assert_str_eq(f.cls.label_name, want ? "non-bleeding" : "bleeding");
    ck_assert_str_eq(hv_frame_get_meta(&f, "classify.bleeding"), want ? "false" : "true");
    ck_assert_ptr_null(hv_frame_get_meta(&f, "classify.weights")); /* trained-weights runs are not marked */
    free(ref);
    hv_frame_clear(&f);
}

START_TEST(efficientnet_f32_matches_pytorch) {
    check_parity(g_eff, "{component: efficientnet, params: {arch: b0, width: 0.25, depth: 0.34}}", "f32", 1e-4);
}
END_TEST

START_TEST(efficientnet_f16_matches_pytorch) {
    check_parity(g_eff, "{component: efficientnet, params: {arch: b0, width: 0.25, depth: 0.34}}", "f16", 1e-2);
}
END_TEST

START_TEST(convnext_f32_matches_pytorch) {
    check_parity(g_cnx, "{component: convnext, params: {depths: [1, 1, 2, 1], dims: [16, 32, 48, 64], downsample_eps: 1.0e-6}}",
                 "f32", 1e-4);
}
END_TEST

/* threshold: flagged exactly when p(positive) >= threshold; otherwise the other class. positive may be
 * any label. Uses the real probabilities of the parity model. */
START_TEST(threshold_and_positive_class) {
    char path[600];
    snprintf(path, sizeof path, "%s/io.safetensors", g_eff);
    size_t n = 0;
    float *ref = cls_read_tensor(path, "probs", &n);
    struct {
        const char *positive;
        double threshold;
        int label;
    } cases[] = {
        {"bleeding", 0.0, 0},                       /* everything is flagged */
        {"bleeding", 1.0, 1},                       /* nothing is (p < 1) */
        {"bleeding", (double)ref[0] - 2e-3, 0},      /* just below p(bleeding): flagged */
        {"bleeding", (double)ref[0] + 2e-3, 1},      /* just above: not flagged */
        {"non-bleeding", (double)ref[1] - 2e-3, 1}, /* the other class as positive */
        {"non-bleeding", (double)ref[1] + 2e-3, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[1400];
        snprintf(yaml, sizeof yaml,
                 "backbone: {component: efficientnet, params: {arch: b0, width: 0.25, depth: 0.34}}\n"
                 "weights: {loader: safetensors, params: {path: '%s/weights.safetensors'}}\n"
                 "positive: %s\nthreshold: %.9f\n",
                 g_eff, cases[i].positive, cases[i].threshold);
        hv_frame f;
        run_stage(yaml, &f);
        ck_assert_msg(f.cls.label == cases[i].label, "case %zu (positive %s, threshold %.6f, p %.6f/%.6f): label %d",
                      i, cases[i].positive, cases[i].threshold, ref[0], ref[1], f.cls.label);
        ck_assert(f.cls.score == f.cls.probs[f.cls.label]);
        char key[64];
        snprintf(key, sizeof key, "classify.%s", cases[i].positive);
        int flagged = !strcmp(cases[i].positive, f.cls.label_name);
        ck_assert_str_eq(hv_frame_get_meta(&f, key), flagged ? "true" : "false");
        hv_frame_clear(&f);
    }
    free(ref);
}
END_TEST

/* Frames of mixed sizes in one batch (native resize): grouped by shape, one plan each, and every frame
 * gets what it gets when classified alone. */
START_TEST(mixed_sizes_grouped) {
    static const int sizes[5][2] = {{64, 64}, {48, 80}, {64, 64}, {48, 80}, {64, 64}}; /* h, w */
    const char *yaml = "backbone: {component: efficientnet, params: {arch: b0, width: 0.25, depth: 0.34}}\n"
                       "weights: {random: {seed: 5}}\npreprocess: imagenet\nbatch: 2\n";
    hv_config_node *params = NULL;
    hv_stage *s = cls_stage(yaml, &params);
    hv_frame f[5], *ptr[5];
    for (int i = 0; i < 5; i++) { /* crops of a real frame at different places */
        hv_frame full;
        cls_load_frame(&full, 0, g_frame);
        int h = sizes[i][0], w = sizes[i][1], x0 = 20 + 17 * i, y0 = 30 + 11 * i;
        uint8_t *px = malloc((size_t)(h * w * 3));
        for (int y = 0; y < h; y++) memcpy(px + y * w * 3, full.rgb + ((y0 + y) * full.width + x0) * 3, (size_t)w * 3);
        hv_frame_clear(&full);
        ck_assert_int_eq(hv_frame_init(&f[i], (uint64_t)i, NULL), HV_OK);
        hv_frame_set_pixels(&f[i], w, h, px);
        ptr[i] = &f[i];
    }
    ck_assert_int_eq(hv_stage_process(s, ptr, 5), HV_OK);
    for (int i = 0; i < 5; i++) {
        ck_assert(f[i].cls.valid);
        hv_frame one;
        ck_assert_int_eq(hv_frame_init(&one, 9, NULL), HV_OK);
        uint8_t *px = malloc((size_t)(f[i].width * f[i].height * 3));
        memcpy(px, f[i].rgb, (size_t)(f[i].width * f[i].height * 3));
        hv_frame_set_pixels(&one, f[i].width, f[i].height, px);
        hv_frame *p1 = &one;
        ck_assert_int_eq(hv_stage_process(s, &p1, 1), HV_OK);
        ck_assert_msg(fabsf(one.cls.probs[0] - f[i].cls.probs[0]) <= 1e-5f, "frame %d: batched %g alone %g", i,
                      f[i].cls.probs[0], one.cls.probs[0]);
        hv_frame_clear(&one);
    }
    /* crops of different content give different outputs */
    ck_assert(f[0].cls.probs[0] != f[2].cls.probs[0]);
    for (int i = 0; i < 5; i++) hv_frame_clear(&f[i]);
    hv_stage_destroy(s);
    hv_config_free(params);
}
END_TEST

int main(void) {
    HVTEST_NEED_PYTHON("torch, torchvision, numpy, PIL", "python3-torch python3-torchvision python3-numpy python3-pil");
    Suite *s = suite_create("classify.parity");
    /* two tcases, each its own CTest test (CTEST_SPLIT_BY_TCASE above) */
    TCase *tc = tcase_create("efficientnet");
    tcase_add_unchecked_fixture(tc, generate_efficientnet, NULL);
    tcase_add_checked_fixture(tc, setup, cls_teardown_registry);
    tcase_add_test(tc, efficientnet_f32_matches_pytorch);
    tcase_add_test(tc, efficientnet_f16_matches_pytorch);
    tcase_add_test(tc, threshold_and_positive_class);
    tcase_add_test(tc, mixed_sizes_grouped);
    suite_add_tcase(s, tc);
    tc = tcase_create("convnext");
    tcase_add_unchecked_fixture(tc, generate_convnext, NULL);
    tcase_add_checked_fixture(tc, setup, cls_teardown_registry);
    tcase_add_test(tc, convnext_f32_matches_pytorch);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
