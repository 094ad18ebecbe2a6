/* The `segmenter` stage through the plugin registry, on real WCEBleedGen frames, with random weights: a
 * plumbing check — every detection has a frame-sized mask (RLE decodes, or a bitmap), a box inside the
 * frame, the model tag, scores sorted descending; the CAM feature is exposed; bad params are refused with
 * the offending key named. Validation layer on, zero messages. */
/* CTEST_ALSO_ON_CPU */
#include "hvtest.h"

#include "hemovk/config.h"
#include "hemovk/detect.h"
#include "hemovk/device.h"
#include "hemovk/frame.h"
#include "hemovk/image.h"
#include "plugin/registry.h"
#include "plugin/stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAMES HEMOVK_SHARED_DIR "/data/wcebleedgen/WCEBleedGen/bleeding/Images/"

static hv_registry *registry(hv_device *dev) {
    hv_registry *reg = NULL;
    ck_assert_int_eq(hv_registry_create(&reg), HV_OK);
    const char *plugins[] = {"segment", "backbones", "weights"};
    for (int i = 0; i < 3; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/plugins/hemovk-%s.so", HEMOVK_BINARY_DIR, plugins[i]);
        ck_assert_msg(hv_registry_load_file(reg, path) == HV_OK, "%s", hv_last_error());
    }
    hv_registry_set_device(reg, dev);
    return reg;
}

static hv_status create(hv_registry *reg, const char *yaml, hv_config_node **params, hv_stage **out) {
    ck_assert_msg(hv_config_load_string(yaml, strlen(yaml), "params.yaml", params) == HV_OK, "%s", hv_last_error());
    hv_stage_context ctx = {.batch = 2};
    return hv_stage_create_ex(reg, HV_COMPONENT_STAGE, "segmenter", "seg", *params, &ctx, out);
}

static void load_frames(hv_frame *f, int n) {
    const int ids[] = {12, 531, 1173};
    for (int i = 0; i < n; i++) {
        char path[512];
        snprintf(path, sizeof path, FRAMES "img- (%d).png", ids[i]);
        hv_image img;
        ck_assert_msg(hv_image_load(path, &img) == HV_OK, "%s", hv_last_error());
        ck_assert_int_eq(hv_frame_init(&f[i], (uint64_t)i, path), HV_OK);
        hv_frame_set_pixels(&f[i], img.width, img.height, img.rgb);
    }
}

/* Every detection: frame-sized mask that decodes, box inside the frame, model tag, sorted scores. */
static size_t check_frame(const hv_frame *f, const char *model, int rle) {
    float prev = 2.0f;
    for (size_t k = 0; k < f->n_detections; k++) {
        const hv_detection *d = &f->detections[k];
        ck_assert_str_eq(d->model, model);
        ck_assert_msg(d->x1 >= 0 && d->y1 >= 0 && d->x2 <= f->width && d->y2 <= f->height && d->x1 <= d->x2 &&
                          d->y1 <= d->y2,
                      "box %zu [%g %g %g %g] outside %dx%d", k, d->x1, d->y1, d->x2, d->y2, f->width, f->height);
        ck_assert_msg(d->score <= prev && d->score > 0.05f && d->score <= 1.0f, "score %zu = %g (prev %g)", k, d->score, prev);
        prev = d->score;
        ck_assert_int_eq(d->mask.width, (uint32_t)f->width);
        ck_assert_int_eq(d->mask.height, (uint32_t)f->height);
        if (rle) {
            ck_assert_int_eq(d->mask.format, HV_MASK_RLE);
            hv_rle r = {.h = d->mask.height, .w = d->mask.width, .n = d->mask.n_rle, .counts = d->mask.rle};
            uint8_t *m = malloc((size_t)f->width * f->height);
            ck_assert_msg(hv_rle_decode(&r, m) == HV_OK, "%s", hv_last_error());
            free(m);
        } else {
            ck_assert_int_eq(d->mask.format, HV_MASK_BITMAP);
            ck_assert_ptr_nonnull(d->mask.bitmap);
        }
    }
    return f->n_detections;
}

