/* No silent wrong answers from the classifier stage (issue 13), end to end through YAML on the device:
 * weights that do not fit are refused when the stage is created — a tensor the network never reads
 * (unless `weights: {ignore: [globs]}` lists it), an F32 tensor relabelled I32, an f16 run of weights past
 * ±65504 — and frames whose network output is saturated (f16) or does not depend on the frame are
 * failed, not classified: before, they all read "non-bleeding, 1.0" or [0.5, 0.5] with exit 0.
 * The weights are a reduced EfficientNet-B0 made here (no PyTorch): the exact tensors the backbone reads,
 * recorded from a synthetic set, plus a 2-class head. */
#include "cls_testutil.h"

#include "hemovk/graph.h"
#include "hemovk/models.h"

static char g_dir[4096];
static const char *const BACKBONE = "backbone: {component: efficientnet, params: {arch: b0, width: 0.25, depth: 0.34}}\n";

typedef struct recorder {
    hv_weights *into;
    uint64_t seed;
} recorder;

static hv_status record(void *user, const char *name, uint32_t rank, const int64_t *dims, float *dst) {
    recorder *r = user;
    hv_status st = hv_weights_random_init(&r->seed, name, rank, dims, dst);
    if (!st && !hv_weights_has(r->into, name)) st = hv_weights_add(r->into, name, HV_WDT_F32, rank, dims, dst);
    return st;
}

/* g_dir/<name>.safetensors: the backbone's tensors + head.fc (2 classes) with every head weight `fc`. */
static void save_set(const char *name, float fc, hv_weights *(*edit)(hv_weights *)) {
    hv_weights *synth = NULL, *w = NULL;
    ck_assert_int_eq(hv_weights_create("synthetic", &synth), HV_OK);
    ck_assert_int_eq(hv_weights_create(name, &w), HV_OK);
    recorder r = {.into = w, .seed = 11};
    ck_assert_int_eq(hv_weights_set_synthesizer(synth, record, &r), HV_OK);
    hv_graph *g = NULL;
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    hv_tensor_desc xd = hv_desc_make(HV_F32, HV_LAYOUT_NCHW, 4, (int64_t[]){1, 3, 64, 64});
    hv_efficientnet_params p = {.arch = "b0", .width = 0.25, .depth = 0.34};
    hv_backbone_outputs bo;
    ck_assert_msg(hv_efficientnet_build(g, hv_graph_input(g, "x", &xd), synth, &p, &bo) == HV_OK, "%s", hv_last_error());
    int64_t c = bo.last_channels;
    hv_graph_free(g);
    hv_weights_free(synth);
    float *fw = malloc(sizeof(float) * (size_t)(2 * c));
    for (int64_t i = 0; i < 2 * c; i++) fw[i] = fc != 0 ? fc : (i < c ? 0.02f : -0.02f) * (float)(i % 5);
    float fb[2] = {0, 0};
    ck_assert_int_eq(hv_weights_add(w, "head.fc.weight", HV_WDT_F32, 2, (int64_t[]){2, c}, fw), HV_OK);
    ck_assert_int_eq(hv_weights_add(w, "head.fc.bias", HV_WDT_F32, 1, (int64_t[]){2}, fb), HV_OK);
    free(fw);
    if (edit) w = edit(w);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.safetensors", g_dir, name);
    ck_assert_int_eq(hv_weights_save(w, path), HV_OK);
    hv_weights_free(w);
}

static hv_weights *add_extra(hv_weights *w) {
    float v[4] = {1, 2, 3, 4};
    ck_assert_int_eq(hv_weights_add(w, "aux_head.fc.weight", HV_WDT_F32, 2, (int64_t[]){2, 2}, v), HV_OK);
    return w;
}

/* head.fc.weight relabelled I32: same bytes, a well-formed file */
static hv_weights *relabel_i32(hv_weights *w) {
    const void *data = NULL;
    hv_weight_info info;
    ck_assert_int_eq(hv_weights_data(w, "head.fc.weight", &data, &info), HV_OK);
    void *copy = malloc(info.nbytes);
    memcpy(copy, data, info.nbytes);
    hv_weights *tmp = NULL;
    ck_assert_int_eq(hv_weights_create("tmp", &tmp), HV_OK);
    /* rebuild: every tensor as is but head.fc.weight */
    for (size_t i = 0; i < hv_weights_count(w); i++) {
        hv_weight_info ti;
        const void *td = NULL;
        ck_assert_int_eq(hv_weights_info_at(w, i, &ti), HV_OK);
        ck_assert_int_eq(hv_weights_data(w, ti.name, &td, NULL), HV_OK);
        if (strcmp(ti.name, "head.fc.weight"))
            ck_assert_int_eq(hv_weights_add(tmp, ti.name, ti.dtype, ti.rank, ti.dims, td), HV_OK);
    }
    ck_assert_int_eq(hv_weights_add(tmp, "head.fc.weight", HV_WDT_I32, info.rank, info.dims, copy), HV_OK);
    free(copy);
    hv_weights_free(w);
    return tmp;
}

static void generate(void) {
    snprintf(g_dir, sizeof g_dir, "%s", hvtest_tmpdir("cls-fit"));
    save_set("fit", 0, NULL);
    save_set("extra", 0, add_extra);
    save_set("i32", 0, relabel_i32);
    save_set("overflow", 1.0e5f, NULL);
    save_set("saturating", 6.0e4f, NULL); /* in range, but the logits overflow f16 */
}

