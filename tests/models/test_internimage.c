/* InternImage parity with the plain-PyTorch reference tools/ref/internimage_ref.py (MODEL_SPEC §4):
 * an XL-like case (offset_scale 2, post-norm, layer scale) and a T-like case (offset_scale 1,
 * pre-norm with level norms), small widths; every level output on Vulkan f32/f16 and the CPU backend. */
/* CTEST_ALSO_ON_CPU */
#include "models_testutil.h"

static int build_ii(hv_graph *g, hv_tensor *x, const hv_weights *w, const void *vctx, mt_check *checks) {
    hv_backbone_outputs bo;
    if (hv_internimage_build(g, x, w, vctx, &bo)) return 0;
    static char names[HV_BACKBONE_MAX_OUTS][16];
    for (uint32_t i = 0; i < bo.count; i++) {
        snprintf(names[i], sizeof names[i], "feat.%d", bo.index[i]);
        checks[i] = (mt_check){bo.feats[i], names[i]};
    }
    return (int)bo.count;
}

/* Errors name the tensor; run on the T-like case's weights (c16, depths 1,2,1,1, groups 2,2,4,4). */
static void check_errors(const hv_weights *w) {
    hv_tensor_desc xd = hv_desc_make(HV_F32, HV_LAYOUT_NCHW, 4, (int64_t[]){1, 3, 32, 32});
    hv_backbone_outputs bo;
    hv_graph *g;
    /* wrong groups: a shape error on dcn.offset */
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    hv_internimage_params p = {.arch = "t", .channels = 16, .depths = {1, 2, 1, 1}, .groups = {2, 2, 2, 4}};
    ck_assert_int_eq(hv_internimage_build(g, hv_graph_input(g, "input", &xd), w, &p, &bo), HV_ERR_SHAPE);
    ck_assert_msg(strstr(hv_last_error(), "backbone.levels.2.blocks.0.dcn.offset.weight"), "%s", hv_last_error());
    hv_graph_free(g);
    /* a post-norm config on a pre-norm checkpoint is refused, not silently run without the level norms */
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    p = (hv_internimage_params){.arch = "xl", .channels = 16, .depths = {1, 2, 1, 1}, .groups = {2, 2, 4, 4}};
    ck_assert_int_eq(hv_internimage_build(g, hv_graph_input(g, "input", &xd), w, &p, &bo), HV_ERR_SCHEMA);
    ck_assert_msg(strstr(hv_last_error(), "levels.0.norm.0.weight") && strstr(hv_last_error(), "pre-norm checkpoint"),
                  "%s", hv_last_error());
    hv_graph_free(g);
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    p = (hv_internimage_params){.arch = "t", .channels = 16, .depths = {1, 2, 1, 1}, .groups = {3, 2, 4, 4}};
    ck_assert_int_eq(hv_internimage_build(g, hv_graph_input(g, "input", &xd), w, &p, &bo), HV_ERR_INVALID_ARGUMENT);
    hv_graph_free(g);
}

START_TEST(xl_like_post_norm) {
    const char *dir = mt_gen("ii_xl", "internimage --arch xl --channels 16 --depths 1,1,2,1 --groups 1,2,4,8 "
                                      "--size 64,48 --seed 6");
    hv_weights *w = mt_open(dir, "weights.safetensors"), *io = mt_open(dir, "io.safetensors");
    hv_internimage_params p = {.arch = "xl", .channels = 16, .depths = {1, 1, 2, 1}, .groups = {1, 2, 4, 8}};
    mt_run_all("internimage xl-like c16 os2 post-norm", w, io, build_ii, &p, 1);
    hv_weights_free(w), hv_weights_free(io);
}
END_TEST

START_TEST(t_like_pre_norm_batch2) {
    const char *dir = mt_gen("ii_t", "internimage --arch t --channels 16 --depths 1,2,1,1 --groups 2,2,4,4 "
                                     "--size 40,56 --batch 2 --seed 7");
    hv_weights *w = mt_open(dir, "weights.safetensors"), *io = mt_open(dir, "io.safetensors");
    hv_internimage_params p = {.arch = "t", .channels = 16, .depths = {1, 2, 1, 1}, .groups = {2, 2, 4, 4}};
    mt_run_all("internimage t-like c16 os1 pre-norm N=2", w, io, build_ii, &p, 1);
    check_errors(w);
    hv_weights_free(w), hv_weights_free(io);
}
END_TEST


static Suite *suite(void) {
    Suite *s = suite_create("models.internimage");
    TCase *tc = tcase_create("parity");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, xl_like_post_norm);
    tcase_add_test(tc, t_like_pre_norm_batch2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    HVTEST_NEED_PYTHON("torch, torchvision, numpy, PIL", "python3-torch python3-torchvision python3-numpy python3-pil");
    return hvtest_run(suite());
}
