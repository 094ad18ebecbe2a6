/* Routing through the library API: `when` on metadata flags and on a classification label (and their
 * negations), dropped frames skipping later stages but still written, run order from `inputs`, and the
 * per-stage counts of the summary. Frames are small synthetic PNGs written at test time. */
#include "ptest.h"

#include "hemovk/device.h"
#include "hemovk/pipeline.h"

#include <sys/stat.h>

enum { N_FRAMES = 12, SIDE = 16 };

/* Frames 0..11 as "f (i).png" (names with spaces and parentheses); odd frames have a red left half. */
static const char *make_frames(const char *tag) {
    const char *dir = hvtest_tmpdir(tag);
    static char in[4096];
    snprintf(in, sizeof in, "%s/in put (x)", dir);
    ck_assert_int_eq(mkdir(in, 0755), 0);
    for (int i = 0; i < N_FRAMES; i++) {
        hv_image img;
        ck_assert_int_eq(hv_image_alloc(SIDE, SIDE, &img), HV_OK);
        for (int p = 0; p < SIDE * SIDE; p++) {
            int left = p % SIDE < SIDE / 2;
            img.rgb[p * 3 + 0] = (i % 2 && left) ? 220 : 60;
            img.rgb[p * 3 + 1] = 70;
            img.rgb[p * 3 + 2] = 80;
        }
        char path[4200];
        snprintf(path, sizeof path, "%s/f (%d).png", in, i);
        ck_assert_int_eq(hv_image_save_png(path, &img), HV_OK);
        hv_image_free(&img);
    }
    return in;
}

/* Run `yaml` over the frames; returns the JSONL rows ordered by id (asserts there is one per frame). */
static ptest_jsonl run(const char *tag, const char *yaml, int open_device, hv_pipeline_summary *sum) {
    const char *in = make_frames(tag);
    char path[4200], out[4200], jsonl[4300];
    snprintf(path, sizeof path, "%s/../p.yaml", in);
    snprintf(out, sizeof out, "%s/../out", in);
    ptest_write(path, yaml);
    hv_pipeline_load_options lo = {.no_device = !open_device, .batch = 5};
    hv_pipeline *p = NULL;
    hv_status st = hv_pipeline_load(path, &lo, &p);
    ck_assert_msg(st == HV_OK, "%s", hv_last_error());
    hv_pipeline_run_options ro;
    hv_pipeline_run_options_init(&ro);
    ro.input = in;
    ro.output_dir = out;
    ro.progress = HV_PROGRESS_NONE;
    st = hv_pipeline_run(p, &ro, sum);
    ck_assert_msg(st == HV_OK, "%s", hv_last_error());
    hv_pipeline_free(p);
    snprintf(jsonl, sizeof jsonl, "%s/results.jsonl", out);
    ptest_jsonl j = ptest_read_jsonl(jsonl);
    ck_assert_uint_eq(j.n, N_FRAMES);
    /* batches keep frame order */
    for (size_t i = 0; i < j.n; i++) {
        ck_assert_ptr_nonnull(j.rows[i]);
        ck_assert_int_eq((int)ptest_num(j.rows[i], "id"), (int)i);
        char name[64];
        snprintf(name, sizeof name, "/f (%zu).png", i);
        ck_assert_msg(strstr(ptest_str(j.rows[i], "path"), name), "row %zu: %s", i, ptest_str(j.rows[i], "path"));
    }
    return j;
}

static const hv_pipeline_stage_stats *stats(const hv_pipeline_summary *s, const char *id) {
    for (size_t i = 0; i < s->n_stages; i++)
        if (!strcmp(s->stages[i].id, id)) return &s->stages[i];
    ck_abort_msg("no stage %s in the summary", id);
    return NULL;
}

START_TEST(test_meta_conditions_and_drops) {
    hv_pipeline_summary sum;
    ptest_jsonl j = run("route-meta",
                        "version: 1\n"
                        "stages:\n"
                        "  - {id: a, component: test.mark, params: {flag_every: 3}}\n"
                        "  - {id: yes, component: test.mark, when: a.flag}\n"
                        "  - {id: no, component: test.mark, when: '!a.flag'}\n"
                        "  - {id: d, component: test.mark, params: {drop_every: 4}}\n"
                        "  - {id: after, component: test.mark}\n"
                        "outputs:\n"
                        "  - {component: writer.jsonl}\n",
                        0, &sum);
    for (int i = 0; i < N_FRAMES; i++) {
        const cJSON *r = j.rows[i];
        int flagged = i % 3 == 0, dropped = i % 4 == 3;
        ck_assert_msg(!!ptest_meta(r, "yes.ran") == flagged, "frame %d: yes.ran", i);
        ck_assert_msg(!!ptest_meta(r, "no.ran") == !flagged, "frame %d: no.ran", i);
        ck_assert_msg(!!ptest_meta(r, "after.ran") == !dropped, "frame %d: after.ran", i);
        ck_assert_int_eq(cJSON_IsTrue(cJSON_GetObjectItem(r, "dropped")), dropped);
        if (dropped) ck_assert_str_eq(ptest_str(r, "drop_stage"), "d");
    }
    ck_assert_uint_eq(sum.frames_in, N_FRAMES);
    ck_assert_uint_eq(sum.frames_done, N_FRAMES);
    ck_assert_uint_eq(sum.dropped, 3);
    ck_assert_uint_eq(sum.failed, 0);
    ck_assert_uint_eq(stats(&sum, "yes")->ran, 4);
    ck_assert_uint_eq(stats(&sum, "yes")->skipped_when, 8);
    ck_assert_uint_eq(stats(&sum, "no")->ran, 8);
    ck_assert_uint_eq(stats(&sum, "d")->dropped, 3);
    ck_assert_uint_eq(stats(&sum, "after")->ran, 9);
    ck_assert_uint_eq(stats(&sum, "output[0]")->ran, N_FRAMES); /* writers see dropped frames too */
    ptest_free_jsonl(&j);
    hv_pipeline_summary_free(&sum);
}
END_TEST

