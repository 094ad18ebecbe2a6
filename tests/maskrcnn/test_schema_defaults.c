/* One default, one place. The segmenter's parameter schema is where its paper defaults (MODEL_SPEC §5.0
 * test_cfg, §1.2 preprocessing) live; the plugin reads the values the validator filled in and never asks
 * hv_maskrcnn_params_default. The C API keeps its own "paper defaults" for SDK users without YAML, so
 * this test proves the copies agree: the schema's filled defaults equal hv_maskrcnn_params_default and
 * hv_rpn_params_default, and the ensemble stage's method-dependent iou_thr equals hv_ensemble_params_default
 * (voting) and hv_wbf_params_default (wbf). It also proves the reader takes every value from the params:
 * given non-default values it returns them, and given params that never met the schema it names the
 * first missing key instead of guessing. scripts/check_defaults.py (CTest tools.defaults) keeps literal
 * defaults out of the plugins' code. */
#include "hvtest.h"

#include "hemovk/config.h"
#include "hemovk/detect.h"
#include "hemovk/maskrcnn.h"
#include "plugin/registry.h"

/* The reader itself, compiled in: seg_config_read and seg_param_schema. */
#include "../../plugins/segment/seg_config.c"

#include <string.h>

/* Params validated against `schema_text`, defaults filled in. */
static hv_config_node *filled(const char *schema_text, const char *yaml) {
    hv_config_node *schema = NULL, *params = NULL;
    ck_assert_msg(hv_schema_load_string(schema_text, strlen(schema_text), "<schema>", &schema) == HV_OK, "%s",
                  hv_last_error());
    ck_assert_int_eq(hv_config_load_string(yaml, strlen(yaml), "params.yaml", &params), HV_OK);
    ck_assert_msg(hv_schema_validate(schema, params, NULL) == HV_OK, "%s", hv_last_error());
    hv_config_free(schema);
    return params;
}

static const hv_config_node *at(const hv_config_node *n, const char *a, const char *b, const char *c) {
    n = hv_config_get(n, a);
    if (b) n = hv_config_get(n, b);
    if (c) n = hv_config_get(n, c);
    ck_assert_msg(n != NULL, "the schema filled no %s.%s.%s", a, b ? b : "", c ? c : "");
    ck_assert_msg(hv_config_is_default(n), "%s.%s.%s did not come from the schema", a, b ? b : "", c ? c : "");
    return n;
}

static double num(const hv_config_node *n) {
    double v = 0;
    ck_assert_int_eq(hv_config_as_double(n, &v), HV_OK);
    return v;
}

static const char k_minimal[] = "{backbone: {component: convnext}, weights: {random: {}}}";

START_TEST(segment_schema_defaults_equal_the_c_paper_defaults) {
    hv_config_node *p = filled(seg_param_schema, k_minimal);
    hv_maskrcnn_params d;
    hv_maskrcnn_params_default(&d);
    const hv_maskrcnn_test_cfg *t = &d.test;
    /* floats compare as the float the reader stores: (float)0.01 is what the model runs with */
    ck_assert_int_eq((int32_t)num(at(p, "test_cfg", "rpn", "nms_pre")), t->rpn_nms_pre);
    ck_assert_int_eq((int32_t)num(at(p, "test_cfg", "rpn", "max_per_img")), t->rpn_max_per_img);
    ck_assert_float_eq((float)num(at(p, "test_cfg", "rpn", "iou_threshold")), t->rpn_iou);
    ck_assert_float_eq((float)num(at(p, "test_cfg", "rpn", "min_bbox_size")), t->rpn_min_bbox_size);
    ck_assert_float_eq((float)num(at(p, "test_cfg", "rcnn", "score_thr")), t->score_thr);
    ck_assert_float_eq((float)num(at(p, "test_cfg", "rcnn", "iou_threshold")), t->rcnn_iou);
    ck_assert_int_eq((int32_t)num(at(p, "test_cfg", "rcnn", "max_per_img")), t->max_per_img);
    ck_assert_float_eq((float)num(at(p, "test_cfg", "rcnn", "mask_thr_binary")), t->mask_thr);
    const hv_config_node *size = at(p, "preprocess", "size", NULL);
    ck_assert_int_eq((int32_t)num(hv_config_item(size, 0)), d.target_h);
    ck_assert_int_eq((int32_t)num(hv_config_item(size, 1)), d.target_w);
    for (size_t c = 0; c < 3; c++) {
        ck_assert_float_eq((float)num(hv_config_item(at(p, "preprocess", "mean", NULL), c)), d.mean[c]);
        ck_assert_float_eq((float)num(hv_config_item(at(p, "preprocess", "std", NULL), c)), d.std[c]);
    }
    ck_assert_int_eq((int32_t)num(at(p, "preprocess", "pad_divisor", NULL)), d.pad_divisor);

    /* The detect API's RPN defaults are a third copy of the same four numbers. */
    hv_rpn_params r;
    hv_rpn_params_default(&r, 224, 224);
    ck_assert_int_eq(r.nms_pre, t->rpn_nms_pre);
    ck_assert_int_eq(r.max_per_img, t->rpn_max_per_img);
    ck_assert_float_eq(r.iou_thr, t->rpn_iou);
    ck_assert_float_eq(r.min_bbox_size, t->rpn_min_bbox_size);

    /* And the reader turns the filled params into exactly the paper's model settings. */
    hv_create_info info = {.struct_size = sizeof info, .instance_id = "seg", .params = p, .precision = "f32"};
    seg_config c;
    ck_assert_msg(seg_config_read(&info, &c) == HV_OK, "%s", hv_last_error());
    ck_assert_mem_eq(&c.mp.test, t, sizeof *t);
    ck_assert_int_eq(c.mp.target_h, d.target_h);
    ck_assert_int_eq(c.mp.target_w, d.target_w);
    ck_assert_mem_eq(c.mp.mean, d.mean, sizeof d.mean);
    ck_assert_mem_eq(c.mp.std, d.std, sizeof d.std);
    ck_assert_int_eq(c.mp.pad_divisor, d.pad_divisor);
    ck_assert_int_eq(c.mp.dtype, d.dtype);
    /* anchors: the schema's [8] is what the C default's "no scales" means (mmdet's one scale, 8) */
    ck_assert_int_eq(d.n_anchor_scales, 0);
    ck_assert_float_eq(r.anchor_scale, 8.0f);
    ck_assert_int_eq(r.n_scales, 0);
    ck_assert_int_eq(c.mp.n_anchor_scales, 1);
    ck_assert_float_eq(c.mp.anchor_scales[0], r.anchor_scale);
    ck_assert_int_eq(c.tta.n, 0); /* no tta block: one pass */
    hv_config_free(p);
}
END_TEST

