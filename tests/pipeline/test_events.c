/* Reading an exam: frame order and time, and writer.events end to end.
 *   - a folder of frame_1.png ... frame_12.png runs in natural order (frame_2 before frame_10), each frame
 *     carries its index (`id`) and, with source.fps, its time in writer.jsonl and writer.csv; a list file
 *     keeps its own order;
 *   - `hemovk run` with test.redclass (probability = red fraction of the left half), test.redbox (a
 *     detection whose mask is the frame's red pixels) and writer.events writes events.json / events.csv
 *     with the one event the frames were drawn to contain (a gap merged, a single frame dropped);
 *   - a run cut by --limit and finished with --resume writes the same events as one whole run;
 *   - the writer on hand-made frames: area of the union of an RLE mask and a box-only detection, other
 *     labels ignored, times null without fps, mm² from mm_per_pixel. */
#include "ptest.h"

#include "hemovk/config.h"
#include "hemovk/detect.h"
#include "hemovk/frame.h"
#include "plugin/registry.h"
#include "plugin/stage.h"

#include <math.h>
#include <unistd.h>

/* Red pixels of frame i: `left` of the 64 left-half pixels (what test.redclass reads) and `right` of the
 * right half (only the area sees those). See the expected event in run_and_check_events. */
static const int k_left[12] = {0, 0, 48, 32, 24, 0, 0, 40, 16, 0, 0, 60};
static const int k_right[12] = {0, 0, 0, 0, 0, 0, 0, 64, 0, 0, 0, 0};

/* A 16x8 frame: grey, with the first `left` pixels of the left half (row by row) and the first `right`
 * of the right half red. */
static void write_frame(const char *path, int left, int right) {
    hv_image img;
    ck_assert_int_eq(hv_image_alloc(16, 8, &img), HV_OK);
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 16; x++) {
            int k = x < 8 ? y * 8 + x : y * 8 + (x - 8);
            int red = x < 8 ? k < left : k < right;
            uint8_t *p = img.rgb + ((size_t)y * 16 + x) * 3;
            p[0] = red ? 200 : 100;
            p[1] = red ? 20 : 100;
            p[2] = red ? 20 : 100;
        }
    ck_assert_int_eq(hv_image_save_png(path, &img), HV_OK);
    hv_image_free(&img);
}

/* <dir>/exam/frame_1.png ... frame_12.png, written in an order that is neither natural nor lexical. */
static void write_exam(const char *dir) {
    char path[4200];
    snprintf(path, sizeof path, "%s/exam", dir);
    ck_assert_int_eq(hv_mkdirs(path), HV_OK);
    const int order[12] = {7, 11, 0, 9, 3, 5, 10, 1, 8, 2, 6, 4};
    for (int k = 0; k < 12; k++) {
        int i = order[k];
        snprintf(path, sizeof path, "%s/exam/frame_%d.png", dir, i + 1);
        write_frame(path, k_left[i], k_right[i]);
    }
}

static void write_pipeline(const char *yaml, const char *source_extra) {
    char text[4096];
    snprintf(text, sizeof text,
             "version: 1\n"
             "name: events\n"
             "batch: 5\n"
             "%s"
             "stages:\n"
             "  - {id: classify, component: test.redclass, params: {labels: [non-bleeding, bleeding], threshold: 0.5}}\n"
             "  - {id: segment, component: test.redbox, when: classify.bleeding}\n"
             "outputs:\n"
             "  - {id: jsonl, component: writer.jsonl, path: results.jsonl}\n"
             "  - {id: csv, component: writer.csv, path: results.csv}\n"
             "  - {id: events, component: writer.events, path: events, params: {mm_per_pixel: 0.1, fsync: false}}\n",
             source_extra);
    ptest_write(yaml, text);
}

static int run_hemovk(const char *dir, const char *yaml, const char *input, const char *out, const char *extra) {
    return ptest_sh("'%s' run '%s' --input '%s' --output '%s' --progress none %s 2>>'%s/err.txt'", HEMOVK_CLI, yaml, input,
                    out, extra, dir);
}

