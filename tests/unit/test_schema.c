/* JSON Schema subset validator: each keyword's error with its exact file:line:col and path, defaults
 * filled into the tree, oneOf/anyOf branch choice, error collection and the cap, and schema checking. */
#include "hvtest.h"

#include "hemovk/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hv_config_node *g_schema, *g_inst;
static hv_schema_errors *g_errs;

static hv_config_node *parse(const char *text, const char *name) {
    hv_config_node *n = NULL;
    hv_status st = hv_config_load_string(text, strlen(text), name, &n);
    ck_assert_msg(st == HV_OK, "%s", hv_last_error());
    return n;
}

/* Validate `inst` against `schema`; returns the number of errors (kept in g_errs). */
static size_t run(const char *schema, const char *inst) {
    hv_config_free(g_schema);
    hv_config_free(g_inst);
    hv_schema_errors_free(g_errs);
    g_errs = NULL;
    g_schema = parse(schema, "s.yaml");
    g_inst = parse(inst, "i.yaml");
    hv_status st = hv_schema_validate(g_schema, g_inst, &g_errs);
    ck_assert_int_eq(st, hv_schema_errors_count(g_errs) ? HV_ERR_SCHEMA : HV_OK);
    return hv_schema_errors_count(g_errs);
}

static const char *msg(size_t i) {
    const char *m = hv_schema_errors_message(g_errs, i);
    ck_assert_ptr_nonnull(m);
    return m;
}

static void teardown(void) {
    hv_config_free(g_schema);
    hv_config_free(g_inst);
    hv_schema_errors_free(g_errs);
    g_schema = g_inst = NULL;
    g_errs = NULL;
}

static const char k_stage_schema[] =
    "type: object\n"
    "additionalProperties: false\n"
    "required: [source, stages]\n"
    "properties:\n"
    "  version: {const: 1}\n"
    "  batch: {type: integer, minimum: 1, default: 8}\n"
    "  scale: {type: number, exclusiveMinimum: 0, maximum: 1}\n"
    "  source: {type: string}\n"
    "  stages:\n"
    "    type: array\n"
    "    minItems: 1\n"
    "    maxItems: 3\n"
    "    items: {$ref: '#/$defs/stage'}\n"
    "$defs:\n"
    "  stage:\n"
    "    type: object\n"
    "    additionalProperties: false\n"
    "    required: [id]\n"
    "    properties:\n"
    "      id: {type: string, minLength: 1}\n"
    "      threshold: {type: number, minimum: 0, maximum: 1, default: 0.5}\n"
    "      merge: {enum: [mean, max, vote], default: mean}\n";

START_TEST(wrong_type) {
    ck_assert_uint_eq(run(k_stage_schema, "source: x\nstages: [{id: a}]\nbatch: high\n"), 1);
    ck_assert_str_eq(msg(0), "i.yaml:3:8: 'batch': expected an integer, got 'high'");
    ck_assert_uint_eq(run(k_stage_schema, "source: x\nstages: [{id: a}]\nbatch: \"8\"\n"), 1);
    ck_assert_str_eq(msg(0), "i.yaml:3:8: 'batch': expected an integer, got '8'");
    ck_assert_uint_eq(run(k_stage_schema, "source: 12\nstages: {id: a}\n"), 2);
    ck_assert_str_eq(msg(0), "i.yaml:1:9: 'source': expected a string, got 12 (put it in quotes to make it a string)");
    ck_assert_str_eq(msg(1), "i.yaml:2:9: 'stages': expected a list, got a mapping");
    /* 8.0 is an integer; an int is a number */
    ck_assert_uint_eq(run(k_stage_schema, "source: x\nstages: [{id: a}]\nbatch: 8.0\nscale: 1\n"), 0);
    /* the document itself */
    ck_assert_uint_eq(run(k_stage_schema, "- a\n- b\n"), 1);
    ck_assert_str_eq(msg(0), "i.yaml:1:1: expected a mapping, got a list");
}
END_TEST