/* Values that differ from every default come through: nothing in the reader overrides them. */
START_TEST(segment_reader_takes_every_value_from_the_params) {
    hv_config_node *p = filled(seg_param_schema,
                               "{backbone: {component: convnext}, weights: {random: {seed: 3}}, model: m2,\n"
                               " preprocess: {size: [320, 256], mean: [1, 2, 3], std: [4, 5, 6], pad_divisor: 16},\n"
                               " anchor_scales: [4, 5.5, 6],\n"
                               " test_cfg: {rpn: {nms_pre: 7, max_per_img: 9, iou_threshold: 0.3, min_bbox_size: 2},\n"
                               "            rcnn: {score_thr: 0.4, iou_threshold: 0.6, max_per_img: 11,\n"
                               "                   mask_thr_binary: 0.7}},\n"
                               " tta: {transforms: [vflip], merge: wbf, wbf_iou: 0.8}, mask_format: bitmap,\n"
                               " precision: f16}");
    hv_create_info info = {.struct_size = sizeof info, .instance_id = "seg", .params = p, .precision = "f32"};
    seg_config c;
    ck_assert_msg(seg_config_read(&info, &c) == HV_OK, "%s", hv_last_error());
    const hv_maskrcnn_test_cfg want = {.rpn_nms_pre = 7, .rpn_max_per_img = 9, .rpn_iou = 0.3f,
                                       .rpn_min_bbox_size = 2.0f, .score_thr = 0.4f, .rcnn_iou = 0.6f,
                                       .max_per_img = 11, .mask_thr = 0.7f};
    ck_assert_mem_eq(&c.mp.test, &want, sizeof want);
    ck_assert_str_eq(c.model, "m2");
    ck_assert_uint_eq(c.seed, 3);
    ck_assert_int_eq(c.mp.target_h, 320);
    ck_assert_int_eq(c.mp.target_w, 256);
    ck_assert_float_eq(c.mp.mean[2], 3.0f);
    ck_assert_float_eq(c.mp.std[0], 4.0f);
    ck_assert_int_eq(c.mp.pad_divisor, 16);
    ck_assert_int_eq(c.mp.n_anchor_scales, 3);
    ck_assert_float_eq(c.mp.anchor_scales[0], 4.0f);
    ck_assert_float_eq(c.mp.anchor_scales[1], 5.5f);
    ck_assert_float_eq(c.mp.anchor_scales[2], 6.0f);
    ck_assert_int_eq(c.tta.n, 1);
    ck_assert_int_eq(c.tta.tfs[0], HV_TTA_VFLIP);
    ck_assert_int_eq(c.tta.merge, HV_TTA_MERGE_WBF);
    ck_assert_float_eq(c.tta.wbf_iou, 0.8f);
    ck_assert(!c.rle);
    ck_assert_int_eq(c.mp.dtype, HV_F16);
    hv_config_free(p);

    /* A tta block without transforms gets the schema's [identity, hflip]. */
    p = filled(seg_param_schema, "{backbone: {component: convnext}, weights: {random: {}}, tta: {}}");
    info.params = p;
    ck_assert_msg(seg_config_read(&info, &c) == HV_OK, "%s", hv_last_error());
    ck_assert_int_eq(c.tta.n, 2);
    ck_assert_int_eq(c.tta.tfs[0], HV_TTA_IDENTITY);
    ck_assert_int_eq(c.tta.tfs[1], HV_TTA_HFLIP);
    ck_assert_int_eq(c.tta.merge, HV_TTA_MERGE_MMDET);
    hv_config_free(p);
}
END_TEST

