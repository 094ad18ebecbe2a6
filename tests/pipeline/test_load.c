/* Loading pipelines: every error names the pipeline file's line:col and says what to do — schema
 * errors (unknown key, bad value), params that break a component's own schema, unknown components
 * (listing those that exist), a failing create(), bad graphs (cycles, unknown inputs, duplicate ids,
 * a `when` on a stage that does not run before). */
#include "ptest.h"

#include "hemovk/pipeline.h"

static char g_path[4096];

/* Write `yaml` as p.yaml in a fresh folder and load it without a device. */
static hv_status load(const char *tag, const char *yaml, hv_pipeline **p) {
    snprintf(g_path, sizeof g_path, "%s/p.yaml", hvtest_tmpdir(tag));
    ptest_write(g_path, yaml);
    hv_pipeline_load_options o = {.no_device = 1};
    *p = NULL;
    return hv_pipeline_load(g_path, &o, p);
}

/* The error names g_path:line:col and contains `what`. */
static void expect_error(hv_status got, hv_status want, int line, int col, const char *what) {
    char loc[4200];
    snprintf(loc, sizeof loc, "%s:%d:%d:", g_path, line, col);
    const char *msg = hv_last_error();
    ck_assert_msg(got == want, "status %s, want %s: %s", hv_status_name(got), hv_status_name(want), msg);
    ck_assert_msg(strstr(msg, loc) != NULL, "no '%s' in: %s", loc, msg);
    ck_assert_msg(strstr(msg, what) != NULL, "no '%s' in: %s", what, msg);
}

START_TEST(test_good) {
    hv_pipeline *p = NULL;
    hv_status st = load("load-good",
                        "version: 1\n"
                        "name: ok\n"
                        "stages:\n"
                        "  - {id: a, component: test.mark}\n"
                        "  - {id: b, component: test.mark, when: a.flag}\n"
                        "  - {id: c, component: filter.quality, inputs: [a]}\n",
                        &p);
    ck_assert_msg(st == HV_OK, "%s", hv_last_error());
    ck_assert_str_eq(hv_pipeline_name(p), "ok");
    ck_assert_int_eq(hv_pipeline_batch(p), 8);
    ck_assert_uint_eq(hv_pipeline_stage_count(p), 3);
    ck_assert_str_eq(hv_pipeline_stage_id(p, 2), "c");
    hv_pipeline_free(p);
}
END_TEST

START_TEST(test_unknown_stage_key) {
    hv_pipeline *p = NULL;
    hv_status st = load("load-key",
                        "version: 1\n"
                        "stages:\n"
                        "  - id: q\n"
                        "    component: filter.quality\n"
                        "    parms: {min_luminance: 10}\n",
                        &p);
    expect_error(st, HV_ERR_SCHEMA, 5, 5, "unknown key 'parms'");
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_bad_param) {
    hv_pipeline *p = NULL;
    hv_status st = load("load-param",
                        "version: 1\n"
                        "stages:\n"
                        "  - id: q\n"
                        "    component: filter.quality\n"
                        "    params:\n"
                        "      min_luminance: 300\n"
                        "      max_bright_fraction: lots\n",
                        &p);
    /* both errors, each at its value, each naming the stage */
    expect_error(st, HV_ERR_SCHEMA, 6, 22, "300");
    expect_error(st, HV_ERR_SCHEMA, 7, 28, "stage 'q'");
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "filter.quality"));
}
END_TEST

START_TEST(test_unknown_param) {
    hv_pipeline *p = NULL;
    hv_status st = load("load-unknown-param",
                        "version: 1\n"
                        "stages:\n"
                        "  - id: q\n"
                        "    component: filter.quality\n"
                        "    params: {min_luminace: 10}\n",
                        &p);
    expect_error(st, HV_ERR_SCHEMA, 5, 14, "min_luminance");
}
END_TEST

START_TEST(test_unknown_component) {
    hv_pipeline *p = NULL;
    hv_status st = load("load-component",
                        "version: 1\n"
                        "stages:\n"
                        "  - id: q\n"
                        "    component: filter.qualty\n",
                        &p);
    expect_error(st, HV_ERR_NOT_FOUND, 4, 16, "filter.qualty");
    /* the message lists the stage components that exist */
    ck_assert_msg(strstr(hv_last_error(), "filter.quality") && strstr(hv_last_error(), "tta"), "%s", hv_last_error());
    st = load("load-writer", "version: 1\nstages: [{id: a, component: test.mark}]\noutputs:\n  - component: writer.jsn\n", &p);
    expect_error(st, HV_ERR_NOT_FOUND, 4, 16, "writer.jsonl");
}
END_TEST

START_TEST(test_create_fails) {
    hv_pipeline *p = NULL;
    hv_status st = load("load-create",
                        "version: 1\n"
                        "stages:\n"
                        "  - id: a\n"
                        "    component: test.mark\n"
                        "  - id: broken\n"
                        "    component: test.mark\n"
                        "    params: {fail_create: true}\n",
                        &p);
    expect_error(st, HV_ERR_INVALID_ARGUMENT, 5, 5, "failing as asked");
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "broken"));
}
END_TEST

START_TEST(test_graph_errors) {
    hv_pipeline *p = NULL;
    hv_status st = load("load-cycle",
                        "version: 1\n"
                        "stages:\n"
                        "  - {id: a, component: test.mark, inputs: [c]}\n"
                        "  - {id: b, component: test.mark, inputs: [a]}\n"
                        "  - {id: c, component: test.mark, inputs: [b]}\n",
                        &p);
    expect_error(st, HV_ERR_SCHEMA, 3, 43, "cycle through: a, b, c");
    st = load("load-input", "version: 1\nstages:\n  - {id: a, component: test.mark}\n  - {id: b, component: test.mark, inputs: [x]}\n", &p);
    expect_error(st, HV_ERR_SCHEMA, 4, 44, "input 'x' is not a stage");
    st = load("load-dup", "version: 1\nstages:\n  - {id: a, component: test.mark}\n  - {id: a, component: test.mark}\n", &p);
    expect_error(st, HV_ERR_SCHEMA, 4, 10, "used twice");
    /* `when` on a stage that runs later */
    st = load("load-when-order",
              "version: 1\nstages:\n  - {id: a, component: test.mark, when: b.flag}\n  - {id: b, component: test.mark}\n", &p);
    expect_error(st, HV_ERR_SCHEMA, 3, 41, "does not run before");
    /* `when` on a stage that is not an input (explicit inputs cut the default chain) */
    st = load("load-when-input",
              "version: 1\nstages:\n  - {id: a, component: test.mark}\n  - {id: b, component: test.mark, inputs: []}\n"
              "  - {id: c, component: test.mark, inputs: [b], when: a.flag}\n", &p);
    expect_error(st, HV_ERR_SCHEMA, 5, 54, "list 'a' in this stage's inputs");
    st = load("load-when-unknown", "version: 1\nstages:\n  - {id: a, component: test.mark, when: zz.flag}\n", &p);
    expect_error(st, HV_ERR_SCHEMA, 3, 41, "no stage 'zz'");
}
END_TEST

int main(void) {
    ptest_env();
    Suite *s = suite_create("pipeline.load");
    TCase *tc = tcase_create("load");
    tcase_add_test(tc, test_good);
    tcase_add_test(tc, test_unknown_stage_key);
    tcase_add_test(tc, test_bad_param);
    tcase_add_test(tc, test_unknown_param);
    tcase_add_test(tc, test_unknown_component);
    tcase_add_test(tc, test_create_fails);
    tcase_add_test(tc, test_graph_errors);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
