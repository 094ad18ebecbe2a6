/* The bleeding-area example plugin's logic (examples/bleeding-area/src), compiled into this test:
 * union area and regions on hand-made bitmap and RLE masks (overlaps counted once, empty, full frame,
 * damaged masks), the measure.bleeding_area stage's metadata through its vtable, and detect.from_masks
 * on real WCEBleedGen masks of three PNG encodings checked against an independent Python/PIL count. */
#include "hvtest.h"

#include "hemovk/config.h"
#include "hemovk/frame.h"
#include "hemovk/image.h"

#include "../../examples/bleeding-area/src/bleeding_area.c"
#include "../../examples/bleeding-area/src/stage_from_masks.c"
#include "../../examples/bleeding-area/src/stage_measure.c"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATA HEMOVK_SHARED_DIR "/data/wcebleedgen/WCEBleedGen"

static const ba_options k_all = {.min_score = 0, .label = -1, .use_boxes = 1, .connectivity = 8};

/* A w x h frame without pixels (the measure only needs the size). */
static void blank_frame(hv_frame *f, int w, int h) {
    ck_assert_int_eq(hv_frame_init(f, 0, NULL), HV_OK);
    f->width = w;
    f->height = h;
}

/* Add a detection whose bitmap mask is the rectangle [x1, x2) x [y1, y2). */
static void add_rect_bitmap(hv_frame *f, int x1, int y1, int x2, int y2, float score, int label) {
    hv_detection d;
    memset(&d, 0, sizeof d);
    d.x1 = (float)x1, d.y1 = (float)y1, d.x2 = (float)x2, d.y2 = (float)y2;
    d.score = score;
    d.label = label;
    d.mask.format = HV_MASK_BITMAP;
    d.mask.width = (uint32_t)f->width;
    d.mask.height = (uint32_t)f->height;
    d.mask.bitmap = calloc((size_t)f->width * f->height, 1);
    for (int y = y1; y < y2; y++)
        for (int x = x1; x < x2; x++) d.mask.bitmap[y * f->width + x] = 1;
    ck_assert_int_eq(hv_frame_add_detection(f, &d, NULL), HV_OK);
}

static void add_rle(hv_frame *f, const uint32_t *counts, size_t n, uint32_t w, uint32_t h) {
    hv_detection d;
    memset(&d, 0, sizeof d);
    d.score = 1;
    d.mask.format = HV_MASK_RLE;
    d.mask.width = w;
    d.mask.height = h;
    d.mask.n_rle = n;
    d.mask.rle = malloc(n * sizeof *counts);
    memcpy(d.mask.rle, counts, n * sizeof *counts);
    ck_assert_int_eq(hv_frame_add_detection(f, &d, NULL), HV_OK);
}

static ba_result measure(const hv_frame *f, int connectivity) {
    ba_options o = k_all;
    o.connectivity = connectivity;
    ba_result r;
    ck_assert_msg(ba_measure_frame(f, &o, &r) == HV_OK, "%s", hv_last_error());
    return r;
}

START_TEST(bitmap_overlaps_count_once) {
    hv_frame f;
    blank_frame(&f, 12, 10);
    add_rect_bitmap(&f, 1, 1, 5, 4, 0.9f, 0); /* 4x3 = 12 */
    add_rect_bitmap(&f, 3, 2, 7, 6, 0.8f, 0); /* 4x4 = 16, overlapping the first in [3,5)x[2,4) = 4 */
    ba_result r = measure(&f, 8);
    ck_assert_uint_eq(r.pixels, 12 + 16 - 4);
    ck_assert_uint_eq(r.regions, 1);
    ck_assert_double_eq_tol(r.fraction, 24.0 / 120.0, 1e-15);
    /* the same instance twice adds nothing */
    add_rect_bitmap(&f, 1, 1, 5, 4, 0.5f, 0);
    ck_assert_uint_eq(measure(&f, 8).pixels, 24);
    /* a separate region, touching the others only at the corner (7,6)-(8,7): one 8-region, two 4-regions */
    add_rect_bitmap(&f, 7, 6, 10, 9, 0.7f, 0); /* 3x3 = 9 */
    r = measure(&f, 8);
    ck_assert_uint_eq(r.pixels, 33);
    ck_assert_uint_eq(r.regions, 1);
    ck_assert_uint_eq(measure(&f, 4).regions, 2);
    /* and one far away */
    add_rect_bitmap(&f, 11, 0, 12, 2, 0.7f, 0);
    r = measure(&f, 4);
    ck_assert_uint_eq(r.pixels, 35);
    ck_assert_uint_eq(r.regions, 3);
    hv_frame_clear(&f);
}
END_TEST