START_TEST(random_weights_real_frames) {
    hv_device *dev = NULL;
    ck_assert_msg(hv_device_open(NULL, &dev) == HV_OK, "%s", hv_last_error());
    hv_registry *reg = registry(dev);
    /* narrow heads, a small input (keep-ratio to 96) and few boxes keep lavapipe fast; masks are pasted back at 224×224 */
    const char *yaml =
        "model: seg-convnext\n"
        "backbone: {component: convnext, params: {depths: [1, 1, 1, 1], dims: [16, 32, 48, 64]}}\n"
        "weights: {random: {seed: 2}}\n"
        "fpn_channels: 32\n"
        "fc_channels: 64\n"
        "preprocess: {size: [96, 96]}\n"
        "test_cfg: {rpn: {max_per_img: 64}, rcnn: {max_per_img: 6, score_thr: 0.05}}\n"
        "tta: {transforms: [identity, hflip], merge: mmdet}\n"
        "cam: {layer: fpn.4}\n";
    hv_config_node *params = NULL;
    hv_stage *st = NULL;
    ck_assert_msg(create(reg, yaml, &params, &st) == HV_OK, "%s", hv_last_error());
    hv_frame f[3];
    load_frames(f, 3);
    hv_frame *fp[3] = {&f[0], &f[1], &f[2]};
    ck_assert_msg(hv_stage_process(st, fp, 3) == HV_OK, "%s", hv_last_error());
    size_t total = 0;
    for (int i = 0; i < 3; i++) {
        ck_assert_ptr_null(f[i].error);
        total += check_frame(&f[i], "seg-convnext", 1);
        const hv_feature_map *fm = hv_frame_get_feature(&f[i], "seg.fpn.4");
        ck_assert_ptr_nonnull(fm);
        ck_assert_int_eq(fm->channels, 32);
        ck_assert_int_eq(fm->height, 2); /* 96 / 64 → P6 of a 96×96 input is 2×2 */
        ck_assert_str_eq(hv_frame_get_meta(&f[i], "segmenter.random_weights"), "seg-convnext");
    }
    printf("segmenter (random convnext, mmdet hflip TTA): %zu detections on 3 frames\n", total);
    ck_assert_msg(total > 0, "random weights gave no detection at all: nothing was checked");
    hv_stage_destroy(st);
    hv_config_free(params);
    /* bitmap masks, NMS merge with a rotation, InternImage */
    const char *yaml2 =
        "model: seg-ii\n"
        "backbone: {component: internimage, params: {channels: 16, depths: [1, 1, 1, 1], groups: [1, 2, 4, 8]}}\n"
        "weights: {random: {seed: 3}}\n"
        "fpn_channels: 32\n"
        "fc_channels: 64\n"
        "preprocess: {size: [64, 64]}\n"
        "test_cfg: {rpn: {max_per_img: 32}, rcnn: {max_per_img: 4}}\n"
        "tta: {transforms: [identity, rot90], merge: nms}\n"
        "mask_format: bitmap\n";
    ck_assert_msg(create(reg, yaml2, &params, &st) == HV_OK, "%s", hv_last_error());
    for (int i = 0; i < 3; i++) hv_frame_clear_detections(&f[i]);
    ck_assert_msg(hv_stage_process(st, fp, 2) == HV_OK, "%s", hv_last_error());
    total = check_frame(&f[0], "seg-ii", 0) + check_frame(&f[1], "seg-ii", 0);
    printf("segmenter (random internimage, rot90 NMS TTA): %zu detections on 2 frames\n", total);
    hv_stage_destroy(st);
    hv_config_free(params);
    for (int i = 0; i < 3; i++) hv_frame_clear(&f[i]);
    hv_registry_free(reg);
    hv_device_close(dev);
    ck_assert_int_eq(hv_validation_message_count(), 0);
}
END_TEST

START_TEST(bad_params) {
    hv_registry *reg = registry(NULL);
    hv_config_node *params = NULL;
    hv_stage *st = NULL;
    /* unknown backbone: the message names it */
    ck_assert_int_ne(create(reg, "backbone: {component: resnet}\nweights: {random: {}}\n", &params, &st), HV_OK);
    ck_assert_msg(strstr(hv_last_error(), "resnet"), "%s", hv_last_error());
    hv_config_free(params);
    /* a test_cfg value out of range is refused by the schema with its key */
    ck_assert_int_ne(create(reg, "backbone: {component: convnext}\nweights: {random: {}}\ntest_cfg: {rcnn: {score_thr: 2}}\n",
                            &params, &st),
                     HV_OK);
    ck_assert_msg(strstr(hv_last_error(), "score_thr"), "%s", hv_last_error());
    hv_config_free(params);
    /* an unknown TTA transform */
    ck_assert_int_ne(create(reg, "backbone: {component: convnext}\nweights: {random: {}}\ntta: {transforms: [shear]}\n",
                            &params, &st),
                     HV_OK);
    hv_config_free(params);
    hv_registry_free(reg);
}
END_TEST

int main(void) {
    Suite *s = suite_create("maskrcnn.segmenter_stage");
    TCase *tc = tcase_create("stage");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, random_weights_real_frames);
    tcase_add_test(tc, bad_params);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
