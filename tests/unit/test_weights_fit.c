/* Weights that do not fit the model are refused before anything runs (issue 13), on graphs built on the
 * host only (no device, no PyTorch): an F32 tensor relabelled I32, a tensor the model never reads (and
 * the `ignore` globs that allow it), InternImage-H/G checkpoints (center_feature_scale, named as such
 * even on a post-norm model), pre-norm vs post-norm checkpoints each named correctly, and f16 weights
 * past ±65504. Each case starts from a weight set that fits exactly: the tensors a builder reads from a
 * synthetic set, recorded as they are made. */
#include "hvtest.h"

#include "hemovk/graph.h"
#include "hemovk/maskrcnn.h"
#include "hemovk/models.h"
#include "hemovk/weights.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a set that fits: record what a builder reads ------------------------------------------------ */

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

typedef hv_status (*build_fn)(hv_graph *g, hv_tensor *x, const hv_weights *w, const void *params);

static hv_status build_convnext(hv_graph *g, hv_tensor *x, const hv_weights *w, const void *params) {
    hv_backbone_outputs bo;
    return hv_convnext_build(g, x, w, params, &bo);
}

static hv_status build_internimage(hv_graph *g, hv_tensor *x, const hv_weights *w, const void *params) {
    hv_backbone_outputs bo;
    return hv_internimage_build(g, x, w, params, &bo);
}

/* Build `fn` on a 1×3×32×32 input of `dt`; returns the graph's status (the message in hv_last_error). */
static hv_status build(build_fn fn, const hv_weights *w, const void *params, hv_dtype dt) {
    hv_graph *g = NULL;
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    hv_tensor_desc xd = hv_desc_make(dt, HV_LAYOUT_NCHW, 4, (int64_t[]){1, 3, 32, 32});
    hv_status st = fn(g, hv_graph_input(g, "input", &xd), w, params);
    if (!st) st = hv_graph_status(g);
    hv_graph_free(g);
    return st;
}

/* The exact set `fn` reads with `params`, F32, random values. */
static hv_weights *fitting_set(build_fn fn, const void *params) {
    hv_weights *synth = NULL, *rec = NULL;
    ck_assert_int_eq(hv_weights_create("synthetic", &synth), HV_OK);
    ck_assert_int_eq(hv_weights_create("fit.safetensors", &rec), HV_OK);
    recorder r = {.into = rec, .seed = 7};
    ck_assert_int_eq(hv_weights_set_synthesizer(synth, record, &r), HV_OK);
    hv_status st = build(fn, synth, params, HV_F32);
    ck_assert_msg(st == HV_OK, "%s", hv_last_error());
    hv_weights_free(synth);
    ck_assert_uint_gt(hv_weights_count(rec), 10);
    return rec;
}

/* A copy of `w`; the tensor `relabel` (if not NULL) stored as `dtype` with the same bytes. */
static hv_weights *copy_set(const hv_weights *w, const char *relabel, hv_weight_dtype dtype) {
    hv_weights *c = NULL;
    ck_assert_int_eq(hv_weights_create(hv_weights_source(w), &c), HV_OK);
    for (size_t i = 0; i < hv_weights_count(w); i++) {
        hv_weight_info info;
        const void *data = NULL;
        ck_assert_int_eq(hv_weights_info_at(w, i, &info), HV_OK);
        ck_assert_int_eq(hv_weights_data(w, info.name, &data, NULL), HV_OK);
        hv_weight_dtype dt = relabel && !strcmp(info.name, relabel) ? dtype : info.dtype;
        ck_assert_int_eq(hv_weights_add(c, info.name, dt, info.rank, info.dims, data), HV_OK);
    }
    return c;
}

static void add_f32(hv_weights *w, const char *name, uint32_t rank, const int64_t *dims) {
    int64_t n = 1;
    for (uint32_t i = 0; i < rank; i++) n *= dims[i];
    float *v = calloc((size_t)n, sizeof *v);
    for (int64_t i = 0; i < n; i++) v[i] = 0.01f * (float)(i % 7);
    ck_assert_int_eq(hv_weights_add(w, name, HV_WDT_F32, rank, dims, v), HV_OK);
    free(v);
}

#define MSG_HAS(text) ck_assert_msg(strstr(hv_last_error(), text), "no \"%s\" in: %s", text, hv_last_error())

