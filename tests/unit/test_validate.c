/* The pipeline schema and `hemovk validate`: the schema is found in the source tree from a build,
 * good and bad pipeline files give the exact messages, defaults show up, and the CLI's exit codes and
 * output are what the README promises. Every ready pipeline in pipelines/ must validate. */
#include "hvtest.h"

#include "hemovk/config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define CONFIG_DIR HEMOVK_SOURCE_DIR "/tests/data/config"

static hv_config_node *load_pipeline_schema(void) {
    char path[4096];
    ck_assert_msg(hv_schema_find("pipeline", path, sizeof path) == HV_OK, "%s", hv_last_error());
    hv_config_node *schema = NULL;
    ck_assert_msg(hv_schema_load_file(path, &schema) == HV_OK, "%s", hv_last_error());
    return schema;
}

START_TEST(schema_is_found_in_the_source_tree) {
    unsetenv("HEMOVK_SCHEMA_DIR");
    char path[4096];
    ck_assert_int_eq(hv_schema_find("pipeline", path, sizeof path), HV_OK);
    ck_assert_str_eq(path, HEMOVK_SOURCE_DIR "/schemas/pipeline.schema.yaml");
    ck_assert_int_eq(hv_schema_find("no-such", path, sizeof path), HV_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "schema 'no-such' not found"));
    /* the environment overrides, and is the only place looked at when set */
    setenv("HEMOVK_SCHEMA_DIR", CONFIG_DIR, 1);
    ck_assert_int_eq(hv_schema_find("pipeline", path, sizeof path), HV_ERR_NOT_FOUND);
    ck_assert_str_eq(hv_last_error(), "schema 'pipeline' not found: no pipeline.schema.yaml/.yml/.json in "
                                      "HEMOVK_SCHEMA_DIR=" CONFIG_DIR);
    setenv("HEMOVK_SCHEMA_DIR", HEMOVK_SOURCE_DIR "/schemas", 1);
    ck_assert_int_eq(hv_schema_find("pipeline", path, sizeof path), HV_OK);
    ck_assert_str_eq(path, HEMOVK_SOURCE_DIR "/schemas/pipeline.schema.yaml");
    unsetenv("HEMOVK_SCHEMA_DIR");
}
END_TEST

START_TEST(good_pipeline_validates_with_defaults) {
    hv_config_node *schema = load_pipeline_schema(), *doc = NULL;
    ck_assert_int_eq(hv_config_load_file(CONFIG_DIR "/good.yaml", &doc), HV_OK);
    ck_assert_msg(hv_schema_validate(schema, doc, NULL) == HV_OK, "%s", hv_last_error());
    int64_t batch = 0;
    const char *precision = NULL;
    int enabled = 0, recursive = 1;
    ck_assert_int_eq(hv_config_get_int(doc, "batch", -1, &batch), HV_OK);
    ck_assert_int_eq(batch, 8);
    ck_assert_int_eq(hv_config_get_string(doc, "precision", NULL, &precision), HV_OK);
    ck_assert_str_eq(precision, "f32");
    const hv_config_node *stages = hv_config_get(doc, "stages"), *tta = hv_config_item(stages, 1); /* 'recheck' */
    ck_assert_int_eq(hv_config_get_bool(tta, "enabled", 0, &enabled), HV_OK);
    ck_assert_int_eq(enabled, 1);
    ck_assert_int_eq(hv_config_kind_of(hv_config_get(tta, "params")), HV_CONFIG_MAP); /* params: {} filled */
    ck_assert_int_eq(hv_config_get_bool(hv_config_get(doc, "source"), "recursive", 1, &recursive), HV_OK);
    ck_assert_int_eq(recursive, 0);
    ck_assert_str_eq(hv_config_text(hv_config_get(tta, "when")), "classify.bleeding");
    hv_config_free(doc);
    hv_config_free(schema);
}
END_TEST

START_TEST(bad_pipeline_reports_every_error) {
    static const char *const expected[] = {
        "bad.yaml:2:8: 'batch': expected an integer from 1 to 4096, got 0",
        "bad.yaml:3:12: 'precision': expected one of f32, f16, got 'f64' (did you mean 'f32'?)",
        "bad.yaml:4:25: source: unknown key 'recursiv', did you mean 'recursive'? (allowed: path, fps, component, every, recursive, limit)",
        "bad.yaml:8:5: stages[0]: unknown key 'threshhold' (allowed: id, component, params, when, inputs, precision, enabled)",
        "bad.yaml:9:9: 'stages[1].id': '2tta' does not match the pattern ^[A-Za-z_][A-Za-z0-9_-]*$ — A name made of "
        "letters, digits, '_' and '-', starting with a letter or '_'",
        "bad.yaml:11:11: 'stages[1].when': 'yes' does not match the pattern ^!?[A-Za-z_][A-Za-z0-9_-]*\\.[A-Za-z_][A-Za-z0-9_.]*$"
        " — A condition \"<stage id>.<field>\", optionally negated by a leading \"!\"",
        "bad.yaml:12:5: stages[2]: missing required key 'component'",
    };
    hv_config_node *schema = load_pipeline_schema(), *doc = NULL;
    const char *text = NULL;
    FILE *f = fopen(CONFIG_DIR "/bad.yaml", "rb");
    ck_assert_ptr_nonnull(f);
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    text = buf;
    ck_assert_int_eq(hv_config_load_string(text, n, "bad.yaml", &doc), HV_OK);
    hv_schema_errors *errs = NULL;
    ck_assert_int_eq(hv_schema_validate(schema, doc, &errs), HV_ERR_SCHEMA);
    ck_assert_uint_eq(hv_schema_errors_count(errs), sizeof expected / sizeof expected[0]);
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        ck_assert_str_eq(hv_schema_errors_message(errs, i), expected[i]);
    hv_schema_errors_free(errs);
    hv_config_free(doc);
    hv_config_free(schema);
}
END_TEST

