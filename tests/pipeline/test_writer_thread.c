/* The writer thread (issue 16, overlap): the outputs of one batch run while the stages work on the next,
 * and nothing is lost on the way. The test.gate fixture makes overlap observable without timing: its
 * writer waits for its stage to START the next batch and says whether that happened while the batch was
 * still being written. Then the error paths: a stage's error still lets every finished batch be written,
 * a writer's error keeps what it wrote before and writes nothing after; and HEMOVK_WRITER_THREAD=0 (the
 * inline order) never overlaps but writes the same frames. Library API, synthetic frames. */
#include "ptest.h"

#include "hemovk/pipeline.h"

#include <sys/stat.h>

enum { N_FRAMES = 12, BATCH = 3, SIDE = 8 };

static const char *make_frames(const char *tag) {
    const char *dir = hvtest_tmpdir(tag);
    static char in[4096];
    snprintf(in, sizeof in, "%s/in", dir);
    ck_assert_int_eq(mkdir(in, 0755), 0);
    for (int i = 0; i < N_FRAMES; i++) {
        hv_image img;
        ck_assert_int_eq(hv_image_alloc(SIDE, SIDE, &img), HV_OK);
        memset(img.rgb, 40 + i, (size_t)SIDE * SIDE * 3);
        char path[4200];
        snprintf(path, sizeof path, "%s/f%02d.png", in, i);
        ck_assert_int_eq(hv_image_save_png(path, &img), HV_OK);
        hv_image_free(&img);
    }
    return in;
}

/* Run `yaml` on the frames in batches of BATCH; returns the run's status, the summary and the JSONL rows
 * (in file order). */
static hv_status run(const char *tag, const char *yaml, hv_pipeline_summary *sum, ptest_jsonl *rows, char *err,
                     size_t cap) {
    const char *in = make_frames(tag);
    char path[4200], out[4200], jsonl[4300];
    snprintf(path, sizeof path, "%s/../p.yaml", in);
    snprintf(out, sizeof out, "%s/../out", in);
    ptest_write(path, yaml);
    hv_pipeline_load_options lo = {.no_device = 1, .batch = BATCH};
    hv_pipeline *p = NULL;
    hv_status st = hv_pipeline_load(path, &lo, &p);
    ck_assert_msg(st == HV_OK, "%s", hv_last_error());
    hv_pipeline_run_options ro;
    hv_pipeline_run_options_init(&ro);
    ro.input = in;
    ro.output_dir = out;
    ro.progress = HV_PROGRESS_NONE;
    st = hv_pipeline_run(p, &ro, sum);
    snprintf(err, cap, "%s", st ? hv_last_error() : "");
    hv_pipeline_free(p);
    snprintf(jsonl, sizeof jsonl, "%s/results.jsonl", out);
    *rows = ptest_read_jsonl(jsonl);
    for (size_t i = 0; i < rows->n; i++) { /* whatever was written is whole and in frame order */
        ck_assert_ptr_nonnull(rows->rows[i]);
        ck_assert_int_eq((int)ptest_num(rows->rows[i], "id"), (int)i);
    }
    return st;
}

static const char *k_overlap_yaml = "version: 1\n"
                                    "stages:\n"
                                    "  - {id: g, component: test.gate, params: {role: stage}}\n"
                                    "outputs:\n"
                                    "  - {id: w, component: test.gate_writer, params: {role: writer, wait_ms: %d, batches: 4}}\n"
                                    "  - {component: writer.jsonl}\n";

START_TEST(writers_overlap_the_next_batch) {
    char yaml[1024], err[4096];
    snprintf(yaml, sizeof yaml, k_overlap_yaml, 30000); /* waits end as soon as the next batch starts */
    hv_pipeline_summary sum;
    ptest_jsonl j;
    hv_status st = run("wt-overlap", yaml, &sum, &j, err, sizeof err);
    ck_assert_msg(st == HV_OK, "%s", err);
    ck_assert_uint_eq(j.n, N_FRAMES);
    for (int i = 0; i < N_FRAMES; i++) {
        int batch = i / BATCH;
        ck_assert_int_eq(atoi(ptest_meta(j.rows[i], "gate.batch")), batch);
        /* the last batch has no next batch to overlap */
        ck_assert_str_eq(ptest_meta(j.rows[i], "gate.overlap"), batch < 3 ? "true" : "false");
    }
    ck_assert_uint_eq(sum.frames_done, N_FRAMES);
    ptest_free_jsonl(&j);
    hv_pipeline_summary_free(&sum);
}
END_TEST