START_TEST(rle_is_column_major_and_matches_bitmap) {
    /* 3 wide, 2 high. Runs [1, 2, 3]: index 0 background, 1-2 object, 3-5 background. Column-major index
     * k is pixel (x = k / 2, y = k % 2): k=1 -> (0,1), k=2 -> (1,0). Two pixels touching at a corner. */
    hv_frame f;
    blank_frame(&f, 3, 2);
    const uint32_t runs[] = {1, 2, 3};
    add_rle(&f, runs, 3, 3, 2);
    ba_result r = measure(&f, 8);
    ck_assert_uint_eq(r.pixels, 2);
    ck_assert_uint_eq(r.regions, 1);
    ck_assert_uint_eq(measure(&f, 4).regions, 2);
    uint8_t uni[6] = {0};
    ck_assert_int_eq(ba_union_add_mask(uni, 3, 2, &f.detections[0].mask), HV_OK);
    const uint8_t want[6] = {0, 1, 0, 1, 0, 0};
    ck_assert_mem_eq(uni, want, 6);
    /* the bitmap (1,0),(0,1) overlaps it exactly: still 2 pixels */
    hv_detection d;
    memset(&d, 0, sizeof d);
    d.score = 1;
    d.mask = (hv_mask){.format = HV_MASK_BITMAP, .width = 3, .height = 2, .bitmap = malloc(6)};
    memcpy(d.mask.bitmap, want, 6);
    ck_assert_int_eq(hv_frame_add_detection(&f, &d, NULL), HV_OK);
    ck_assert_uint_eq(measure(&f, 8).pixels, 2);
    hv_frame_clear(&f);

    /* round trip on pseudo-random masks of odd sizes: encode -> decode gives the bitmap back */
    uint64_t seed = 12345;
    for (int t = 0; t < 20; t++) {
        uint32_t w = 1 + (uint32_t)(t * 7 % 23), h = 1 + (uint32_t)(t * 5 % 17);
        uint8_t *bits = malloc((size_t)w * h), *back = calloc((size_t)w * h, 1);
        for (size_t i = 0; i < (size_t)w * h; i++) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            bits[i] = (seed >> 33) % 3 == 0;
        }
        hv_mask m = {.format = HV_MASK_RLE, .width = w, .height = h};
        ck_assert_int_eq(ba_bitmap_to_rle(bits, w, h, &m.rle, &m.n_rle), HV_OK);
        ck_assert_int_eq(ba_union_add_mask(back, w, h, &m), HV_OK);
        ck_assert_mem_eq(back, bits, (size_t)w * h);
        free(m.rle);
        free(bits);
        free(back);
    }
}
END_TEST

START_TEST(empty_and_full_frames) {
    hv_frame f;
    blank_frame(&f, 8, 6);
    ba_result r = measure(&f, 8); /* no detections */
    ck_assert_uint_eq(r.pixels, 0);
    ck_assert_uint_eq(r.regions, 0);
    ck_assert_double_eq(r.fraction, 0);
    const uint32_t none[] = {48};
    add_rle(&f, none, 1, 8, 6); /* an all-background mask */
    ck_assert_uint_eq(measure(&f, 8).pixels, 0);
    const uint32_t all[] = {0, 48};
    add_rle(&f, all, 2, 8, 6); /* the whole frame */
    r = measure(&f, 4);
    ck_assert_uint_eq(r.pixels, 48);
    ck_assert_uint_eq(r.regions, 1);
    ck_assert_double_eq(r.fraction, 1);
    add_rect_bitmap(&f, 0, 0, 8, 6, 1, 0); /* again, as a bitmap */
    ck_assert_uint_eq(measure(&f, 8).pixels, 48);
    hv_frame_clear(&f);
}
END_TEST