START_TEST(unknown_key_typo) {
    ck_assert_uint_eq(run(k_stage_schema, "source: x\nstages:\n  - id: a\n  - id: b\n    threshhold: 0.2\n"), 1);
    ck_assert_str_eq(msg(0), "i.yaml:5:5: stages[1]: unknown key 'threshhold', did you mean 'threshold'? "
                             "(allowed: id, threshold, merge)");
    ck_assert_uint_eq(run(k_stage_schema, "source: x\nstages: [{id: a}]\nbacth: 2\nzzz: 1\n"), 2);
    ck_assert_str_eq(msg(0), "i.yaml:3:1: unknown key 'bacth', did you mean 'batch'? (allowed: version, batch, scale, source, stages)");
    ck_assert_str_eq(msg(1), "i.yaml:4:1: unknown key 'zzz' (allowed: version, batch, scale, source, stages)");
}
END_TEST

START_TEST(missing_required) {
    ck_assert_uint_eq(run(k_stage_schema, "stages:\n  - {threshold: 0.1}\n"), 2);
    ck_assert_str_eq(msg(0), "i.yaml:1:1: missing required key 'source'");
    ck_assert_str_eq(msg(1), "i.yaml:2:5: stages[0]: missing required key 'id'");
}
END_TEST

START_TEST(out_of_range) {
    ck_assert_uint_eq(run(k_stage_schema, "source: x\nbatch: 0\nscale: 0\nstages:\n  - {id: a, threshold: 1.5}\n"), 3);
    ck_assert_str_eq(msg(0), "i.yaml:2:8: 'batch': expected an integer ≥ 1, got 0");
    ck_assert_str_eq(msg(1), "i.yaml:3:8: 'scale': expected a number > 0 and ≤ 1, got 0");
    ck_assert_str_eq(msg(2), "i.yaml:5:24: 'stages[0].threshold': expected a number from 0 to 1, got 1.5");
    ck_assert_uint_eq(run("{type: number, exclusiveMaximum: 1, multipleOf: 0.25}", "0.3"), 1);
    ck_assert_str_eq(msg(0), "i.yaml:1:1: expected a multiple of 0.25, got 0.3");
    ck_assert_uint_eq(run("{type: number, exclusiveMaximum: 1, multipleOf: 0.25}", "1.0"), 1);
    ck_assert_str_eq(msg(0), "i.yaml:1:1: expected a number < 1, got 1.0");
    ck_assert_uint_eq(run("{type: number, maximum: 1}", ".nan"), 1); /* NaN is in no range */
}
END_TEST

START_TEST(bad_enum_and_const) {
    ck_assert_uint_eq(run(k_stage_schema, "version: 2\nsource: x\nstages:\n  - id: a\n    merge: avg\n  - {id: b, merge: maxx}\n"), 3);
    ck_assert_str_eq(msg(0), "i.yaml:1:10: 'version': expected 1, got 2");
    ck_assert_str_eq(msg(1), "i.yaml:5:12: 'stages[0].merge': expected one of mean, max, vote, got 'avg'");
    ck_assert_str_eq(msg(2), "i.yaml:6:20: 'stages[1].merge': expected one of mean, max, vote, got 'maxx' (did you mean 'max'?)");
    /* const compares JSON values: 1.0 equals 1, the string '1' does not */
    ck_assert_uint_eq(run(k_stage_schema, "version: 1.0\nsource: x\nstages: [{id: a}]\n"), 0);
    ck_assert_uint_eq(run(k_stage_schema, "version: '1'\nsource: x\nstages: [{id: a}]\n"), 1);
    ck_assert_str_eq(msg(0), "i.yaml:1:10: 'version': expected 1, got '1'");
}
END_TEST

START_TEST(items_and_min_items) {
    ck_assert_uint_eq(run(k_stage_schema, "source: x\nstages: []\n"), 1);
    ck_assert_str_eq(msg(0), "i.yaml:2:9: 'stages': expected at least 1 item, got 0");
    ck_assert_uint_eq(run(k_stage_schema, "source: x\nstages: [{id: a}, {id: b}, {id: c}, {id: d}]\n"), 1);
    ck_assert_str_eq(msg(0), "i.yaml:2:9: 'stages': expected at most 3 items, got 4");
    ck_assert_uint_eq(run(k_stage_schema, "source: x\nstages:\n  - id: a\n  - id: ''\n  - 7\n"), 2);
    ck_assert_str_eq(msg(0), "i.yaml:4:9: 'stages[1].id': expected a non-empty string");
    ck_assert_str_eq(msg(1), "i.yaml:5:5: 'stages[2]': expected a mapping, got 7");
    ck_assert_uint_eq(run("{type: array, uniqueItems: true, items: {type: string, maxLength: 3}}", "[ab, cd, ab, toolong]"), 2);
    ck_assert_str_eq(msg(0), "i.yaml:1:10: '[2]': repeats item [0] (items must be unique)");
    ck_assert_str_eq(msg(1), "i.yaml:1:14: '[3]': expected a string of at most 3 characters, got 7");
}
END_TEST