static cJSON *read_json(const char *path) {
    char *text = ptest_read(path);
    ck_assert_msg(text != NULL, "no %s", path);
    cJSON *j = cJSON_Parse(text);
    ck_assert_msg(j != NULL, "%s does not parse: %s", path, text);
    free(text);
    return j;
}

static const cJSON *get(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    ck_assert_msg(v != NULL, "no \"%s\"", key);
    return v;
}

/* The exam holds one event: frames 2-4 (p .75 .5 .375: hysteresis keeps .375 >= t_low 0.3), two frames
 * below t_low, frame 7 (p .625: the gap of 2 merges it), frame 8 at .25 ends it; frame 11 (p .9375)
 * alone is dropped by min_length 2. Largest area: frame 7 (40 + 64 red pixels). Only frames flagged
 * bleeding (p >= 0.5) reach the segmenter, so frames 2, 3 and 7 carry detections. */
static void check_events(const char *out) {
    char path[4400];
    snprintf(path, sizeof path, "%s/events.json", out);
    cJSON *j = read_json(path);
    ck_assert_str_eq(get(j, "format")->valuestring, "hemovk-events");
    const cJSON *exam = get(j, "exam");
    ck_assert_str_eq(get(exam, "name")->valuestring, "exam");
    ck_assert_int_eq(get(exam, "frames")->valueint, 12);
    ck_assert_int_eq(get(exam, "frames_with_time")->valueint, 12);
    ck_assert_double_eq_tol(get(exam, "duration_s")->valuedouble, 5.5, 1e-9);
    const cJSON *par = get(j, "params");
    ck_assert_double_eq_tol(get(par, "t_high")->valuedouble, 0.5, 1e-12);
    ck_assert_double_eq_tol(get(par, "t_low")->valuedouble, 0.3, 1e-12);
    ck_assert_int_eq(get(par, "max_gap")->valueint, 2);
    ck_assert_int_eq(get(par, "min_length")->valueint, 2);
    ck_assert_int_eq(get(par, "smooth")->valueint, 1);
    ck_assert_int_eq(get(j, "n_events")->valueint, 1);
    const cJSON *e = cJSON_GetArrayItem(get(j, "events"), 0);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(get(get(e, "first"), "index")->valueint, 2);
    ck_assert_str_eq(get(get(e, "first"), "key")->valuestring, "frame_3.png");
    ck_assert_double_eq_tol(get(get(e, "first"), "time")->valuedouble, 1.0, 1e-9);
    ck_assert_int_eq(get(get(e, "last"), "index")->valueint, 7);
    ck_assert_str_eq(get(get(e, "last"), "key")->valuestring, "frame_8.png");
    ck_assert_double_eq_tol(get(e, "end_time")->valuedouble, 3.5, 1e-9);
    ck_assert_double_eq_tol(get(e, "duration_s")->valuedouble, 2.5, 1e-9);
    ck_assert_int_eq(get(e, "frames")->valueint, 6);
    ck_assert_int_eq(get(e, "active_frames")->valueint, 4);
    ck_assert_double_eq_tol(get(e, "peak_probability")->valuedouble, 0.75, 1e-6);
    ck_assert_double_eq_tol(get(e, "mean_probability")->valuedouble, 0.5625, 1e-6);
    ck_assert_int_eq(get(get(e, "representative"), "index")->valueint, 2);
    ck_assert_int_eq(get(e, "max_area_px")->valueint, 104);
    ck_assert_double_eq_tol(get(e, "max_area_mm2")->valuedouble, 1.04, 1e-6);
    ck_assert_int_eq(get(get(e, "max_area_frame"), "index")->valueint, 7);
    const cJSON *df = get(e, "detection_frames");
    ck_assert_int_eq(cJSON_GetArraySize(df), 3); /* frame 4 (.375) is not flagged, so not segmented */
    const int want[3] = {2, 3, 7}, area[3] = {48, 32, 104};
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(get(cJSON_GetArrayItem(df, k), "index")->valueint, want[k]);
        ck_assert_int_eq(get(cJSON_GetArrayItem(df, k), "area_px")->valueint, area[k]);
    }
    const cJSON *fr = get(j, "frames");
    ck_assert_int_eq(cJSON_GetArraySize(get(fr, "index")), 12);
    ck_assert_int_eq(cJSON_GetArrayItem(get(fr, "index"), 11)->valueint, 11);
    ck_assert_double_eq_tol(cJSON_GetArrayItem(get(fr, "time"), 11)->valuedouble, 5.5, 1e-9);
    ck_assert_double_eq_tol(cJSON_GetArrayItem(get(fr, "probability"), 11)->valuedouble, 0.9375, 1e-6);
    ck_assert_int_eq(cJSON_GetArrayItem(get(fr, "area_px"), 7)->valueint, 104);
    cJSON_Delete(j);

    snprintf(path, sizeof path, "%s/events.csv", out);
    char *csv = ptest_read(path);
    ck_assert_ptr_nonnull(csv);
    ck_assert_msg(!strcmp(csv, "event,first_index,last_index,first_key,last_key,start_time,end_time,duration_s,frames,"
                               "active_frames,peak_index,peak_key,peak_probability,mean_probability,max_area_px,"
                               "max_area_mm2,max_area_index,detection_frames\n"
                               "1,2,7,frame_3.png,frame_8.png,1,3.5,2.5,6,4,2,frame_3.png,0.75,0.5625,104,1.04,7,2 3 7\n"),
                  "%s", csv);
    free(csv);
}