static const hv_convnext_params CNX = {.depths = {1, 1, 1, 1}, .dims = {8, 16, 24, 32}};
#define CNX_TENSOR "backbone.stages.1.0.pointwise_conv1.weight"

START_TEST(fitting_set_is_fully_used) {
    hv_weights *w = fitting_set(build_convnext, &CNX);
    ck_assert(hv_weights_has(w, CNX_TENSOR));
    hv_weights_reset_used(w);
    ck_assert_int_eq(hv_weights_was_used(w, CNX_TENSOR), 0);
    ck_assert_int_eq(build(build_convnext, w, &CNX, HV_F32), HV_OK);
    ck_assert_int_eq(hv_weights_was_used(w, CNX_TENSOR), 1);
    ck_assert_msg(hv_weights_check_used(w, NULL, 0, "classify") == HV_OK, "%s", hv_last_error());
    /* BatchNorm's integer step counter is saved by PyTorch and read by nothing: never an error */
    int64_t one = 1;
    ck_assert_int_eq(hv_weights_add(w, "backbone.bn.num_batches_tracked", HV_WDT_I64, 0, NULL, &one), HV_OK);
    ck_assert_int_eq(hv_weights_check_used(w, NULL, 0, "classify"), HV_OK);
    hv_weights_free(w);
}
END_TEST

/* An F32 tensor relabelled I32 (same byte size, so the file is well-formed) ran and gave every frame
 * "non-bleeding, 1.0": now the build names the tensor and its dtype. */
START_TEST(i32_relabelled_tensor_is_refused) {
    hv_weights *fit = fitting_set(build_convnext, &CNX);
    hv_weights *w = copy_set(fit, CNX_TENSOR, HV_WDT_I32);
    ck_assert_int_eq(build(build_convnext, w, &CNX, HV_F32), HV_ERR_SCHEMA);
    MSG_HAS(CNX_TENSOR);
    MSG_HAS("I32");
    MSG_HAS("floating-point");
    hv_weights_free(w);
    hv_weights_free(fit);
}
END_TEST

START_TEST(unused_tensor_is_refused_unless_ignored) {
    hv_weights *w = fitting_set(build_convnext, &CNX);
    add_f32(w, "backbone.extra_head.weight", 2, (int64_t[]){4, 32});
    add_f32(w, "aux.fc.bias", 1, (int64_t[]){4});
    hv_weights_reset_used(w);
    ck_assert_int_eq(build(build_convnext, w, &CNX, HV_F32), HV_OK); /* the model itself builds */
    ck_assert_int_eq(hv_weights_check_used(w, NULL, 0, "classify"), HV_ERR_SCHEMA);
    MSG_HAS("classify: 2 tensors of fit.safetensors are not used by the model");
    MSG_HAS("'aux.fc.bias', 'backbone.extra_head.weight'");
    MSG_HAS("ignore:");
    /* one pattern is not enough, both are */
    const char *one[] = {"aux.*"}, *both[] = {"aux.*", "backbone.extra_*"};
    ck_assert_int_eq(hv_weights_check_used(w, one, 1, "classify"), HV_ERR_SCHEMA);
    MSG_HAS("1 tensor of fit.safetensors is not used");
    MSG_HAS("'backbone.extra_head.weight'");
    ck_assert_msg(!strstr(hv_last_error(), "aux.fc.bias"), "%s", hv_last_error());
    ck_assert_int_eq(hv_weights_check_used(w, both, 2, "classify"), HV_OK);
    hv_weights_free(w);
}
END_TEST

/* f16 weights past ±65504 saturated and every frame read [0.5, 0.5]: the f16 build refuses the weight by
 * name with what to do; the f32 build of the same set is fine. */