START_TEST(defaults_are_filled_in) {
    ck_assert_uint_eq(run(k_stage_schema, "source: x\nstages:\n  - id: a\n  - {id: b, merge: vote}\n"), 0);
    const hv_config_node *batch = hv_config_get(g_inst, "batch");
    ck_assert_ptr_nonnull(batch);
    ck_assert(hv_config_is_default(batch));
    int64_t b = 0;
    ck_assert_int_eq(hv_config_get_int(g_inst, "batch", 0, &b), HV_OK);
    ck_assert_int_eq(b, 8);
    ck_assert_int_eq(hv_config_line(batch), 1); /* placed at the mapping it was added to */
    ck_assert_int_eq(hv_config_column(batch), 1);
    const hv_config_node *s0 = hv_config_item(hv_config_get(g_inst, "stages"), 0),
                         *s1 = hv_config_item(hv_config_get(g_inst, "stages"), 1);
    double t = 0;
    ck_assert_int_eq(hv_config_get_double(s0, "threshold", -1, &t), HV_OK);
    ck_assert_double_eq(t, 0.5);
    ck_assert_str_eq(hv_config_text(hv_config_get(s0, "merge")), "mean");
    ck_assert_int_eq(hv_config_line(hv_config_get(s0, "merge")), 3);
    ck_assert_int_eq(hv_config_column(hv_config_get(s0, "merge")), 5);
    ck_assert_str_eq(hv_config_text(hv_config_get(s1, "merge")), "vote"); /* written values win */
    ck_assert(!hv_config_is_default(hv_config_get(s1, "merge")));
    char *json = NULL;
    ck_assert_int_eq(hv_config_to_json(g_inst, &json), HV_OK);
    ck_assert_str_eq(json, "{\"source\":\"x\",\"stages\":[{\"id\":\"a\",\"threshold\":0.5,\"merge\":\"mean\"},"
                           "{\"id\":\"b\",\"merge\":\"vote\",\"threshold\":0.5}],\"batch\":8}");
    free(json);
    char path[64];
    ck_assert_str_eq(hv_config_path(hv_config_get(s0, "merge"), path, sizeof path), "stages[0].merge");

    /* nested defaults: a defaulted mapping gets its own properties' defaults; a required key with a
     * default is satisfied by it */
    ck_assert_uint_eq(run("type: object\nrequired: [opt]\nproperties:\n  opt:\n    type: object\n    default: {}\n"
                          "    properties:\n      level: {type: integer, default: 3}\n",
                          "{}\n"),
                      0);
    ck_assert_str_eq(hv_config_text(hv_config_get(hv_config_get(g_inst, "opt"), "level")), "3");
    ck_assert(hv_config_is_default(hv_config_get(hv_config_get(g_inst, "opt"), "level")));
}
END_TEST

static const char k_source_schema[] =
    "type: object\n"
    "properties:\n"
    "  source:\n"
    "    oneOf:\n"
    "      - {type: string}\n"
    "      - $ref: '#/$defs/src'\n"
    "$defs:\n"
    "  src:\n"
    "    type: object\n"
    "    additionalProperties: false\n"
    "    required: [path]\n"
    "    properties:\n"
    "      path: {type: string}\n"
    "      recursive: {type: boolean, default: false}\n";

