/* EfficientNet parity with PyTorch: tools/ref/efficientnet_mm.py (mmpretrain names, TF-SAME or
 * symmetric padding) and torchvision's efficientnet_b0 through tools/convert_checkpoint.py. Every layer
 * output (layers.0..6) and the logits, on Vulkan f32 (≤ 1e-4) and f16 (≤ 1e-2) and the CPU backend. */
/* CTEST_ALSO_ON_CPU */
#include "models_testutil.h"

typedef struct eff_ctx {
    hv_efficientnet_params p;
    const int *levels;   /* feat.<i> to compare */
    int n_levels;
} eff_ctx;

static int build_eff(hv_graph *g, hv_tensor *x, const hv_weights *w, const void *vctx, mt_check *checks) {
    const eff_ctx *c = vctx;
    hv_efficientnet_params p = c->p;
    p.num_out = (uint32_t)c->n_levels;
    for (int i = 0; i < c->n_levels; i++) p.out_indices[i] = c->levels[i];
    hv_backbone_outputs bo;
    if (hv_efficientnet_build(g, x, w, &p, &bo)) return 0;
    static char names[HV_BACKBONE_MAX_OUTS][16];
    int n = 0;
    for (uint32_t i = 0; i < bo.count; i++) {
        snprintf(names[i], sizeof names[i], "feat.%d", bo.index[i]);
        checks[n++] = (mt_check){bo.feats[i], names[i]};
    }
    hv_tensor *logits;
    if (hv_cls_head_build(g, bo.last, w, NULL, &logits, NULL, NULL)) return 0;
    checks[n++] = (mt_check){logits, "logits"};
    return n;
}

static const int ALL_LEVELS[7] = {0, 1, 2, 3, 4, 5, 6};

/* Errors name the tensor; run on the tf_same case's weights (b0, width 0.25, depth 0.34). */
static void check_errors(const hv_weights *w) {
    hv_graph *g;
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    hv_tensor_desc xd = hv_desc_make(HV_F32, HV_LAYOUT_NCHW, 4, (int64_t[]){1, 3, 32, 32});
    hv_tensor *x = hv_graph_input(g, "input", &xd);
    hv_backbone_outputs bo;
    /* wrong width: the stem has 8 channels in the file, 16 expected */
    hv_efficientnet_params p = {.width = 0.5, .depth = 0.34};
    ck_assert_int_eq(hv_efficientnet_build(g, x, w, &p, &bo), HV_ERR_SHAPE);
    ck_assert_msg(strstr(hv_last_error(), "backbone.layers.0.conv.weight") != NULL, "%s", hv_last_error());
    hv_graph_free(g);
    /* wrong prefix: missing tensor named */
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    x = hv_graph_input(g, "input", &xd);
    p = (hv_efficientnet_params){.width = 0.25, .depth = 0.34, .prefix = "model."};
    ck_assert_int_eq(hv_efficientnet_build(g, x, w, &p, &bo), HV_ERR_NOT_FOUND);
    ck_assert_msg(strstr(hv_last_error(), "model.layers.0.conv.weight") != NULL, "%s", hv_last_error());
    hv_graph_free(g);
    /* bad arch and out index */
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    x = hv_graph_input(g, "input", &xd);
    p = (hv_efficientnet_params){.arch = "b9"};
    ck_assert_int_eq(hv_efficientnet_build(g, x, w, &p, &bo), HV_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(hv_last_error(), "b9") != NULL, "%s", hv_last_error());
    hv_graph_free(g);
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    x = hv_graph_input(g, "input", &xd);
    p = (hv_efficientnet_params){.width = 0.25, .depth = 0.34, .num_out = 1, .out_indices = {7}};
    ck_assert_int_eq(hv_efficientnet_build(g, x, w, &p, &bo), HV_ERR_INVALID_ARGUMENT);
    hv_graph_free(g);
}

START_TEST(tf_same_reduced) {
    /* odd, non-square input: TF-SAME pads differ per axis and per layer */
    const char *dir = mt_gen("eff_tfsame", "efficientnet --arch b0 --width 0.25 --depth 0.34 --size 57,63 --seed 1");
    hv_weights *w = mt_open(dir, "weights.safetensors"), *io = mt_open(dir, "io.safetensors");
    eff_ctx c = {.p = {.arch = "b0", .width = 0.25, .depth = 0.34}, .levels = ALL_LEVELS, .n_levels = 7};
    mt_run_all("efficientnet b0 w0.25 d0.34 tf-same", w, io, build_eff, &c, 1);
    check_errors(w);
    hv_weights_free(w), hv_weights_free(io);
}
END_TEST

START_TEST(symmetric_reduced_batch2_raw) {
    /* symmetric padding, N = 2, raw 0..255 input (the classifier convention) */
    const char *dir = mt_gen("eff_sym", "efficientnet --arch b0 --width 0.25 --depth 0.34 --padding symmetric "
                                        "--size 48,40 --batch 2 --input-scale 255 --seed 2");
    hv_weights *w = mt_open(dir, "weights.safetensors"), *io = mt_open(dir, "io.safetensors");
    eff_ctx c = {.p = {.width = 0.25, .depth = 0.34, .padding = HV_EFFNET_PAD_SYMMETRIC},
                 .levels = ALL_LEVELS, .n_levels = 7};
    mt_run_all("efficientnet w0.25 d0.34 symmetric N=2", w, io, build_eff, &c, 1);
    hv_weights_free(w), hv_weights_free(io);
}
END_TEST

START_TEST(torchvision_b0) {
    /* torchvision's own model (BN eps 1e-5, symmetric padding) with the paper's 2-class head, renamed by
     * the converter (which checks everything but the class count against the ImageNet architecture) */
    const char *dir = mt_gen("eff_tv", "efficientnet --arch b0 --torchvision --classes 2 --size 40,40 --seed 3");
    mt_convert(dir, "torchvision-efficientnet", NULL);
    hv_weights *w = mt_open(dir, "weights.safetensors"), *io = mt_open(dir, "io.safetensors");
    static const int levels[2] = {0, 6};
    eff_ctx c = {.p = {.arch = "b0", .padding = HV_EFFNET_PAD_SYMMETRIC, .bn_eps = 1e-5f}, .levels = levels,
                 .n_levels = 2};
    mt_run_all("torchvision efficientnet_b0", w, io, build_eff, &c, 0);
    hv_weights_free(w), hv_weights_free(io);
}
END_TEST


static Suite *suite(void) {
    Suite *s = suite_create("models.efficientnet");
    TCase *tc = tcase_create("parity");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, tf_same_reduced);
    tcase_add_test(tc, symmetric_reduced_batch2_raw);
    tcase_add_test(tc, torchvision_b0);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    HVTEST_NEED_PYTHON("torch, torchvision, numpy, PIL", "python3-torch python3-torchvision python3-numpy python3-pil");
    return hvtest_run(suite());
}