START_TEST(natural_order_index_and_time) {
    const char *dir = hvtest_tmpdir("events-order");
    write_exam(dir);
    char yaml[4200], exam[4200], out[4200], path[4400];
    snprintf(yaml, sizeof yaml, "%s/p.yaml", dir);
    snprintf(exam, sizeof exam, "%s/exam", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    write_pipeline(yaml, "source: {fps: 2}\n");
    int rc = run_hemovk(dir, yaml, exam, out, "");
    snprintf(path, sizeof path, "%s/err.txt", dir);
    char *err = ptest_read(path);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    ck_assert_msg(strstr(err, "1 bleeding event in 12 frames"), "%s", err);
    free(err);
    /* JSONL: natural order gives frame_N.png the index N - 1, and its time (N - 1) / 2 s */
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    ptest_jsonl j = ptest_read_jsonl(path);
    ck_assert_uint_eq(j.n, 12);
    for (size_t i = 0; i < j.n; i++) {
        char key[64];
        snprintf(key, sizeof key, "frame_%zu.png", i + 1);
        ck_assert_str_eq(ptest_str(j.rows[i], "key"), key);
        ck_assert_int_eq((int)ptest_num(j.rows[i], "id"), (int)i);
        ck_assert_double_eq_tol(ptest_num(j.rows[i], "time"), (double)i / 2, 1e-9);
        ck_assert_ptr_null(ptest_meta(j.rows[i], HV_FRAME_TIME_META)); /* not repeated in meta */
    }
    ptest_free_jsonl(&j);
    /* CSV: time is the last column */
    snprintf(path, sizeof path, "%s/results.csv", out);
    char *csv = ptest_read(path);
    ck_assert_ptr_nonnull(csv);
    ck_assert_msg(strstr(csv, "\n9,") && strstr(csv, "frame_10.png,") && strstr(csv, ",4.500\n"), "%s", csv);
    free(csv);
    check_events(out);

    /* a list file keeps its order: reversed, frame_12.png is index 0 at time 0 */
    snprintf(path, sizeof path, "%s/list.txt", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 12; i >= 1; i--) fprintf(f, "exam/frame_%d.png\n", i);
    fclose(f);
    snprintf(out, sizeof out, "%s/out-list", dir);
    rc = run_hemovk(dir, yaml, path, out, "");
    ck_assert_int_eq(rc, 0);
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    j = ptest_read_jsonl(path);
    ck_assert_uint_eq(j.n, 12);
    for (size_t i = 0; i < j.n; i++) {
        char key[64];
        snprintf(key, sizeof key, "frame_%zu.png", 12 - i);
        ck_assert_str_eq(ptest_str(j.rows[i], "key"), key);
        ck_assert_int_eq((int)ptest_num(j.rows[i], "id"), (int)i);
        ck_assert_double_eq_tol(ptest_num(j.rows[i], "time"), (double)i / 2, 1e-9);
    }
    ptest_free_jsonl(&j);
}
END_TEST

START_TEST(resume_finishes_the_same_events) {
    const char *dir = hvtest_tmpdir("events-resume");
    write_exam(dir);
    char yaml[4200], exam[4200], out[4200], path[4400];
    snprintf(yaml, sizeof yaml, "%s/p.yaml", dir);
    snprintf(exam, sizeof exam, "%s/exam", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    write_pipeline(yaml, "source: {fps: 2}\n");
    ck_assert_int_eq(run_hemovk(dir, yaml, exam, out, "--limit 5"), 0);
    snprintf(path, sizeof path, "%s/events.frames.jsonl", out);
    char *journal = ptest_read(path);
    ck_assert_ptr_nonnull(journal);
    ck_assert_uint_eq(ptest_count(journal, "\n"), 5);
    free(journal);
    ck_assert_int_eq(run_hemovk(dir, yaml, exam, out, "--resume"), 0);
    check_events(out); /* the first 5 frames came back from the journal */
}
END_TEST

/* ---- the writer on hand-made frames ------------------------------------------------------------------ */

static void add_det(hv_frame *f, float x1, float y1, float x2, float y2, float score, int label, const uint8_t *bitmap) {
    hv_detection d;
    memset(&d, 0, sizeof d);
    d.x1 = x1, d.y1 = y1, d.x2 = x2, d.y2 = y2, d.score = score, d.label = label;
    snprintf(d.model, sizeof d.model, "hand");
    if (bitmap) { /* stored as RLE, as the segmenter stores masks */
        hv_rle r = {0};
        ck_assert_int_eq(hv_rle_encode(bitmap, (uint32_t)f->height, (uint32_t)f->width, &r), HV_OK);
        d.mask.format = HV_MASK_RLE;
        d.mask.width = (uint32_t)f->width;
        d.mask.height = (uint32_t)f->height;
        d.mask.rle = malloc(r.n * sizeof *d.mask.rle);
        memcpy(d.mask.rle, r.counts, r.n * sizeof *d.mask.rle);
        d.mask.n_rle = r.n;
        hv_rle_free(&r);
    }
    ck_assert_int_eq(hv_frame_add_detection(f, &d, NULL), HV_OK);
}

START_TEST(writer_areas_labels_and_unknown_time) {
    const char *dir = hvtest_tmpdir("events-writer");
    hv_registry *reg = NULL;
    ck_assert_int_eq(hv_registry_create(&reg), HV_OK);
    ck_assert_int_eq(hv_registry_load_file(reg, HEMOVK_BINARY_DIR "/plugins/hemovk-events.so"), HV_OK);
    const char *yaml = "{probability: detection, min_length: 1, mm_per_pixel: 0.5, csv: false}";
    hv_config_node *params = NULL;
    ck_assert_int_eq(hv_config_load_string(yaml, strlen(yaml), "params.yaml", &params), HV_OK);
    char prefix[4200];
    snprintf(prefix, sizeof prefix, "%s/ev", dir);
    hv_stage_context ctx = {.output_dir = dir, .output_path = prefix, .resume = 0, .batch = 4};
    hv_stage *w = NULL;
    ck_assert_msg(hv_stage_create_ex(reg, HV_COMPONENT_WRITER, "writer.events", "events", params, &ctx, &w) == HV_OK, "%s",
                  hv_last_error());
    hv_frame fr[3];
    hv_frame *ptrs[3] = {&fr[0], &fr[1], &fr[2]};
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "x/f%d.png", i);
        ck_assert_int_eq(hv_frame_init(&fr[i], (uint64_t)i, name), HV_OK);
        fr[i].width = 10;
        fr[i].height = 10;
    }
    /* frame 1: a mask covering columns 0-3 of rows 0-4 (20 px) and a box-only detection [2,6)x[2,4)
     * (8 px, 4 of them inside the mask): union 24 px; a label-1 detection elsewhere does not count */
    uint8_t bm[100] = {0};
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 4; x++) bm[y * 10 + x] = 1;
    add_det(&fr[1], 0, 0, 4, 5, 0.8f, 0, bm);
    add_det(&fr[1], 2, 2, 6, 4, 0.6f, 0, NULL);
    add_det(&fr[1], 6, 6, 10, 10, 0.99f, 1, NULL);
    /* frame 2: a box sticking out of the frame is clamped: [8,12)x[8,12) -> 4 px */
    add_det(&fr[2], 8, 8, 12, 12, 0.7f, 0, NULL);
    ck_assert_int_eq(hv_stage_process_all(w, ptrs, 3), HV_OK);
    ck_assert_int_eq(hv_stage_flush(w), HV_OK);
    hv_stage_destroy(w);
    for (int i = 0; i < 3; i++) hv_frame_clear(&fr[i]);
    hv_config_free(params);
    hv_registry_free(reg);

    char path[4400];
    snprintf(path, sizeof path, "%s.json", prefix);
    cJSON *j = read_json(path);
    ck_assert_str_eq(get(get(j, "exam"), "name")->valuestring, "x");
    ck_assert_int_eq(get(get(j, "exam"), "frames_with_time")->valueint, 0);
    ck_assert(cJSON_IsNull(get(get(j, "exam"), "duration_s")));
    ck_assert_int_eq(get(j, "n_events")->valueint, 1);
    const cJSON *e = cJSON_GetArrayItem(get(j, "events"), 0);
    ck_assert_int_eq(get(get(e, "first"), "index")->valueint, 1);
    ck_assert_int_eq(get(get(e, "last"), "index")->valueint, 2);
    ck_assert_str_eq(get(get(e, "first"), "key")->valuestring, "f1.png");
    ck_assert(cJSON_IsNull(get(get(e, "first"), "time")));
    ck_assert(cJSON_IsNull(get(e, "duration_s")));
    ck_assert_double_eq_tol(get(e, "peak_probability")->valuedouble, 0.8, 1e-6); /* the label-1 0.99 does not count */
    ck_assert_int_eq(get(e, "max_area_px")->valueint, 24);
    ck_assert_double_eq_tol(get(e, "max_area_mm2")->valuedouble, 6.0, 1e-9);
    ck_assert_int_eq(get(get(e, "max_area_frame"), "index")->valueint, 1);
    const cJSON *df = get(e, "detection_frames");
    ck_assert_int_eq(cJSON_GetArraySize(df), 2);
    ck_assert_int_eq(get(cJSON_GetArrayItem(df, 1), "area_px")->valueint, 4);
    ck_assert_int_eq(get(cJSON_GetArrayItem(df, 1), "detections")->valueint, 1);
    cJSON_Delete(j);
    snprintf(path, sizeof path, "%s.csv", prefix);
    ck_assert_msg(access(path, F_OK) != 0, "csv: false still wrote %s", path);
}
END_TEST

int main(void) {
    ptest_env();
    Suite *s = suite_create("events");
    TCase *tc = tcase_create("events");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, natural_order_index_and_time);
    tcase_add_test(tc, resume_finishes_the_same_events);
    tcase_add_test(tc, writer_areas_labels_and_unknown_time);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