START_TEST(filters_and_box_only_detections) {
    hv_frame f;
    blank_frame(&f, 10, 10);
    add_rect_bitmap(&f, 0, 0, 2, 2, 0.9f, 0);  /* 4 px */
    add_rect_bitmap(&f, 5, 5, 8, 8, 0.3f, 0);  /* 9 px, low score */
    add_rect_bitmap(&f, 0, 7, 10, 8, 0.9f, 1); /* 10 px, class 1 */
    hv_detection d;
    memset(&d, 0, sizeof d); /* box-only: centres of columns 2..3 and rows 4..5 are inside [1.6, 4.4) x [3.6, 5.6) */
    d.x1 = 1.6f, d.x2 = 4.4f, d.y1 = 3.6f, d.y2 = 5.6f, d.score = 0.9f;
    ck_assert_int_eq(hv_frame_add_detection(&f, &d, NULL), HV_OK);
    memset(&d, 0, sizeof d); /* mostly outside the frame: clipped to column 9, rows 0..1 */
    d.x1 = 9, d.x2 = 30, d.y1 = -5, d.y2 = 2, d.score = 0.9f;
    ck_assert_int_eq(hv_frame_add_detection(&f, &d, NULL), HV_OK);
    ba_result r;
    ba_options o = k_all;
    ck_assert_int_eq(ba_measure_frame(&f, &o, &r), HV_OK);
    ck_assert_uint_eq(r.pixels, 4 + 9 + 10 - 3 + 4 + 2); /* row 7 of the class-1 strip overlaps the 3x3 square */
    o.min_score = 0.5f;
    ck_assert_int_eq(ba_measure_frame(&f, &o, &r), HV_OK);
    ck_assert_uint_eq(r.pixels, 4 + 10 + 4 + 2);
    o.label = 0;
    ck_assert_int_eq(ba_measure_frame(&f, &o, &r), HV_OK);
    ck_assert_uint_eq(r.pixels, 4 + 4 + 2);
    o.use_boxes = 0;
    ck_assert_int_eq(ba_measure_frame(&f, &o, &r), HV_OK);
    ck_assert_uint_eq(r.pixels, 4);
    hv_frame_clear(&f);
}
END_TEST

