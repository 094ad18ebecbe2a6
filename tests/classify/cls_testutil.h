/* Shared helpers of the classifier tests: a registry with the build's plugins and a device, frames from
 * WCEBleedGen PNGs, classifier stages from YAML text, the PyTorch reference generator. */
#ifndef HEMOVK_TESTS_CLS_TESTUTIL_H
#define HEMOVK_TESTS_CLS_TESTUTIL_H

#include "hvtest.h"

#include "hemovk/config.h"
#include "hemovk/device.h"
#include "hemovk/frame.h"
#include "hemovk/image.h"
#include "hemovk/weights.h"
#include "plugin/registry.h"
#include "plugin/stage.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WCE_DIR HEMOVK_SHARED_DIR "/data/wcebleedgen/WCEBleedGen"
#define WCE_BLEEDING WCE_DIR "/bleeding/Images/img- (%d).png"
#define WCE_NORMAL WCE_DIR "/non-bleeding/images/img- (%d).png"

static hv_registry *g_reg;
static hv_device *g_dev;

/* Registry with the build tree's plugins and (when `with_device`) the default Vulkan device. */
static inline void cls_setup_registry(int with_device) {
    ck_assert_int_eq(hv_registry_create(&g_reg), HV_OK);
    ck_assert_int_eq(hv_registry_load_dir(g_reg, HEMOVK_BINARY_DIR "/plugins"), HV_OK);
    ck_assert_ptr_nonnull(hv_registry_find(g_reg, HV_COMPONENT_STAGE, "classifier"));
    ck_assert_ptr_nonnull(hv_registry_find(g_reg, HV_COMPONENT_BACKBONE, "efficientnet"));
    ck_assert_ptr_nonnull(hv_registry_find(g_reg, HV_COMPONENT_WEIGHT_LOADER, "swa"));
    if (with_device) {
        hv_status st = hv_device_open(NULL, &g_dev);
        ck_assert_msg(st == HV_OK, "%s", hv_last_error());
        hv_registry_set_device(g_reg, g_dev);
    }
}

static inline void cls_teardown_registry(void) {
    hv_registry_free(g_reg);
    g_reg = NULL;
    hv_device_close(g_dev);
    g_dev = NULL;
    ck_assert_uint_eq(hv_validation_message_count(), 0);
}

/* Decode `path` into a new frame. */
static inline void cls_load_frame(hv_frame *f, uint64_t id, const char *path) {
    ck_assert_int_eq(hv_frame_init(f, id, path), HV_OK);
    hv_image img = {0};
    hv_status st = hv_image_load(path, &img);
    ck_assert_msg(st == HV_OK, "%s", hv_last_error());
    hv_frame_set_pixels(f, img.width, img.height, img.rgb); /* takes the pixels */
}

/* Create a classifier stage from YAML params; returns the status (the stage in *out on success). */
static inline hv_status cls_try_stage(const char *yaml, const char *file, hv_config_node **params, hv_stage **out) {
    *out = NULL;
    hv_status st = hv_config_load_string(yaml, strlen(yaml), file, params);
    ck_assert_msg(st == HV_OK, "%s", hv_last_error());
    return hv_stage_create(g_reg, HV_COMPONENT_STAGE, "classifier", "classify", *params, out);
}

static inline hv_stage *cls_stage(const char *yaml, hv_config_node **params) {
    hv_stage *s = NULL;
    hv_status st = cls_try_stage(yaml, "classify.yaml", params, &s);
    ck_assert_msg(st == HV_OK, "%s", hv_last_error());
    return s;
}

/* Run tools/ref/gen_backbone.py with `args` (the reference models; Debian's python3 with torch). */
static inline void cls_gen(const char *args) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s/tools/ref/gen_backbone.py %s > /dev/null", HEMOVK_PYTHON, HEMOVK_SOURCE_DIR, args);
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* A tensor of a safetensors file as f32 (malloc'ed); *n gets its element count. */
static inline float *cls_read_tensor(const char *path, const char *name, size_t *n) {
    hv_weights *w = NULL;
    ck_assert_msg(hv_weights_open(path, &w) == HV_OK, "%s", hv_last_error());
    hv_weight_info info;
    ck_assert_msg(hv_weights_find(w, name, &info) == HV_OK, "%s", hv_last_error());
    float *d = malloc(sizeof(float) * (size_t)info.numel);
    ck_assert_int_eq(hv_weights_read_f32(w, name, d, (size_t)info.numel), HV_OK);
    *n = (size_t)info.numel;
    hv_weights_free(w);
    return d;
}

#endif
