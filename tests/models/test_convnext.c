/* ConvNeXt parity with PyTorch: tools/ref/convnext_mm.py (mmcls names, extra output norms, downsample
 * LN eps 1e-5 as mmcls 0.x) and torchvision's ConvNeXt through tools/convert_checkpoint.py (eps 1e-6
 * everywhere, no output norms, classifier = GAP → norm3 → fc). Every stage and the logits. */
/* CTEST_ALSO_ON_CPU */
#include "models_testutil.h"

typedef struct cnx_ctx {
    hv_convnext_params p;
    const char *prefix; /* "feat" (after the output norms) or "stage" */
} cnx_ctx;

static int build_cnx(hv_graph *g, hv_tensor *x, const hv_weights *w, const void *vctx, mt_check *checks) {
    const cnx_ctx *c = vctx;
    hv_backbone_outputs bo;
    if (hv_convnext_build(g, x, w, &c->p, &bo)) return 0;
    static char names[HV_BACKBONE_MAX_OUTS][16];
    int n = 0;
    for (uint32_t i = 0; i < bo.count; i++) {
        snprintf(names[i], sizeof names[i], "%s.%d", c->prefix, bo.index[i]);
        checks[n++] = (mt_check){bo.feats[i], names[i]};
    }
    hv_tensor *logits;
    hv_cls_head_params hp = {.norm = "backbone.norm3"};
    if (hv_cls_head_build(g, bo.last, w, &hp, &logits, NULL, NULL)) return 0;
    checks[n++] = (mt_check){logits, "logits"};
    return n;
}

/* Errors name the tensor; run on the mm case's weights (depths 2,1,2,1, dims 16,24,40,48). */
static void check_errors(const hv_weights *w) {
    hv_graph *g;
    hv_tensor_desc xd = hv_desc_make(HV_F32, HV_LAYOUT_NCHW, 4, (int64_t[]){1, 3, 32, 32});
    hv_backbone_outputs bo;
    /* a deeper stage than the file has: the first missing block is named */
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    hv_convnext_params p = {.depths = {2, 1, 3, 1}, .dims = {16, 24, 40, 48}};
    ck_assert_int_eq(hv_convnext_build(g, hv_graph_input(g, "input", &xd), w, &p, &bo), HV_ERR_NOT_FOUND);
    ck_assert_msg(strstr(hv_last_error(), "backbone.stages.2.2.depthwise_conv.weight"), "%s", hv_last_error());
    hv_graph_free(g);
    /* wrong dims: shape mismatch named */
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    p = (hv_convnext_params){.depths = {2, 1, 2, 1}, .dims = {16, 24, 40, 56}};
    ck_assert_int_eq(hv_convnext_build(g, hv_graph_input(g, "input", &xd), w, &p, &bo), HV_ERR_SHAPE);
    ck_assert_msg(strstr(hv_last_error(), "downsample_layers.3.1.weight"), "%s", hv_last_error());
    hv_graph_free(g);
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    p = (hv_convnext_params){.arch = "huge"};
    ck_assert_int_eq(hv_convnext_build(g, hv_graph_input(g, "input", &xd), w, &p, &bo), HV_ERR_INVALID_ARGUMENT);
    hv_graph_free(g);
}

START_TEST(mm_small_dims_out_norms) {
    const char *dir = mt_gen("cnx_mm", "convnext --depths 2,1,2,1 --dims 16,24,40,48 --downsample-eps 1e-5 "
                                       "--size 64,96 --seed 4");
    hv_weights *w = mt_open(dir, "weights.safetensors"), *io = mt_open(dir, "io.safetensors");
    /* AUTO finds norm0 in the weights and applies the output norms; downsample eps default 1e-5 */
    cnx_ctx c = {.p = {.depths = {2, 1, 2, 1}, .dims = {16, 24, 40, 48}}, .prefix = "feat"};
    mt_run_all("convnext mm d2,1,2,1 dims16..48", w, io, build_cnx, &c, 1);
    /* the raw stage outputs too, with the norms off */
    cnx_ctx raw = {.p = {.depths = {2, 1, 2, 1}, .dims = {16, 24, 40, 48}, .out_norms = HV_CONVNEXT_OUT_NORMS_OFF,
                         .num_out = 2, .out_indices = {3, 1}},
                   .prefix = "stage"};
    hv_device *dev = mt_device();
    mt_run("convnext mm raw stages (3,1)", w, io, dev, HV_F32, build_cnx, &raw, 1e-4);
    hv_device_close(dev);
    check_errors(w);
    hv_weights_free(w), hv_weights_free(io);
}
END_TEST

START_TEST(torchvision_converted_batch2) {
    const char *dir = mt_gen("cnx_tv", "convnext --torchvision --depths 1,1,2,1 --dims 16,32,48,64 --size 64,64 "
                                       "--batch 2 --seed 5");
    /* custom dims match no named arch, so the converter cannot list the expected keys */
    mt_convert(dir, "torchvision-convnext", "--allow-missing");
    hv_weights *w = mt_open(dir, "weights.safetensors"), *io = mt_open(dir, "io.safetensors");
    /* the converted classifier holds norm3 only: AUTO leaves the outputs un-normalised */
    cnx_ctx c = {.p = {.depths = {1, 1, 2, 1}, .dims = {16, 32, 48, 64}, .downsample_eps = 1e-6f}, .prefix = "feat"};
    mt_run_all("torchvision convnext (converted) N=2", w, io, build_cnx, &c, 1);
    hv_weights_free(w), hv_weights_free(io);
}
END_TEST


static Suite *suite(void) {
    Suite *s = suite_create("models.convnext");
    TCase *tc = tcase_create("parity");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, mm_small_dims_out_norms);
    tcase_add_test(tc, torchvision_converted_batch2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    HVTEST_NEED_PYTHON("torch, torchvision, numpy, PIL", "python3-torch python3-torchvision python3-numpy python3-pil");
    return hvtest_run(suite());
}
