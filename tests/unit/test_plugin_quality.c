/* filter.quality (plugins/core): its measures on synthetic images with known values, its decisions, and
 * the stage run through its vtable on real WCEBleedGen frames (normal frames kept, a washed-out frame,
 * a darkened and a blurred frame dropped with the right reason). */
#include "hvtest.h"

#include "hemovk/config.h"
#include "hemovk/frame.h"
#include "hemovk/image.h"
#include "plugin/registry.h"
#include "plugin/stage.h"

/* The measures are plain C inside the plugin; compile them into this test to check them directly. */
#include "../../plugins/core/quality_metrics.c"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DATA HEMOVK_SHARED_DIR "/data/wcebleedgen"

static uint8_t *solid(int w, int h, uint8_t r, uint8_t g, uint8_t b) {
    uint8_t *p = malloc((size_t)w * h * 3);
    for (int i = 0; i < w * h; i++) {
        p[3 * i] = r;
        p[3 * i + 1] = g;
        p[3 * i + 2] = b;
    }
    return p;
}

static const cq_thresholds k_defaults = {.min_luminance = 20, .min_sharpness = 3, .max_bright_fraction = 0.25, .bright_level = 230};

START_TEST(measures_match_hand_computed_values) {
    cq_metrics m;
    /* a solid colour: luma 0.299*100 + 0.587*50 + 0.114*200 = 82.05, flat, nothing near white */
    uint8_t *p = solid(16, 12, 100, 50, 200);
    cq_measure(p, 16, 12, 230, &m);
    ck_assert_double_eq_tol(m.mean_luminance, 82.05, 1e-9);
    ck_assert_double_eq_tol(m.laplacian_var, 0, 1e-12);
    ck_assert_double_eq_tol(m.bright_fraction, 0, 1e-12);
    free(p);

    /* a grey checkerboard 0/255: every interior Laplacian is +-4*255, so the variance is (1020)^2 */
    int w = 10, h = 8;
    p = malloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) memset(p + 3 * (y * w + x), (x + y) % 2 ? 255 : 0, 3);
    cq_measure(p, w, h, 230, &m);
    ck_assert_double_eq_tol(m.mean_luminance, 127.5, 1e-9);
    ck_assert_double_eq_tol(m.laplacian_var, 1020.0 * 1020.0, 1e-6);
    ck_assert_double_eq_tol(m.bright_fraction, 0.5, 1e-12);
    free(p);

    /* a horizontal ramp is linear: Laplacian 0 everywhere */
    p = malloc((size_t)64 * 4 * 3);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 64; x++) memset(p + 3 * (y * 64 + x), 2 * x, 3);
    cq_measure(p, 64, 4, 230, &m);
    ck_assert_double_eq_tol(m.laplacian_var, 0, 1e-9);
    ck_assert_double_eq_tol(m.mean_luminance, 63, 1e-9);
    free(p);

    /* frames too small for a Laplacian */
    p = solid(2, 2, 240, 240, 240);
    cq_measure(p, 2, 2, 230, &m);
    ck_assert_double_eq_tol(m.laplacian_var, 0, 1e-12);
    ck_assert_double_eq_tol(m.bright_fraction, 1, 1e-12);
    free(p);
}
END_TEST

START_TEST(decisions_and_their_reasons) {
    char why[HV_FRAME_REASON_MAX];
    cq_metrics m = {.mean_luminance = 80, .laplacian_var = 200, .bright_fraction = 0.01};
    ck_assert_int_eq(cq_judge(&m, &k_defaults, why, sizeof why), 0);
    ck_assert_str_eq(why, "");
    m.mean_luminance = 12.34;
    ck_assert_int_eq(cq_judge(&m, &k_defaults, why, sizeof why), 1);
    ck_assert_str_eq(why, "too dark: mean luminance 12.3 < 20");
    m.mean_luminance = 200;
    m.bright_fraction = 0.4;
    ck_assert_int_eq(cq_judge(&m, &k_defaults, why, sizeof why), 1);
    ck_assert_ptr_nonnull(strstr(why, "over-exposed: 40.0% of pixels near white"));
    m.bright_fraction = 0.25; /* at the threshold: kept */
    ck_assert_int_eq(cq_judge(&m, &k_defaults, why, sizeof why), 0);
    m.laplacian_var = 1.5;
    ck_assert_int_eq(cq_judge(&m, &k_defaults, why, sizeof why), 1);
    ck_assert_str_eq(why, "blurred: variance of the Laplacian 1.50 < 3");
    /* dark wins over blurred (a black frame is also flat) */
    m.mean_luminance = 5;
    ck_assert_int_eq(cq_judge(&m, &k_defaults, why, sizeof why), 1);
    ck_assert_ptr_nonnull(strstr(why, "too dark"));
    /* thresholds of 0, 0 and 1 switch every check off */
    cq_thresholds off = {.min_luminance = 0, .min_sharpness = 0, .max_bright_fraction = 1, .bright_level = 230};
    cq_metrics black = {.mean_luminance = 0, .laplacian_var = 0, .bright_fraction = 1};
    ck_assert_int_eq(cq_judge(&black, &off, why, sizeof why), 0);
}
END_TEST