START_TEST(inline_writers_never_overlap) {
    char yaml[1024], err[4096];
    snprintf(yaml, sizeof yaml, k_overlap_yaml, 50);
    setenv("HEMOVK_WRITER_THREAD", "0", 1);
    hv_pipeline_summary sum;
    ptest_jsonl j;
    hv_status st = run("wt-inline", yaml, &sum, &j, err, sizeof err);
    unsetenv("HEMOVK_WRITER_THREAD");
    ck_assert_msg(st == HV_OK, "%s", err);
    ck_assert_uint_eq(j.n, N_FRAMES);
    for (int i = 0; i < N_FRAMES; i++) ck_assert_str_eq(ptest_meta(j.rows[i], "gate.overlap"), "false");
    ck_assert_uint_eq(sum.frames_done, N_FRAMES);
    ptest_free_jsonl(&j);
    hv_pipeline_summary_free(&sum);
}
END_TEST

/* Stage error on batch 2: batches 0 and 1 (one of them maybe still with the writers) are all written. */
START_TEST(stage_error_still_writes_finished_batches) {
    char err[4096];
    hv_pipeline_summary sum;
    ptest_jsonl j;
    hv_status st = run("wt-stage-error",
                       "version: 1\n"
                       "stages:\n"
                       "  - {id: g, component: test.gate, params: {role: stage, error_at_batch: 2}}\n"
                       "outputs:\n"
                       "  - {id: w, component: test.gate_writer, params: {role: writer, wait_ms: 100, batches: 4}}\n"
                       "  - {component: writer.jsonl}\n",
                       &sum, &j, err, sizeof err);
    ck_assert_int_ne(st, HV_OK);
    ck_assert_msg(strstr(err, "test.gate: failing batch 2 as asked"), "%s", err);
    ck_assert_uint_eq(j.n, 2 * BATCH);
    ck_assert_uint_eq(sum.frames_done, 2 * BATCH);
    ck_assert_int_eq(sum.interrupted, 1);
    ptest_free_jsonl(&j);
    hv_pipeline_summary_free(&sum);
}
END_TEST

/* Writer error on batch 1: batch 0 stays written, nothing after it is (the journal goes last), even
 * though the stages may already have finished batch 2. */
START_TEST(writer_error_keeps_what_was_written) {
    char err[4096];
    hv_pipeline_summary sum;
    ptest_jsonl j;
    hv_status st = run("wt-writer-error",
                       "version: 1\n"
                       "stages:\n"
                       "  - {id: g, component: test.gate, params: {role: stage}}\n"
                       "outputs:\n"
                       "  - {id: w, component: test.gate_writer, params: {role: writer, error_at_batch: 1}}\n"
                       "  - {component: writer.jsonl}\n",
                       &sum, &j, err, sizeof err);
    ck_assert_int_eq(st, HV_ERR_IO);
    ck_assert_msg(strstr(err, "test.gate: writer failing batch 1 as asked"), "%s", err);
    ck_assert_msg(!strstr(err, "also failed"), "one error, said once: %s", err);
    ck_assert_uint_eq(j.n, BATCH);
    ck_assert_uint_eq(sum.frames_done, BATCH);
    ck_assert_int_eq(sum.interrupted, 1);
    ptest_free_jsonl(&j);
    hv_pipeline_summary_free(&sum);
}
END_TEST

int main(void) {
    ptest_env();
    Suite *s = suite_create("pipeline.writer_thread");
    TCase *tc = tcase_create("writer_thread");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, writers_overlap_the_next_batch);
    tcase_add_test(tc, inline_writers_never_overlap);
    tcase_add_test(tc, stage_error_still_writes_finished_batches);
    tcase_add_test(tc, writer_error_keeps_what_was_written);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