static void setup(void) { cls_setup_registry(1); }

static hv_status try_stage(const char *file, const char *extra, hv_config_node **params, hv_stage **s) {
    char yaml[8192];
    snprintf(yaml, sizeof yaml, "%sweights: {loader: safetensors, params: {path: '%s/%s.safetensors'}%s}\n%s", BACKBONE,
             g_dir, file, extra && strstr(extra, "ignore") ? extra : "", extra && !strstr(extra, "ignore") ? extra : "");
    return cls_try_stage(yaml, "fit.yaml", params, s);
}

#define MSG_HAS(text) ck_assert_msg(strstr(hv_last_error(), text), "no \"%s\" in: %s", text, hv_last_error())

START_TEST(fitting_weights_load) {
    hv_config_node *params = NULL;
    hv_stage *s = NULL;
    ck_assert_msg(try_stage("fit", NULL, &params, &s) == HV_OK, "%s", hv_last_error());
    hv_stage_destroy(s);
    hv_config_free(params);
}
END_TEST

START_TEST(unused_tensor_refused_unless_ignored) {
    hv_config_node *params = NULL;
    hv_stage *s = NULL;
    ck_assert_int_eq(try_stage("extra", NULL, &params, &s), HV_ERR_SCHEMA);
    MSG_HAS("classify: 1 tensor of");
    MSG_HAS("extra.safetensors is not used by the model: 'aux_head.fc.weight'");
    MSG_HAS("ignore:");
    hv_config_free(params);
    ck_assert_msg(try_stage("extra", ", ignore: ['aux_head.*']", &params, &s) == HV_OK, "%s", hv_last_error());
    hv_stage_destroy(s);
    hv_config_free(params);
}
END_TEST

START_TEST(i32_relabelled_refused) {
    hv_config_node *params = NULL;
    hv_stage *s = NULL;
    ck_assert_int_eq(try_stage("i32", NULL, &params, &s), HV_ERR_SCHEMA);
    MSG_HAS("'head.fc.weight' is stored as I32");
    hv_config_free(params);
}
END_TEST

START_TEST(f16_overflow_refused) {
    hv_config_node *params = NULL;
    hv_stage *s = NULL;
    ck_assert_int_eq(try_stage("overflow", "precision: f16\n", &params, &s), HV_ERR_INVALID_ARGUMENT);
    MSG_HAS("head.fc");
    MSG_HAS("outside the f16 range");
    MSG_HAS("precision: f32");
    hv_config_free(params);
}
END_TEST

/* Two different frames in one batch. */
static void run_two(hv_stage *s, hv_frame f[2]) {
    cls_load_frame(&f[0], 0, WCE_DIR "/bleeding/Images/img- (1).png");
    cls_load_frame(&f[1], 1, WCE_DIR "/non-bleeding/images/img- (5).png");
    hv_frame *ptr[2] = {&f[0], &f[1]};
    ck_assert_msg(hv_stage_process(s, ptr, 2) == HV_OK, "%s", hv_last_error());
}

START_TEST(saturated_or_constant_outputs_fail_frames) {
    hv_config_node *params = NULL;
    hv_stage *s = NULL;
    hv_frame f[2];
    /* f16: both logits store as 65504, softmax would read [0.5, 0.5] on every frame */
    ck_assert_msg(try_stage("saturating", "precision: f16\nbatch: 2\n", &params, &s) == HV_OK, "%s", hv_last_error());
    run_two(s, f);
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(f[i].error && strstr(f[i].error, "saturated the f16 range"), "frame %d: %s", i,
                      f[i].error ? f[i].error : "(classified)");
        ck_assert(!f[i].cls.valid);
        hv_frame_clear(&f[i]);
    }
    hv_stage_destroy(s);
    hv_config_free(params);
    /* f32: identical head rows give exactly [0.5, 0.5] whatever the frame: the output ignores the input */
    ck_assert_msg(try_stage("saturating", "precision: f32\nbatch: 2\n", &params, &s) == HV_OK, "%s", hv_last_error());
    run_two(s, f);
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(f[i].error && strstr(f[i].error, "2 different frames gave the very same probabilities"),
                      "frame %d: %s", i, f[i].error ? f[i].error : "(classified)");
        hv_frame_clear(&f[i]);
    }
    hv_stage_destroy(s);
    hv_config_free(params);
    /* and the fitting weights classify the same two frames */
    ck_assert_msg(try_stage("fit", "batch: 2\n", &params, &s) == HV_OK, "%s", hv_last_error());
    run_two(s, f);
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(!f[i].error, "%s", f[i].error);
        ck_assert(f[i].cls.valid);
        hv_frame_clear(&f[i]);
    }
    hv_stage_destroy(s);
    hv_config_free(params);
}
END_TEST

int main(void) {
    Suite *s = suite_create("classify.weights_fit");
    TCase *tc = tcase_create("fit");
    tcase_set_timeout(tc, 600);
    tcase_add_unchecked_fixture(tc, generate, NULL);
    tcase_add_checked_fixture(tc, setup, cls_teardown_registry);
    tcase_add_test(tc, fitting_weights_load);
    tcase_add_test(tc, unused_tensor_refused_unless_ignored);
    tcase_add_test(tc, i32_relabelled_refused);
    tcase_add_test(tc, f16_overflow_refused);
    tcase_add_test(tc, saturated_or_constant_outputs_fail_frames);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