/* ---- the stage through the plugin --------------------------------------------------------------- */

static hv_registry *load_core(void) {
    hv_registry *reg = NULL;
    ck_assert_int_eq(hv_registry_create(&reg), HV_OK);
    ck_assert_int_eq(hv_registry_load_dir(reg, HEMOVK_BINARY_DIR "/plugins"), HV_OK);
    ck_assert_ptr_nonnull(hv_registry_find(reg, HV_COMPONENT_STAGE, "filter.quality"));
    return reg;
}

static void load_frame(hv_frame *f, uint64_t id, const char *path) {
    ck_assert_int_eq(hv_frame_init(f, id, path), HV_OK);
    hv_image img;
    ck_assert_msg(hv_image_load(path, &img) == HV_OK, "%s", hv_last_error());
    hv_frame_set_pixels(f, img.width, img.height, img.rgb);
}

/* Three passes of a 9x9 box blur on each channel (clamped borders): a badly out-of-focus frame. */
static void blur(hv_frame *f) {
    int w = f->width, h = f->height;
    uint8_t *tmp = malloc((size_t)w * h * 3);
    for (int pass = 0; pass < 3; pass++) {
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++) {
                    int sum = 0;
                    for (int dy = -4; dy <= 4; dy++)
                        for (int dx = -4; dx <= 4; dx++) {
                            int yy = y + dy < 0 ? 0 : y + dy >= h ? h - 1 : y + dy;
                            int xx = x + dx < 0 ? 0 : x + dx >= w ? w - 1 : x + dx;
                            sum += f->rgb[3 * (yy * w + xx) + c];
                        }
                    tmp[3 * (y * w + x) + c] = (uint8_t)((sum + 40) / 81);
                }
        memcpy(f->rgb, tmp, (size_t)w * h * 3);
    }
    free(tmp);
}

START_TEST(stage_keeps_normal_frames_and_drops_bad_ones) {
    hv_registry *reg = load_core();
    hv_stage *stage = NULL;
    ck_assert_int_eq(hv_stage_create(reg, HV_COMPONENT_STAGE, "filter.quality", "quality", NULL, &stage), HV_OK);

    /* normal frames from the three parts of the data set, including the darkest and the smoothest */
    static const char *normal[] = {
        DATA "/WCEBleedGen/non-bleeding/images/img- (1).png",
        DATA "/WCEBleedGen/non-bleeding/images/img- (737).png", /* darkest (mean luma 27) and smoothest */
        DATA "/WCEBleedGen/bleeding/Images/img- (12).png",
        DATA "/WCEBleedGen/non-bleeding/images/img- (335).png", /* bright */
        DATA "/test/Test Dataset 1/A0000.png",
        DATA "/test/Test Dataset 2/A0474.png",                  /* sharpest, some specular highlights */
    };
    enum { N_NORMAL = sizeof normal / sizeof normal[0] };
    hv_frame frames[N_NORMAL + 3];
    hv_frame *batch[N_NORMAL + 3];
    for (size_t i = 0; i < N_NORMAL; i++) load_frame(&frames[i], i, normal[i]);
    /* the washed-out frame of test set 2 */
    load_frame(&frames[N_NORMAL], N_NORMAL, DATA "/test/Test Dataset 2/A0312.png");
    /* a normal frame darkened to a fifth */
    load_frame(&frames[N_NORMAL + 1], N_NORMAL + 1, normal[0]);
    for (int i = 0; i < frames[N_NORMAL + 1].width * frames[N_NORMAL + 1].height * 3; i++)
        frames[N_NORMAL + 1].rgb[i] /= 5;
    /* a normal frame badly blurred */
    load_frame(&frames[N_NORMAL + 2], N_NORMAL + 2, normal[4]);
    blur(&frames[N_NORMAL + 2]);
    for (size_t i = 0; i < N_NORMAL + 3; i++) batch[i] = &frames[i];

    ck_assert_int_eq(hv_stage_process(stage, batch, N_NORMAL + 3), HV_OK);
    for (size_t i = 0; i < N_NORMAL; i++) {
        ck_assert_msg(!frames[i].dropped, "%s dropped: %s", normal[i], frames[i].drop_reason);
        ck_assert_ptr_nonnull(hv_frame_get_meta(&frames[i], "quality.luminance"));
        ck_assert_ptr_nonnull(hv_frame_get_meta(&frames[i], "quality.sharpness"));
        ck_assert_ptr_nonnull(hv_frame_get_meta(&frames[i], "quality.bright_fraction"));
    }
    ck_assert(frames[N_NORMAL].dropped);
    ck_assert_msg(strstr(frames[N_NORMAL].drop_reason, "over-exposed"), "%s", frames[N_NORMAL].drop_reason);
    ck_assert_str_eq(frames[N_NORMAL].drop_stage, "quality");
    ck_assert(frames[N_NORMAL + 1].dropped);
    ck_assert_msg(strstr(frames[N_NORMAL + 1].drop_reason, "too dark"), "%s", frames[N_NORMAL + 1].drop_reason);
    ck_assert(frames[N_NORMAL + 2].dropped);
    ck_assert_msg(strstr(frames[N_NORMAL + 2].drop_reason, "blurred"), "%s", frames[N_NORMAL + 2].drop_reason);
    /* the metadata agrees with the measure */
    cq_metrics m;
    cq_measure(frames[0].rgb, frames[0].width, frames[0].height, 230, &m);
    ck_assert_double_eq_tol(atof(hv_frame_get_meta(&frames[0], "quality.luminance")), m.mean_luminance, 0.006);

    /* a frame without pixels is a per-frame error, not a failed batch */
    hv_frame empty;
    hv_frame_init(&empty, 99, "missing.png");
    hv_frame *one[] = {&empty};
    ck_assert_int_eq(hv_stage_process(stage, one, 1), HV_OK);
    ck_assert(empty.dropped);
    ck_assert_ptr_nonnull(empty.error);
    ck_assert_ptr_nonnull(strstr(empty.error, "no decoded pixels"));
    hv_frame_clear(&empty);

    ck_assert_int_eq(hv_stage_flush(stage), HV_OK);
    hv_stage_destroy(stage);
    for (size_t i = 0; i < N_NORMAL + 3; i++) hv_frame_clear(&frames[i]);
    hv_registry_free(reg);
}
END_TEST