START_TEST(f16_overflow_is_refused) {
    hv_weights *w = fitting_set(build_convnext, &CNX);
    float big[16 * 64];
    ck_assert_int_eq(hv_weights_read_f32(w, CNX_TENSOR, big, 16 * 64), HV_OK);
    big[5] = 1.0e5f;
    ck_assert_int_eq(hv_weights_set_tensor_f32(w, CNX_TENSOR, big, 16 * 64), HV_OK);
    ck_assert_msg(build(build_convnext, w, &CNX, HV_F32) == HV_OK, "%s", hv_last_error());
    ck_assert_int_eq(build(build_convnext, w, &CNX, HV_F16), HV_ERR_INVALID_ARGUMENT);
    MSG_HAS("backbone.stages.1.0.pointwise_conv1");
    MSG_HAS("100000");
    MSG_HAS("outside the f16 range");
    MSG_HAS("precision: f32");
    /* at the limit is fine */
    big[5] = 65504.0f;
    ck_assert_int_eq(hv_weights_set_tensor_f32(w, CNX_TENSOR, big, 16 * 64), HV_OK);
    ck_assert_msg(build(build_convnext, w, &CNX, HV_F16) == HV_OK, "%s", hv_last_error());
    hv_weights_free(w);
}
END_TEST

/* ---- InternImage: H/G options and pre-/post-norm checkpoints -------------------------------------- */

static const hv_internimage_params II_T = {.arch = "t", .channels = 16, .depths = {1, 1, 1, 1}, .groups = {1, 2, 4, 8}};
static const hv_internimage_params II_XL = {.arch = "xl", .channels = 16, .depths = {1, 1, 1, 1}, .groups = {1, 2, 4, 8}};

static void add_center_feature_scale(hv_weights *w) {
    add_f32(w, "backbone.levels.0.blocks.0.dcn.center_feature_scale_proj_weight", 2, (int64_t[]){1, 16});
    add_f32(w, "backbone.levels.0.blocks.0.dcn.center_feature_scale_proj_bias", 1, (int64_t[]){1});
}

/* InternImage-H/G's center_feature_scale tensors were silently ignored (outputs off by 40-60 %). */
START_TEST(center_feature_scale_names_the_hg_option) {
    hv_weights *w = fitting_set(build_internimage, &II_T);
    ck_assert_int_eq(build(build_internimage, w, &II_T, HV_F32), HV_OK);
    add_center_feature_scale(w);
    ck_assert_int_eq(build(build_internimage, w, &II_T, HV_F32), HV_ERR_SCHEMA);
    MSG_HAS("center_feature_scale_proj_weight");
    MSG_HAS("center_feature_scale=True");
    MSG_HAS("InternImage-H/G");
    hv_weights_free(w);
    /* a post-norm model with center_feature_scale keeps its level norms (as InternImage does): the message
     * is still about the H/G option, not a "pre-norm checkpoint" */
    w = fitting_set(build_internimage, &II_XL);
    ck_assert(!hv_weights_has(w, "backbone.levels.0.norm.0.weight"));
    for (int l = 0; l < 4; l++) {
        char n[64];
        snprintf(n, sizeof n, "backbone.levels.%d.norm.0.weight", l);
        add_f32(w, n, 1, (int64_t[]){16 << l});
        snprintf(n, sizeof n, "backbone.levels.%d.norm.0.bias", l);
        add_f32(w, n, 1, (int64_t[]){16 << l});
    }
    add_center_feature_scale(w);
    ck_assert_int_eq(build(build_internimage, w, &II_XL, HV_F32), HV_ERR_SCHEMA);
    MSG_HAS("InternImage-H/G");
    ck_assert_msg(!strstr(hv_last_error(), "pre-norm"), "%s", hv_last_error());
    hv_weights_free(w);
}
END_TEST

START_TEST(pre_and_post_norm_checkpoints_are_named_right) {
    hv_weights *pre = fitting_set(build_internimage, &II_T), *post = fitting_set(build_internimage, &II_XL);
    ck_assert(hv_weights_has(pre, "backbone.levels.0.norm.0.weight"));
    ck_assert(!hv_weights_has(post, "backbone.levels.0.norm.0.weight"));
    ck_assert_int_eq(build(build_internimage, post, &II_XL, HV_F32), HV_OK);
    /* post-norm config (xl) on a pre-norm checkpoint */
    ck_assert_int_eq(build(build_internimage, pre, &II_XL, HV_F32), HV_ERR_SCHEMA);
    MSG_HAS("post_norm is on (arch 'xl')");
    MSG_HAS("pre-norm checkpoint");
    MSG_HAS("post_norm: false");
    /* pre-norm config (t) on a post-norm checkpoint: not a bare "no tensor levels.0.norm" */
    ck_assert_int_eq(build(build_internimage, post, &II_T, HV_F32), HV_ERR_SCHEMA);
    MSG_HAS("post_norm is off (arch 't')");
    MSG_HAS("post-norm checkpoint");
    MSG_HAS("post_norm: true");
    hv_weights_free(pre);
    hv_weights_free(post);
}
END_TEST