/* Params that skipped validation: the reader names what is missing instead of falling back to a copy. */
START_TEST(segment_reader_refuses_params_without_their_defaults) {
    hv_config_node *p = NULL;
    ck_assert_int_eq(hv_config_load_string(k_minimal, strlen(k_minimal), "params.yaml", &p), HV_OK);
    hv_create_info info = {.struct_size = sizeof info, .instance_id = "seg", .params = p};
    seg_config c;
    ck_assert_int_eq(seg_config_read(&info, &c), HV_ERR_SCHEMA);
    ck_assert_msg(strstr(hv_last_error(), "params.yaml:1:1: key 'model' is missing"), "%s", hv_last_error());
    hv_config_free(p);

    /* Deeper: a test_cfg the validator never saw lacks rpn.max_per_img, and the message says where. */
    hv_config_node *raw = NULL;
    static const char rpn[] = "{rpn: {nms_pre: 5}, rcnn: {}}";
    ck_assert_int_eq(hv_config_load_string(rpn, strlen(rpn), "tc.yaml", &raw), HV_OK);
    hv_maskrcnn_test_cfg t;
    ck_assert_int_eq(read_test_cfg(raw, &t), HV_ERR_SCHEMA);
    ck_assert_msg(strstr(hv_last_error(), "tc.yaml:1:7: key 'rpn.max_per_img' is missing"), "%s", hv_last_error());
    hv_config_free(raw);
}
END_TEST

/* The ensemble's iou_thr default depends on the method; its schema fills it per method (a oneOf). */
START_TEST(ensemble_schema_defaults_equal_the_c_defaults) {
    hv_registry *reg = NULL;
    ck_assert_int_eq(hv_registry_create(&reg), HV_OK);
    ck_assert_msg(hv_registry_load_file(reg, HEMOVK_BINARY_DIR "/plugins/hemovk-fusion.so") == HV_OK, "%s",
                  hv_last_error());
    const hv_component *ens = hv_registry_find(reg, HV_COMPONENT_STAGE, "ensemble");
    ck_assert_ptr_nonnull(ens);
    const char *schema = ens->desc.param_schema;
    hv_ensemble_params vote;
    hv_ensemble_params_default(&vote);
    hv_wbf_params wbf;
    hv_wbf_params_default(&wbf, 1, 1);
    const char *voting[] = {"{models: [a, b]}", "{models: [a], method: consensus}", "{models: [a], method: unanimous}"};
    for (int i = 0; i < 3; i++) {
        hv_config_node *p = filled(schema, voting[i]);
        ck_assert_double_eq(num(at(p, "iou_thr", NULL, NULL)), vote.iou_thr);
        hv_config_free(p);
    }
    hv_config_node *p = filled(schema, "{models: [a], method: wbf}");
    ck_assert_double_eq(num(at(p, "iou_thr", NULL, NULL)), wbf.iou_thr);
    ck_assert_double_eq(num(at(p, "skip_box_thr", NULL, NULL)), wbf.skip_box_thr);
    hv_config_free(p);
    p = filled(schema, "{models: [a], method: wbf, iou_thr: 0.7}"); /* written: kept */
    ck_assert_double_eq(num(hv_config_get(p, "iou_thr")), 0.7);
    hv_config_free(p);

    /* A misspelt method is one error (the enum's), not a second one from the oneOf. */
    hv_config_node *s = NULL, *bad = NULL;
    hv_schema_errors *errs = NULL;
    ck_assert_int_eq(hv_schema_load_string(schema, strlen(schema), "<ensemble>", &s), HV_OK);
    ck_assert_int_eq(hv_config_load_string("{models: [a], method: wfb}", 26, "p.yaml", &bad), HV_OK);
    ck_assert_int_eq(hv_schema_validate(s, bad, &errs), HV_ERR_SCHEMA);
    ck_assert_uint_eq(hv_schema_errors_count(errs), 1);
    ck_assert_msg(strstr(hv_schema_errors_message(errs, 0), "method"), "%s", hv_schema_errors_message(errs, 0));
    hv_schema_errors_free(errs);
    hv_config_free(bad);
    hv_config_free(s);
    hv_registry_free(reg);
}
END_TEST

int main(void) {
    Suite *s = suite_create("schema_defaults");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, segment_schema_defaults_equal_the_c_paper_defaults);
    tcase_add_test(tc, segment_reader_takes_every_value_from_the_params);
    tcase_add_test(tc, segment_reader_refuses_params_without_their_defaults);
    tcase_add_test(tc, ensemble_schema_defaults_equal_the_c_defaults);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