START_TEST(one_of_reports_the_closest_branch) {
    ck_assert_uint_eq(run(k_source_schema, "source: frames/\n"), 0);
    ck_assert_ptr_null(hv_config_get(hv_config_get(g_inst, "source"), "recursive"));
    ck_assert_uint_eq(run(k_source_schema, "source: {path: frames/}\n"), 0);
    ck_assert_str_eq(hv_config_text(hv_config_get(hv_config_get(g_inst, "source"), "recursive")), "false");
    ck_assert_uint_eq(run(k_source_schema, "source:\n  path: frames/\n  recursiv: true\n"), 1);
    ck_assert_str_eq(msg(0), "i.yaml:3:3: source: unknown key 'recursiv', did you mean 'recursive'? (allowed: path, recursive)");
    ck_assert_uint_eq(run(k_source_schema, "source: {recursive: 1}\n"), 2);
    ck_assert_str_eq(msg(0), "i.yaml:1:9: source: missing required key 'path'");
    ck_assert_str_eq(msg(1), "i.yaml:1:21: 'source.recursive': expected true or false, got 1");
    ck_assert_uint_eq(run(k_source_schema, "source: 5\n"), 1);
    ck_assert_str_eq(msg(0), "i.yaml:1:9: 'source': expected a string or a mapping, got 5");
    /* matching two branches of a oneOf is an error too */
    ck_assert_uint_eq(run("oneOf: [{type: number}, {type: integer}]", "3"), 1);
    ck_assert_str_eq(msg(0), "i.yaml:1:1: is ambiguous: it matches 2 of the allowed forms, expected exactly one");
    ck_assert_uint_eq(run("oneOf: [{const: a}, {enum: [b, c]}]", "d"), 1);
    ck_assert_str_eq(msg(0), "i.yaml:1:1: expected a or one of b, c, got 'd'");
}
END_TEST

START_TEST(any_all_not_and_refs) {
    ck_assert_uint_eq(run("anyOf: [{type: number}, {type: integer}]", "3"), 0);
    ck_assert_uint_eq(run("anyOf: [{type: string, maxLength: 2}, {type: integer}]", "abc"), 1);
    ck_assert_str_eq(msg(0), "i.yaml:1:1: expected a string of at most 2 characters, got 3");
    ck_assert_uint_eq(run("allOf: [{type: integer}, {minimum: 5}]", "4"), 1);
    ck_assert_str_eq(msg(0), "i.yaml:1:1: expected a number ≥ 5, got 4");
    ck_assert_uint_eq(run("not: {const: auto}", "auto"), 1);
    ck_assert_str_eq(msg(0), "i.yaml:1:1: expected anything but auto, got 'auto'");
    ck_assert_uint_eq(run("{type: [string, 'null']}", "~"), 0);
    ck_assert_uint_eq(run("{type: [string, 'null']}", "[]"), 1);
    ck_assert_str_eq(msg(0), "i.yaml:1:1: expected a string or null, got a list");
    ck_assert_uint_eq(run("{type: string, pattern: '^[a-z]+\\d$'}", "abc1"), 0);
    ck_assert_uint_eq(run("{type: string, pattern: '^[a-z]+\\d$', description: lower-case letters then a digit. More text.}", "Abc"), 1);
    ck_assert_str_eq(msg(0), "i.yaml:1:1: 'Abc' does not match the pattern ^[a-z]+\\d$ — lower-case letters then a digit");
    /* recursive schema through "#" */
    const char *tree = "type: object\nadditionalProperties: false\nproperties:\n  name: {type: string}\n"
                       "  children: {type: array, items: {$ref: '#'}}\n";
    ck_assert_uint_eq(run(tree, "name: a\nchildren:\n  - name: b\n    children:\n      - name: c\n        kids: []\n"), 1);
    ck_assert_str_eq(msg(0), "i.yaml:6:9: children[0].children[0]: unknown key 'kids' (allowed: name, children)");
    /* boolean schemas */
    ck_assert_uint_eq(run("properties: {a: true, b: false}", "a: 1\nb: 2\n"), 1);
    ck_assert_str_eq(msg(0), "i.yaml:2:4: 'b': is not allowed here (got 2)");
    /* additionalProperties as a schema */
    ck_assert_uint_eq(run("additionalProperties: {type: integer}", "a: 1\nb: x\n"), 1);
    ck_assert_str_eq(msg(0), "i.yaml:2:4: 'b': expected an integer, got 'x'");
    /* a schema written in JSON works the same */
    ck_assert_uint_eq(run("{\"type\": \"object\", \"required\": [\"a\"], \"properties\": {\"a\": {\"type\": \"integer\"}}}", "b: 1\n"), 1);
    ck_assert_str_eq(msg(0), "i.yaml:1:1: missing required key 'a'");
}
END_TEST