/* `when: cls.red` follows the label test.redclass gave; a per-frame failure counts as failed. The
 * device is opened here (validation layer on) to check the scheduler's use of it is clean. */
START_TEST(test_label_conditions_and_failures) {
    hv_pipeline_summary sum;
    unsigned before = hv_validation_message_count();
    ptest_jsonl j = run("route-label",
                        "version: 1\n"
                        "stages:\n"
                        "  - {id: cls, component: test.redclass}\n"
                        "  - {id: seg, component: test.mark, when: cls.red}\n"
                        "  - {id: other, component: test.mark, when: '!cls.red', params: {fail_every: 6}}\n"
                        "outputs:\n"
                        "  - {component: writer.jsonl}\n"
                        "  - {id: bleeding_only, component: writer.csv, path: red.csv, when: cls.red}\n",
                        1, &sum);
    ck_assert_uint_eq(hv_validation_message_count(), before);
    for (int i = 0; i < N_FRAMES; i++) {
        const cJSON *r = j.rows[i];
        const cJSON *c = cJSON_GetObjectItem(r, "classification");
        ck_assert_str_eq(ptest_str(c, "label"), i % 2 ? "red" : "clean");
        ck_assert_msg(!!ptest_meta(r, "seg.ran") == (i % 2 == 1), "frame %d", i);
        ck_assert_msg(!!ptest_meta(r, "other.ran") == (i % 2 == 0), "frame %d", i);
        int fails = i % 6 == 5 && i % 2 == 0; /* never: odd ids are red; fail_every only sees even ids */
        ck_assert_int_eq(ptest_str(r, "error") != NULL, fails);
    }
    ck_assert_uint_eq(stats(&sum, "bleeding_only")->ran, 6);
    ck_assert_uint_eq(stats(&sum, "bleeding_only")->skipped_when, 6);
    ptest_free_jsonl(&j);
    hv_pipeline_summary_free(&sum);
    /* failures: fail_every 4 on every frame fails ids 3, 7, 11 */
    ptest_jsonl k = run("route-fail",
                        "version: 1\nstages:\n  - {id: f, component: test.mark, params: {fail_every: 4}}\n"
                        "  - {id: later, component: test.mark}\noutputs:\n  - {component: writer.jsonl}\n",
                        0, &sum);
    ck_assert_uint_eq(sum.failed, 3);
    ck_assert_uint_eq(sum.n_failures, 3);
    ck_assert_uint_eq(sum.failures[1].id, 7);
    ck_assert_ptr_nonnull(strstr(sum.failures[1].error, "failing frame 7"));
    ck_assert_ptr_nonnull(strstr(sum.failures[1].path, "f (7).png"));
    ck_assert_uint_eq(stats(&sum, "f")->failed, 3);
    ck_assert_uint_eq(stats(&sum, "later")->ran, 9);
    ck_assert_ptr_nonnull(strstr(ptest_str(k.rows[11], "error"), "failing frame 11"));
    ptest_free_jsonl(&k);
    hv_pipeline_summary_free(&sum);
}
END_TEST

/* Explicit inputs decide the order (the metadata keys are kept in the order stages set them); list
 * order breaks ties; `inputs: []` depends on the source only. */
START_TEST(test_run_order) {
    hv_pipeline_summary sum;
    ptest_jsonl j = run("route-order",
                        "version: 1\n"
                        "stages:\n"
                        "  - {id: c, component: test.mark, inputs: [b]}\n"
                        "  - {id: a, component: test.mark, inputs: [b]}\n"
                        "  - {id: b, component: test.mark, inputs: []}\n"
                        "  - {id: z, component: test.mark, enabled: false}\n"
                        "  - {id: e, component: test.mark, inputs: [c, a]}\n"
                        "outputs:\n"
                        "  - {component: writer.jsonl}\n",
                        0, &sum);
    const cJSON *meta = cJSON_GetObjectItem(j.rows[0], "meta");
    const char *want[] = {"b.ran", "c.ran", "a.ran", "e.ran"};
    int k = 0;
    for (const cJSON *m = meta->child; m; m = m->next, k++) {
        ck_assert_int_lt(k, 4);
        ck_assert_str_eq(m->string, want[k]);
    }
    ck_assert_int_eq(k, 4); /* z is disabled */
    ptest_free_jsonl(&j);
    hv_pipeline_summary_free(&sum);
}
END_TEST

int main(void) {
    ptest_env();
    Suite *s = suite_create("pipeline.routing");
    TCase *tc = tcase_create("routing");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_meta_conditions_and_drops);
    tcase_add_test(tc, test_label_conditions_and_failures);
    tcase_add_test(tc, test_run_order);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