START_TEST(damaged_masks_are_errors_not_crashes) {
    hv_frame f;
    blank_frame(&f, 4, 4);
    const uint32_t short_runs[] = {3, 4}; /* sums to 7, not 16 */
    add_rle(&f, short_runs, 2, 4, 4);
    ba_result r;
    ck_assert_int_eq(ba_measure_frame(&f, &k_all, &r), HV_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "detection 0: RLE runs sum to 7 pixels but the mask is 4x4 = 16"));
    hv_frame_clear(&f);
    const uint32_t long_runs[] = {0, 4000000000u, 4000000000u};
    blank_frame(&f, 4, 4);
    add_rle(&f, long_runs, 3, 4, 4);
    ck_assert_int_eq(ba_measure_frame(&f, &k_all, &r), HV_ERR_INVALID_ARGUMENT);
    hv_frame_clear(&f);
    blank_frame(&f, 4, 4);
    const uint32_t ok[] = {16};
    add_rle(&f, ok, 1, 4, 5); /* wrong size */
    ck_assert_int_eq(ba_measure_frame(&f, &k_all, &r), HV_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "mask is 4x5 but the frame is 4x4"));
    hv_frame_clear(&f);
    blank_frame(&f, 0, 0); /* never decoded */
    ck_assert_int_eq(ba_measure_frame(&f, &k_all, &r), HV_ERR_INVALID_ARGUMENT);
    hv_frame_clear(&f);
    uint32_t n = 0;
    uint8_t one = 1;
    ck_assert_int_eq(ba_label_regions(&one, 1, 1, 6, NULL, &n), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

/* ---- the stages through their vtables ----------------------------------------------------------- */

/* Create a stage as a host does: params validated against the stage's schema, defaults filled in. */
static void *create(const hv_stage_vtable *vt, const char *id, const char *params_yaml, hv_config_node **params) {
    ck_assert_int_eq(hv_config_load_string(params_yaml, strlen(params_yaml), "<params>", params), HV_OK);
    const char *schema_text = vt == &ba_measure_vtable ? ba_measure_schema : ba_from_masks_schema;
    hv_config_node *schema = NULL;
    ck_assert_int_eq(hv_schema_load_string(schema_text, strlen(schema_text), "<schema>", &schema), HV_OK);
    ck_assert_msg(hv_schema_validate(schema, *params, NULL) == HV_OK, "%s", hv_last_error());
    hv_config_free(schema);
    hv_create_info info = {.struct_size = sizeof info, .instance_id = id, .params = *params};
    void *inst = NULL;
    ck_assert_msg(vt->create(&info, &inst) == HV_OK, "%s", hv_last_error());
    return inst;
}

START_TEST(measure_stage_writes_metadata) {
    hv_config_node *params = NULL;
    void *s = create(&ba_measure_vtable, "area", "{mm_per_pixel: 0.5, flag_above_mm2: 5}", &params);
    hv_frame a, b, c;
    blank_frame(&a, 20, 10);
    add_rect_bitmap(&a, 0, 0, 5, 5, 1, 0); /* 25 px = 6.25 mm2 > 5 */
    add_rect_bitmap(&a, 10, 0, 12, 1, 1, 0);
    blank_frame(&b, 20, 10);
    add_rect_bitmap(&b, 0, 0, 4, 4, 1, 0); /* 16 px = 4 mm2 */
    blank_frame(&c, 5, 5);
    const uint32_t bad[] = {1};
    add_rle(&c, bad, 1, 5, 5);
    hv_frame *frames[] = {&a, &b, &c};
    ck_assert_int_eq(ba_measure_vtable.process(s, frames, 3), HV_OK);
    ck_assert_str_eq(hv_frame_get_meta(&a, "bleeding_area.px"), "27");
    ck_assert_str_eq(hv_frame_get_meta(&a, "bleeding_area.mm2"), "6.7500");
    ck_assert_str_eq(hv_frame_get_meta(&a, "bleeding_area.fraction"), "0.135000");
    ck_assert_str_eq(hv_frame_get_meta(&a, "bleeding_area.regions"), "2");
    ck_assert_str_eq(hv_frame_get_meta(&a, "bleeding_area.flagged"), "true");
    ck_assert_str_eq(hv_frame_get_meta(&b, "bleeding_area.mm2"), "4.0000");
    ck_assert_str_eq(hv_frame_get_meta(&b, "bleeding_area.flagged"), "false");
    /* a damaged mask fails that frame only, naming the stage and the problem */
    ck_assert_ptr_nonnull(c.error);
    ck_assert_ptr_nonnull(strstr(c.error, "RLE runs sum to 1"));
    ck_assert_str_eq(c.drop_stage, "area");
    ba_measure_vtable.destroy(s);
    hv_config_free(params);

    /* defaults: 0.1 mm/px, no flag; another prefix */
    s = create(&ba_measure_vtable, "gt", "{prefix: gt_area}", &params);
    hv_frame_clear(&b);
    blank_frame(&b, 20, 10);
    add_rect_bitmap(&b, 0, 0, 4, 4, 1, 0);
    hv_frame *one[] = {&b};
    ck_assert_int_eq(ba_measure_vtable.process(s, one, 1), HV_OK);
    ck_assert_str_eq(hv_frame_get_meta(&b, "gt_area.mm2"), "0.1600");
    ck_assert_ptr_null(hv_frame_get_meta(&b, "gt_area.flagged"));
    ba_measure_vtable.destroy(s);
    hv_config_free(params);

    /* By hand, unvalidated: a missing key is named (no default is guessed), a bad value is refused. */
    hv_create_info info = {.struct_size = sizeof info, .instance_id = "x", .params = NULL};
    ck_assert_int_eq(hv_config_load_string("{mm_per_pixel: 0.5}", 19, "<p>", &params), HV_OK);
    info.params = params;
    ck_assert_int_eq(ba_measure_vtable.create(&info, &s), HV_ERR_SCHEMA);
    ck_assert_msg(strstr(hv_last_error(), "'min_score' is missing"), "%s", hv_last_error());
    hv_config_free(params);
    static const char bad_yaml[] = "{mm_per_pixel: 0, min_score: 0, label: -1, use_boxes: true, connectivity: 8, "
                                   "flag_above_mm2: 0, prefix: x}";
    ck_assert_int_eq(hv_config_load_string(bad_yaml, sizeof bad_yaml - 1, "<p>", &params), HV_OK);
    info.params = params;
    ck_assert_int_eq(ba_measure_vtable.create(&info, &s), HV_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "mm_per_pixel must be > 0"));
    hv_config_free(params);
    hv_frame_clear(&a);
    hv_frame_clear(&b);
    hv_frame_clear(&c);
}
END_TEST