START_TEST(all_errors_are_collected_up_to_a_cap) {
    size_t n = 300, cap = n * 8 + 64, len = 0;
    char *doc = malloc(cap);
    len += (size_t)snprintf(doc + len, cap - len, "[");
    for (size_t i = 0; i < n; i++) len += (size_t)snprintf(doc + len, cap - len, "%sx", i ? ", " : "");
    snprintf(doc + len, cap - len, "]");
    ck_assert_uint_eq(run("{items: {type: integer}}", doc), HV_SCHEMA_MAX_ERRORS);
    free(doc);
    ck_assert(hv_schema_errors_truncated(g_errs));
    ck_assert_str_eq(msg(99), "i.yaml:1:299: '[99]': expected an integer, got 'x'");
    /* the thread's message is the first error plus a count */
    hv_config_node *inst = parse("[x, y]", "i.yaml");
    ck_assert_int_eq(hv_schema_validate(g_schema, inst, NULL), HV_ERR_SCHEMA);
    ck_assert_str_eq(hv_last_error(), "i.yaml:1:2: '[0]': expected an integer, got 'x' (and 1 more error)");
    hv_config_free(inst);
    const char *file = NULL;
    int line = 0, col = 0;
    ck_assert_str_eq(hv_schema_errors_at(g_errs, 1, &file, &line, &col), "'[1]': expected an integer, got 'x'");
    ck_assert_str_eq(file, "i.yaml");
    ck_assert_int_eq(line, 1);
    ck_assert_int_eq(col, 5);
    ck_assert_ptr_null(hv_schema_errors_at(g_errs, HV_SCHEMA_MAX_ERRORS, NULL, NULL, NULL));
}
END_TEST

START_TEST(broken_schemas_are_reported) {
    hv_config_node *s = NULL;
    const char *bad = "type: object\nproperties:\n  batch: {type: integer, minimun: 1}\n";
    ck_assert_int_eq(hv_schema_load_string(bad, strlen(bad), "s.yaml", &s), HV_ERR_SCHEMA);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(hv_last_error(), "s.yaml:3:26: schema: unknown or unsupported keyword 'minimun', did you mean 'minimum'?");
    const char *cases[][2] = {
        {"items: {$ref: '#/$defs/nope'}", "s.yaml:1:15: schema: $ref '#/$defs/nope' does not resolve (only references inside this schema, like '#/$defs/name', are supported)"},
        {"type: text", "s.yaml:1:7: schema: unknown type 'text' (known: object, array, string, number, integer, boolean, null)"},
        {"minItems: -1", "s.yaml:1:11: schema: 'minItems' must be a non-negative integer"},
        {"oneOf: []", "s.yaml:1:8: schema: 'oneOf' must be a non-empty list of schemas"},
        {"properties: {a: 5}", "s.yaml:1:17: schema: a schema must be a mapping or true/false, got 5"},
        {"pattern: '(['", "s.yaml:1:10: schema: pattern '([' is not a regular expression this validator understands (POSIX extended)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_int_eq(hv_schema_load_string(cases[i][0], strlen(cases[i][0]), "s.yaml", &s), HV_ERR_SCHEMA);
        ck_assert_str_eq(hv_last_error(), cases[i][1]);
    }
    /* validate() checks the schema first, and says it is the schema's fault */
    hv_config_node *schema = parse("maxItem: 3", "s.yaml"), *inst = parse("[]", "i.yaml");
    hv_schema_errors *errs = (hv_schema_errors *)1;
    ck_assert_int_eq(hv_schema_validate(schema, inst, &errs), HV_ERR_SCHEMA);
    ck_assert_ptr_null(errs);
    ck_assert_str_eq(hv_last_error(), "s.yaml:1:1: schema: unknown or unsupported keyword 'maxItem', did you mean 'maxItems'?");
    hv_config_free(schema);
    hv_config_free(inst);
    /* annotations and x- extensions are accepted */
    const char *ok = "$schema: https://json-schema.org/draft/2020-12/schema\ntitle: t\ndescription: d\nx-ui: {}\n";
    ck_assert_int_eq(hv_schema_load_string(ok, strlen(ok), "s.yaml", &s), HV_OK);
    hv_config_free(s);
}
END_TEST

int main(void) {
    Suite *s = suite_create("schema");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, wrong_type);
    tcase_add_test(tc, unknown_key_typo);
    tcase_add_test(tc, missing_required);
    tcase_add_test(tc, out_of_range);
    tcase_add_test(tc, bad_enum_and_const);
    tcase_add_test(tc, items_and_min_items);
    tcase_add_test(tc, defaults_are_filled_in);
    tcase_add_test(tc, one_of_reports_the_closest_branch);
    tcase_add_test(tc, any_all_not_and_refs);
    tcase_add_test(tc, all_errors_are_collected_up_to_a_cap);
    tcase_add_test(tc, broken_schemas_are_reported);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
