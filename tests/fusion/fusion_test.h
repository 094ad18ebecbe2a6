/* Helpers of the fusion tests (header-only; each tests/fusion/test_*.c is its own executable): load the
 * fusion plugin, create one of its components with YAML params, and build frames by hand. */
#ifndef HEMOVK_FUSION_TEST_H
#define HEMOVK_FUSION_TEST_H

#include "hvtest.h"

#include "hemovk/config.h"
#include "hemovk/frame.h"
#include "plugin/registry.h"
#include "plugin/stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline hv_registry *ft_registry(void) {
    hv_registry *reg = NULL;
    ck_assert_int_eq(hv_registry_create(&reg), HV_OK);
    ck_assert_int_eq(hv_registry_load_file(reg, HEMOVK_BINARY_DIR "/plugins/hemovk-fusion.so"), HV_OK);
    return reg;
}

/* Create component `name` of `kind` with params from YAML text; returns the status (stage in *out).
 * *params must be freed by the caller after the stage is destroyed. */
static inline hv_status ft_create(hv_registry *reg, hv_component_kind kind, const char *name, const char *yaml,
                                  const char *output_dir, const char *output_path, int resume, hv_config_node **params,
                                  hv_stage **out) {
    *params = NULL;
    ck_assert_msg(hv_config_load_string(yaml, strlen(yaml), "params.yaml", params) == HV_OK, "%s", hv_last_error());
    hv_stage_context ctx = {.output_dir = output_dir, .output_path = output_path, .resume = resume, .batch = 4};
    return hv_stage_create_ex(reg, kind, name, name, *params, &ctx, out);
}

/* A w×h frame with a mid-grey picture. */
static inline void ft_frame(hv_frame *f, uint64_t id, const char *path, int w, int h) {
    ck_assert_int_eq(hv_frame_init(f, id, path), HV_OK);
    uint8_t *rgb = malloc((size_t)w * h * 3);
    for (size_t i = 0; i < (size_t)w * h * 3; i++) rgb[i] = (uint8_t)(40 + (i * 7) % 180);
    hv_frame_set_pixels(f, w, h, rgb);
}

/* The row-major w×h 0/1 mask of the box [x1, x2) × [y1, y2). */
static inline uint8_t *ft_box_mask(int w, int h, int x1, int y1, int x2, int y2) {
    uint8_t *m = calloc((size_t)w * h, 1);
    for (int y = y1; y < y2 && y < h; y++)
        for (int x = x1; x < x2 && x < w; x++) m[(size_t)y * w + x] = 1;
    return m;
}

/* Add a detection tagged `model` with a bitmap mask filling its box. */
static inline void ft_add(hv_frame *f, const char *model, float x1, float y1, float x2, float y2, float score,
                          int label) {
    hv_detection d;
    memset(&d, 0, sizeof d);
    d.x1 = x1, d.y1 = y1, d.x2 = x2, d.y2 = y2, d.score = score, d.label = label;
    snprintf(d.model, sizeof d.model, "%s", model);
    d.mask.format = HV_MASK_BITMAP;
    d.mask.width = (uint32_t)f->width;
    d.mask.height = (uint32_t)f->height;
    d.mask.bitmap = ft_box_mask(f->width, f->height, (int)x1, (int)y1, (int)x2, (int)y2);
    ck_assert_int_eq(hv_frame_add_detection(f, &d, NULL), HV_OK);
}

#endif