/* Pixels and 8-/4-connected regions of each mask, from tests/examples/mask_reference.py (PIL). */
static void python_reference(const char *const *masks, size_t n, long *px, long *r8, long *r4) {
    char cmd[4096];
    int len = snprintf(cmd, sizeof cmd, "'%s' '%s/tests/examples/mask_reference.py'", HEMOVK_PYTHON, HEMOVK_SOURCE_DIR);
    for (size_t i = 0; i < n; i++) len += snprintf(cmd + len, sizeof cmd - (size_t)len, " '%s'", masks[i]);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < n; i++) ck_assert_int_eq(fscanf(p, "%ld %ld %ld", &px[i], &r8[i], &r4[i]), 3);
    ck_assert_int_eq(pclose(p), 0);
}

static void load_frame(hv_frame *f, uint64_t id, const char *path) {
    ck_assert_int_eq(hv_frame_init(f, id, path), HV_OK);
    hv_image img;
    ck_assert_msg(hv_image_load(path, &img) == HV_OK, "%s", hv_last_error());
    hv_frame_set_pixels(f, img.width, img.height, img.rgb);
}

START_TEST(from_masks_on_real_frames_matches_pil) {
    /* 1-bit grey (1 region; 6 regions), 1-bit palette (5), 8-bit grey with anti-aliased edges (2) */
    static const int ids[] = {1, 115, 170, 207};
    enum { N = 4 };
    char masks[N][512];
    const char *mask_ptrs[N];
    hv_frame frames[N + 1];
    hv_frame *fp[N + 1];
    for (int i = 0; i < N; i++) {
        snprintf(masks[i], sizeof masks[i], DATA "/bleeding/Annotations/ann- (%d).png", ids[i]);
        mask_ptrs[i] = masks[i];
        char img[512];
        snprintf(img, sizeof img, DATA "/bleeding/Images/img- (%d).png", ids[i]);
        load_frame(&frames[i], (uint64_t)i, img);
        fp[i] = &frames[i];
    }
    load_frame(&frames[N], N, DATA "/non-bleeding/images/img- (5).png"); /* no Annotations folder there */
    fp[N] = &frames[N];
    long px[N], r8[N], r4[N];
    python_reference(mask_ptrs, N, px, r8, r4);

    hv_config_node *mp = NULL, *ap = NULL;
    void *masks_stage = create(&ba_from_masks_vtable, "gt", "{}", &mp);
    void *area = create(&ba_measure_vtable, "area", "{mm_per_pixel: 0.1}", &ap);
    ck_assert_int_eq(ba_from_masks_vtable.process(masks_stage, fp, N + 1), HV_OK);
    ck_assert_int_eq(ba_measure_vtable.process(area, fp, N + 1), HV_OK);
    for (int i = 0; i < N; i++) {
        hv_frame *f = &frames[i];
        ck_assert_msg(!f->error, "%s", f->error);
        ck_assert_str_eq(hv_frame_get_meta(f, "gt.found"), "true");
        /* one detection per 8-connected region, RLE masks, boxes covering their region */
        ck_assert_uint_eq(f->n_detections, (size_t)r8[i]);
        uint64_t sum = 0;
        for (size_t d = 0; d < f->n_detections; d++) {
            const hv_detection *det = &f->detections[d];
            ck_assert_uint_eq(det->mask.format, HV_MASK_RLE);
            ck_assert_str_eq(det->model, "ground-truth");
            ck_assert(det->x2 > det->x1 && det->y2 > det->y1 && det->x2 <= 224 && det->y2 <= 224);
            for (size_t k = 1; k < det->mask.n_rle; k += 2) sum += det->mask.rle[k];
        }
        ck_assert_int_eq((long)sum, px[i]); /* regions are disjoint: their pixels add up */
        char want[64];
        snprintf(want, sizeof want, "%ld", px[i]);
        ck_assert_str_eq(hv_frame_get_meta(f, "bleeding_area.px"), want);
        snprintf(want, sizeof want, "%.4f", px[i] * 0.01);
        ck_assert_str_eq(hv_frame_get_meta(f, "bleeding_area.mm2"), want);
        snprintf(want, sizeof want, "%ld", r8[i]);
        ck_assert_str_eq(hv_frame_get_meta(f, "bleeding_area.regions"), want);
    }
    ck_assert_ptr_null(frames[N].error);
    ck_assert_str_eq(hv_frame_get_meta(&frames[N], "gt.found"), "false");
    ck_assert_uint_eq(frames[N].n_detections, 0);
    ck_assert_str_eq(hv_frame_get_meta(&frames[N], "bleeding_area.px"), "0");
    ck_assert_str_eq(hv_frame_get_meta(&frames[N], "bleeding_area.regions"), "0");
    ba_from_masks_vtable.destroy(masks_stage);
    ba_measure_vtable.destroy(area);
    hv_config_free(mp);
    hv_config_free(ap);

    /* whole-mask bitmaps with 4-connected regions counted by the measure; a missing mask can fail */
    masks_stage = create(&ba_from_masks_vtable, "gt",
                         "{instances: whole, encoding: bitmap, missing: fail, folder: " DATA "/bleeding/Annotations}", &mp);
    area = create(&ba_measure_vtable, "area", "{connectivity: 4}", &ap);
    for (int i = 0; i <= N; i++) {
        const char *path = frames[i].path;
        char keep[512];
        snprintf(keep, sizeof keep, "%s", path);
        hv_frame_clear(&frames[i]);
        load_frame(&frames[i], (uint64_t)i, keep);
    }
    ck_assert_int_eq(ba_from_masks_vtable.process(masks_stage, fp, N + 1), HV_OK);
    ck_assert_int_eq(ba_measure_vtable.process(area, fp, N + 1), HV_OK);
    for (int i = 0; i < N; i++) {
        ck_assert_uint_eq(frames[i].n_detections, 1);
        ck_assert_uint_eq(frames[i].detections[0].mask.format, HV_MASK_BITMAP);
        char want[64];
        snprintf(want, sizeof want, "%ld", r4[i]);
        ck_assert_str_eq(hv_frame_get_meta(&frames[i], "bleeding_area.regions"), want);
    }
    /* non-bleeding img- (5) maps to bleeding/Annotations/ann- (5).png when the folder is absolute: a
     * real mask of another frame, so this frame is NOT failed — use the relative default for mixed sets */
    ck_assert_ptr_null(frames[N].error);
    ba_from_masks_vtable.destroy(masks_stage);
    hv_config_free(mp);
    masks_stage = create(&ba_from_masks_vtable, "gt", "{missing: fail}", &mp);
    hv_frame_clear(&frames[N]);
    load_frame(&frames[N], N, DATA "/non-bleeding/images/img- (5).png");
    ck_assert_int_eq(ba_from_masks_vtable.process(masks_stage, &fp[N], 1), HV_OK);
    ck_assert_ptr_nonnull(frames[N].error);
    ck_assert_ptr_nonnull(strstr(frames[N].error, "non-bleeding/images/../Annotations/ann- (5).png"));
    ba_from_masks_vtable.destroy(masks_stage);
    ba_measure_vtable.destroy(area);
    hv_config_free(mp);
    hv_config_free(ap);
    for (int i = 0; i <= N; i++) hv_frame_clear(&frames[i]);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("bleeding_area");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, bitmap_overlaps_count_once);
    tcase_add_test(tc, rle_is_column_major_and_matches_bitmap);
    tcase_add_test(tc, empty_and_full_frames);
    tcase_add_test(tc, filters_and_box_only_detections);
    tcase_add_test(tc, damaged_masks_are_errors_not_crashes);
    tcase_add_test(tc, measure_stage_writes_metadata);
    tcase_add_test(tc, from_masks_on_real_frames_matches_pil);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    HVTEST_NEED_PYTHON("numpy, PIL", "python3-numpy python3-pil");
    return hvtest_run(suite());
}