START_TEST(stage_params_come_from_the_schema) {
    hv_registry *reg = load_core();
    hv_stage *stage = NULL;
    hv_config_node *params = NULL;
    /* a stricter luminance threshold drops a normal frame; metadata off */
    const char *yaml = "min_luminance: 250\nrecord_metrics: false\n";
    ck_assert_int_eq(hv_config_load_string(yaml, strlen(yaml), "q.yaml", &params), HV_OK);
    ck_assert_int_eq(hv_stage_create(reg, HV_COMPONENT_STAGE, "filter.quality", "q", params, &stage), HV_OK);
    /* the defaults were filled in from the schema */
    double frac = 0;
    ck_assert_int_eq(hv_config_get_double(params, "max_bright_fraction", -1, &frac), HV_OK);
    ck_assert_double_eq_tol(frac, 0.25, 1e-12);
    hv_frame f;
    load_frame(&f, 0, DATA "/WCEBleedGen/non-bleeding/images/img- (1).png");
    hv_frame *batch[] = {&f};
    ck_assert_int_eq(hv_stage_process(stage, batch, 1), HV_OK);
    ck_assert(f.dropped);
    ck_assert_ptr_nonnull(strstr(f.drop_reason, "too dark"));
    ck_assert_ptr_nonnull(strstr(f.drop_reason, "< 250"));
    ck_assert_uint_eq(f.n_meta, 0);
    hv_frame_clear(&f);
    hv_stage_destroy(stage);
    hv_config_free(params);

    /* out of range and unknown keys are schema errors at their line:column */
    yaml = "min_sharpness: 3\nmax_bright_fraction: 1.5\n";
    ck_assert_int_eq(hv_config_load_string(yaml, strlen(yaml), "q.yaml", &params), HV_OK);
    ck_assert_int_eq(hv_stage_create(reg, HV_COMPONENT_STAGE, "filter.quality", "q", params, &stage), HV_ERR_SCHEMA);
    ck_assert_msg(strstr(hv_last_error(), "q.yaml:2:22"), "%s", hv_last_error());
    hv_config_free(params);
    yaml = "min_luminence: 10\n";
    ck_assert_int_eq(hv_config_load_string(yaml, strlen(yaml), "q.yaml", &params), HV_OK);
    ck_assert_int_eq(hv_stage_create(reg, HV_COMPONENT_STAGE, "filter.quality", "q", params, &stage), HV_ERR_SCHEMA);
    ck_assert_msg(strstr(hv_last_error(), "min_luminence"), "%s", hv_last_error());
    hv_config_free(params);
    hv_registry_free(reg);
}
END_TEST

int main(void) {
    Suite *s = suite_create("plugin_quality");
    TCase *tc = tcase_create("quality");
    tcase_add_test(tc, measures_match_hand_computed_values);
    tcase_add_test(tc, decisions_and_their_reasons);
    tcase_add_test(tc, stage_keeps_normal_frames_and_drops_bad_ones);
    tcase_add_test(tc, stage_params_come_from_the_schema);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