/* Every pipeline shipped in pipelines/ validates against the schema. */
START_TEST(shipped_pipelines_validate) {
    hv_config_node *schema = load_pipeline_schema();
    DIR *d = opendir(HEMOVK_SOURCE_DIR "/pipelines");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 5, ".yaml")) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/pipelines/%s", HEMOVK_SOURCE_DIR, e->d_name);
        hv_config_node *doc = NULL;
        ck_assert_msg(hv_config_load_file(path, &doc) == HV_OK, "%s", hv_last_error());
        ck_assert_msg(hv_schema_validate(schema, doc, NULL) == HV_OK, "%s", hv_last_error());
        hv_config_free(doc);
    }
    if (d) closedir(d);
    hv_config_free(schema);
}
END_TEST

/* Run the CLI in the fixtures folder (so messages carry short names); returns the exit code and the
 * combined stdout+stderr in out. */
static int cli(const char *args, char *out, size_t size) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd '%s' && env -u HEMOVK_SCHEMA_DIR '%s' validate %s 2>&1", CONFIG_DIR, HEMOVK_CLI, args);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    ck_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}

START_TEST(cli_validate_good_and_bad) {
    static char out[16384];
    ck_assert_int_eq(cli("good.yaml", out, sizeof out), 0);
    ck_assert_str_eq(out, "good.yaml: valid\n");
    ck_assert_int_eq(cli("bad.yaml", out, sizeof out), 3);
    ck_assert_msg(strstr(out, "bad.yaml:2:8: 'batch': expected an integer from 1 to 4096, got 0\n") == out, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "\nbad.yaml:12:5: stages[2]: missing required key 'component'\nbad.yaml: invalid: 7 errors\n"));
    ck_assert_int_eq(cli("malformed.yaml", out, sizeof out), 3);
    ck_assert_str_eq(out, "malformed.yaml:5:7: did not find expected ',' or ']' while parsing a flow sequence (started at 4:51)\n");
    ck_assert_int_eq(cli("not_mapping.yaml", out, sizeof out), 3);
    ck_assert_str_eq(out, "not_mapping.yaml:1:1: expected a mapping, got a list\nnot_mapping.yaml: invalid: 1 error\n");
    ck_assert_int_eq(cli("no-such.yaml", out, sizeof out), 3);
    ck_assert_str_eq(out, "no-such.yaml: cannot open: No such file or directory\n");
    /* several files: each is reported, the exit code says whether all were valid */
    ck_assert_int_eq(cli("good.yaml not_mapping.yaml", out, sizeof out), 3);
    ck_assert_ptr_nonnull(strstr(out, "good.yaml: valid\n"));
    ck_assert_int_eq(cli("", out, sizeof out), 2);
    ck_assert_int_eq(cli("--bogus good.yaml", out, sizeof out), 2);
    /* component params are checked against the component's own schema (filter.quality's), with line:col */
    ck_assert_int_eq(cli("bad_params.yaml", out, sizeof out), 3);
    ck_assert_msg(strstr(out, "bad_params.yaml:6:7:") && strstr(out, "min_luminanse"), "%s", out);
    ck_assert_msg(strstr(out, "bad_params.yaml:7:21:") && strstr(out, "999"), "%s", out);
    /* --print shows the effective configuration with defaults */
    ck_assert_int_eq(cli("--print good.yaml", out, sizeof out), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"precision\":\"f32\",\"batch\":8}"));
    /* --schema validates against another schema (a component's parameter schema, say) */
    ck_assert_int_eq(cli("--schema good.yaml good.yaml", out, sizeof out), 3);
    ck_assert_ptr_nonnull(strstr(out, "good.yaml:2:1: schema: unknown or unsupported keyword 'version'"));
}
END_TEST

int main(void) {
    Suite *s = suite_create("validate");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, schema_is_found_in_the_source_tree);
    tcase_add_test(tc, good_pipeline_validates_with_defaults);
    tcase_add_test(tc, bad_pipeline_reports_every_error);
    tcase_add_test(tc, shipped_pipelines_validate);
    tcase_add_test(tc, cli_validate_good_and_bad);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