/* ---- Mask R-CNN: every network built once at setup, leftovers refused ---------------------------- */

START_TEST(maskrcnn_checks_all_its_networks) {
    hv_maskrcnn_params p;
    hv_maskrcnn_params_default(&p);
    p.convnext = CNX;
    p.fpn_channels = 16, p.num_classes = 1, p.fc_channels = 32;
    hv_weights *synth = NULL, *w = NULL;
    ck_assert_int_eq(hv_weights_create("synthetic", &synth), HV_OK);
    ck_assert_int_eq(hv_weights_create("mrcnn.safetensors", &w), HV_OK);
    recorder r = {.into = w, .seed = 3};
    ck_assert_int_eq(hv_weights_set_synthesizer(synth, record, &r), HV_OK);
    hv_maskrcnn *m = NULL;
    ck_assert_int_eq(hv_maskrcnn_create(&p, synth, NULL, &m), HV_OK);
    ck_assert_msg(hv_maskrcnn_check_weights(m, NULL, 0) == HV_OK, "%s", hv_last_error());
    hv_maskrcnn_free(m);
    hv_weights_free(synth);
    /* the recorded set has all three networks' tensors and fits exactly */
    ck_assert(hv_weights_has(w, "neck.fpn_convs.0.conv.weight"));
    ck_assert(hv_weights_has(w, "rpn_head.rpn_cls.weight"));
    ck_assert(hv_weights_has(w, "roi_head.bbox_head.fc_cls.weight"));
    ck_assert(hv_weights_has(w, "roi_head.mask_head.conv_logits.weight"));
    p.fpn_channels = 0, p.num_classes = 0, p.fc_channels = 0; /* read from the weights now */
    ck_assert_int_eq(hv_maskrcnn_create(&p, w, NULL, &m), HV_OK);
    ck_assert_msg(hv_maskrcnn_check_weights(m, NULL, 0) == HV_OK, "%s", hv_last_error());
    hv_maskrcnn_free(m);
    /* a leftover (say, a cascade stage of another detector) is named */
    add_f32(w, "roi_head.bbox_head.1.fc_cls.weight", 2, (int64_t[]){2, 32});
    ck_assert_int_eq(hv_maskrcnn_create(&p, w, NULL, &m), HV_OK);
    ck_assert_int_eq(hv_maskrcnn_check_weights(m, NULL, 0), HV_ERR_SCHEMA);
    MSG_HAS("'roi_head.bbox_head.1.fc_cls.weight'");
    const char *ign[] = {"roi_head.bbox_head.1.*"};
    ck_assert_int_eq(hv_maskrcnn_check_weights(m, ign, 1), HV_OK);
    hv_maskrcnn_free(m);
    /* a mask head tensor relabelled I32 fails at setup, not at the first bleeding frame */
    hv_weights *bad = copy_set(w, "roi_head.mask_head.conv_logits.weight", HV_WDT_I32);
    ck_assert_int_eq(hv_maskrcnn_create(&p, bad, NULL, &m), HV_OK);
    ck_assert_int_eq(hv_maskrcnn_check_weights(m, ign, 1), HV_ERR_SCHEMA);
    MSG_HAS("roi_head.mask_head.conv_logits.weight");
    MSG_HAS("I32");
    hv_maskrcnn_free(m);
    hv_weights_free(bad);
    hv_weights_free(w);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("unit.weights_fit");
    TCase *tc = tcase_create("fit");
    tcase_add_test(tc, fitting_set_is_fully_used);
    tcase_add_test(tc, i32_relabelled_tensor_is_refused);
    tcase_add_test(tc, unused_tensor_is_refused_unless_ignored);
    tcase_add_test(tc, f16_overflow_is_refused);
    tcase_add_test(tc, center_feature_scale_names_the_hg_option);
    tcase_add_test(tc, pre_and_post_norm_checkpoints_are_named_right);
    tcase_add_test(tc, maskrcnn_checks_all_its_networks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return hvtest_run(suite()); }
