/* YAML/JSON → config tree: locations of every node, core-schema scalar typing, typed getters and their
 * messages, paths, and every way a file can be malformed (with libyaml's line:col). */
#include "hvtest.h"

#include "hemovk/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hv_config_node *load_ok(const char *text) {
    hv_config_node *n = NULL;
    hv_status st = hv_config_load_string(text, strlen(text), "t.yaml", &n);
    ck_assert_msg(st == HV_OK, "load failed: %s", hv_last_error());
    return n;
}

/* Load text that must fail with HV_ERR_PARSE, and return the message (a static copy). */
static const char *load_err(const char *text) {
    size_t len = strlen(text);
    static char msg[2048];
    hv_config_node *n = (hv_config_node *)1;
    hv_status st = hv_config_load_string(text, len, "t.yaml", &n);
    ck_assert_int_eq(st, HV_ERR_PARSE);
    ck_assert_ptr_null(n);
    snprintf(msg, sizeof msg, "%s", hv_last_error());
    return msg;
}

#define ck_loc(node, l, c)                                  \
    do {                                                    \
        ck_assert_ptr_nonnull(node);                        \
        ck_assert_int_eq(hv_config_line(node), (l));        \
        ck_assert_int_eq(hv_config_column(node), (c));      \
    } while (0)

static const char k_doc[] =
    "version: 1\n"
    "stages:\n"
    "  - id: classify\n"
    "    params: {threshold: high, list: [1, 2.5, \"3\"]}\n";

START_TEST(every_node_has_its_location) {
    hv_config_node *root = load_ok(k_doc);
    ck_assert_int_eq(hv_config_kind_of(root), HV_CONFIG_MAP);
    ck_loc(root, 1, 1);
    ck_assert_str_eq(hv_config_file(root), "t.yaml");
    ck_assert_uint_eq(hv_config_size(root), 2);
    ck_loc(hv_config_get(root, "version"), 1, 10);
    ck_loc(hv_config_key_node_at(root, 1), 2, 1);
    ck_assert_str_eq(hv_config_key_at(root, 1), "stages");
    const hv_config_node *stages = hv_config_get(root, "stages");
    ck_assert_int_eq(hv_config_kind_of(stages), HV_CONFIG_SEQ);
    ck_loc(stages, 3, 3);
    const hv_config_node *st0 = hv_config_item(stages, 0);
    ck_loc(st0, 3, 5);
    ck_loc(hv_config_get(st0, "id"), 3, 9);
    const hv_config_node *params = hv_config_get(st0, "params");
    ck_loc(params, 4, 13);
    ck_loc(hv_config_get(params, "threshold"), 4, 25);
    const hv_config_node *list = hv_config_get(params, "list");
    ck_loc(list, 4, 37);
    ck_loc(hv_config_item(list, 0), 4, 38);
    ck_loc(hv_config_item(list, 1), 4, 41);
    ck_loc(hv_config_item(list, 2), 4, 46);
    ck_assert_int_eq(hv_config_scalar_type(hv_config_item(list, 0)), HV_SCALAR_INT);
    ck_assert_int_eq(hv_config_scalar_type(hv_config_item(list, 1)), HV_SCALAR_FLOAT);
    ck_assert_int_eq(hv_config_scalar_type(hv_config_item(list, 2)), HV_SCALAR_STRING);
    ck_assert_ptr_eq(hv_config_parent(list), params);
    ck_assert_ptr_null(hv_config_item(list, 3));
    ck_assert_ptr_null(hv_config_get(list, "x"));
    ck_assert_ptr_null(hv_config_get(params, "missing"));

    char path[128];
    ck_assert_str_eq(hv_config_path(hv_config_get(params, "threshold"), path, sizeof path), "stages[0].params.threshold");
    ck_assert_str_eq(hv_config_path(hv_config_item(list, 2), path, sizeof path), "stages[0].params.list[2]");
    ck_assert_str_eq(hv_config_path(root, path, sizeof path), "");
    ck_assert_str_eq(hv_config_path(hv_config_item(list, 2), path, 8), "stages[");

    double d;
    ck_assert_int_eq(hv_config_get_double(params, "threshold", 0.5, &d), HV_ERR_SCHEMA);
    ck_assert_str_eq(hv_last_error(), "t.yaml:4:25: key 'stages[0].params.threshold': expected a number, got 'high'");
    hv_config_free(root);
}
END_TEST

START_TEST(plain_scalars_follow_yaml_core_schema) {
    static const struct {
        const char *text;
        hv_scalar_type type;
    } cases[] = {
        {"true", HV_SCALAR_BOOL},   {"False", HV_SCALAR_BOOL},  {"TRUE", HV_SCALAR_BOOL},
        {"yes", HV_SCALAR_STRING},  {"on", HV_SCALAR_STRING},   {"~", HV_SCALAR_NULL},
        {"null", HV_SCALAR_NULL},   {"", HV_SCALAR_NULL},       {"42", HV_SCALAR_INT},
        {"-7", HV_SCALAR_INT},      {"+12", HV_SCALAR_INT},     {"0x1F", HV_SCALAR_INT},
        {"0o17", HV_SCALAR_INT},    {"1e3", HV_SCALAR_FLOAT},   {"-.5", HV_SCALAR_FLOAT},
        {".inf", HV_SCALAR_FLOAT},  {"-.Inf", HV_SCALAR_FLOAT}, {".nan", HV_SCALAR_FLOAT},
        {"1.2.3", HV_SCALAR_STRING}, {"0x", HV_SCALAR_STRING},  {"f32", HV_SCALAR_STRING},
        {"'42'", HV_SCALAR_STRING}, {"\"true\"", HV_SCALAR_STRING}, {"!!str 42", HV_SCALAR_STRING},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char doc[64];
        snprintf(doc, sizeof doc, "v: %s\n", cases[i].text);
        hv_config_node *root = load_ok(doc);
        ck_assert_msg(hv_config_scalar_type(hv_config_get(root, "v")) == cases[i].type, "'%s' typed %d, expected %d",
                      cases[i].text, hv_config_scalar_type(hv_config_get(root, "v")), cases[i].type);
        hv_config_free(root);
    }
}
END_TEST

START_TEST(typed_getters_convert_and_default) {
    hv_config_node *root = load_ok("hex: 0x1F\noct: 0o17\nf: 3.0\nhalf: 3.5\nbig: 99999999999999999999\n"
                                   "flag: false\nname: classify\nyear: 2024\nnothing: null\nneg: -12\n");
    int64_t i;
    double d;
    int b;
    const char *s;
    ck_assert_int_eq(hv_config_get_int(root, "hex", 0, &i), HV_OK);
    ck_assert_int_eq(i, 31);
    ck_assert_int_eq(hv_config_get_int(root, "oct", 0, &i), HV_OK);
    ck_assert_int_eq(i, 15);
    ck_assert_int_eq(hv_config_get_int(root, "f", 0, &i), HV_OK);
    ck_assert_int_eq(i, 3);
    ck_assert_int_eq(hv_config_get_int(root, "neg", 0, &i), HV_OK);
    ck_assert_int_eq(i, -12);
    ck_assert_int_eq(hv_config_get_int(root, "half", 0, &i), HV_ERR_SCHEMA);
    ck_assert_str_eq(hv_last_error(), "t.yaml:4:7: key 'half': expected an integer, got 3.5");
    ck_assert_int_eq(hv_config_get_int(root, "big", 0, &i), HV_ERR_SCHEMA);
    ck_assert_str_eq(hv_last_error(), "t.yaml:5:6: key 'big': expected an integer in the 64-bit range, got 99999999999999999999");
    ck_assert_int_eq(hv_config_get_int(root, "absent", 77, &i), HV_OK);
    ck_assert_int_eq(i, 77);
    ck_assert_int_eq(hv_config_get_int(root, "nothing", 5, &i), HV_OK); /* explicit null = absent */
    ck_assert_int_eq(i, 5);
    ck_assert_int_eq(hv_config_get_int(NULL, "x", 6, &i), HV_OK);
    ck_assert_int_eq(i, 6);
    ck_assert_int_eq(hv_config_get_double(root, "hex", 0, &d), HV_OK);
    ck_assert_double_eq(d, 31.0);
    ck_assert_int_eq(hv_config_get_double(root, "half", 0, &d), HV_OK);
    ck_assert_double_eq(d, 3.5);
    ck_assert_int_eq(hv_config_get_bool(root, "flag", 1, &b), HV_OK);
    ck_assert_int_eq(b, 0);
    ck_assert_int_eq(hv_config_get_bool(root, "name", 1, &b), HV_ERR_SCHEMA);
    ck_assert_str_eq(hv_last_error(), "t.yaml:7:7: key 'name': expected true or false, got 'classify'");
    ck_assert_int_eq(hv_config_get_string(root, "name", NULL, &s), HV_OK);
    ck_assert_str_eq(s, "classify");
    ck_assert_int_eq(hv_config_get_string(root, "year", NULL, &s), HV_ERR_SCHEMA);
    ck_assert_str_eq(hv_last_error(),
                     "t.yaml:8:7: key 'year': expected a string, got 2024 (put it in quotes to make it a string)");
    ck_assert_int_eq(hv_config_get_string(root, "absent", "dflt", &s), HV_OK);
    ck_assert_str_eq(s, "dflt");
    ck_assert_int_eq(hv_config_as_string(root, &s), HV_ERR_SCHEMA);
    ck_assert_str_eq(hv_last_error(), "t.yaml:1:1: key '(document)': expected a string, got a mapping");
    hv_config_free(root);
}
END_TEST

START_TEST(malformed_yaml_reports_libyaml_position) {
    const char *m;
    m = load_err("a: [1, 2\nb: 3\n"); /* unclosed bracket */
    ck_assert_str_eq(m, "t.yaml:2:2: did not find expected ',' or ']' while parsing a flow sequence (started at 1:4)");
    m = load_err("a:\n  b: 1\n c: 2\n"); /* bad indentation: dedent to a column no block uses */
    ck_assert_str_eq(m, "t.yaml:3:2: did not find expected key while parsing a block mapping (started at 1:1)");
    m = load_err("a:\n  b: 1\n   c: 2\n"); /* over-indented key */
    ck_assert_str_eq(m, "t.yaml:3:5: mapping values are not allowed in this context");
    m = load_err("a:\n\tb: 1\n"); /* tab indentation */
    ck_assert_str_eq(m, "t.yaml:2:1: found character that cannot start any token while scanning for the next token "
                        "(started at 2:1); YAML does not allow tabs for indentation: use spaces");
    m = load_err("{\"a\": [1, 2}");
    ck_assert_str_eq(m, "t.yaml:1:12: did not find expected ',' or ']' while parsing a flow sequence (started at 1:7)");
    m = load_err("a: \"\xff\"\n"); /* invalid UTF-8: the reader reports a byte offset, turned into line:col */
    ck_assert_str_eq(m, "t.yaml:1:5: invalid leading UTF-8 octet");
}
END_TEST

START_TEST(duplicate_keys_are_errors) {
    ck_assert_str_eq(load_err("a: 1\nb: 2\na: 3\n"), "t.yaml:3:1: duplicate key 'a' (first defined at 1:1)");
    ck_assert_str_eq(load_err("s:\n  - p: {t: 1, u: 2, t: 3}\n"), "t.yaml:2:21: duplicate key 't' (first defined at 2:9)");
    /* three copies: the second occurrence is reported against the first */
    ck_assert_str_eq(load_err("x: 1\nx: 2\nx: 3\n"), "t.yaml:2:1: duplicate key 'x' (first defined at 1:1)");
}
END_TEST

START_TEST(empty_and_odd_documents) {
    ck_assert_str_eq(load_err(""), "t.yaml:1:1: empty file (expected a YAML or JSON document)");
    ck_assert_str_eq(load_err("# just a comment\n\n"), "t.yaml:1:1: empty file (expected a YAML or JSON document)");
    ck_assert_str_eq(load_err("a: 1\n---\nb: 2\n"), "t.yaml:2:1: a second document; a hemovk config holds exactly one");
    ck_assert_str_eq(load_err("a: &x 1\nb: *x\n"),
                     "t.yaml:1:4: anchors and aliases (&x, *name) are not supported in hemovk configs; repeat the value instead");
    ck_assert_str_eq(load_err("a: !foo 1\n"), "t.yaml:1:4: tag '!foo' is not supported");
    ck_assert_str_eq(load_err("? [a]\n: 1\n"), "t.yaml:1:3: a mapping key must be a plain value, not a list");
    /* A document that is a scalar or a list loads; the schema says it should be a mapping. */
    hv_config_node *root = load_ok("- a\n- b\n");
    ck_assert_int_eq(hv_config_kind_of(root), HV_CONFIG_SEQ);
    hv_config_free(root);
}
END_TEST

START_TEST(deep_documents_hit_the_depth_limit) {
    size_t n = 100000;
    char *deep = malloc(2 * n + 1);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = '\0';
    const char *msg = load_err(deep);
    ck_assert_str_eq(msg, "t.yaml:1:65: nesting deeper than 64 levels; a hemovk config is never that deep");
    /* exactly the limit is fine */
    hv_config_node *root = NULL;
    ck_assert_int_eq(hv_config_load_string(deep + n - HV_CONFIG_MAX_DEPTH, 2 * HV_CONFIG_MAX_DEPTH, "t.yaml", &root), HV_OK);
    const hv_config_node *x = root;
    for (int d = 1; d < HV_CONFIG_MAX_DEPTH; d++) x = hv_config_item(x, 0);
    ck_assert_ptr_nonnull(x);
    ck_assert_uint_eq(hv_config_size(x), 0);
    char path[1024];
    hv_config_path(x, path, sizeof path);
    ck_assert_uint_eq(strlen(path), 3 * (HV_CONFIG_MAX_DEPTH - 1));
    hv_config_free(root);
    /* block style too: "a:\n b:\n  c: ..." */
    size_t cap = 200 * 210, len = 0;
    char *block = malloc(cap);
    for (int d = 0; d < 200; d++) len += (size_t)snprintf(block + len, cap - len, "%*sk%d:\n", d, "", d);
    free(deep);
    const char *m = load_err(block);
    free(block);
    ck_assert_msg(strstr(m, "t.yaml:65:65: nesting deeper than 64 levels") == m, "%s", m);
}
END_TEST

START_TEST(huge_documents_load) {
    size_t keys = 200000, cap = keys * 32, len = 0;
    char *doc = malloc(cap);
    for (size_t i = 0; i < keys; i++) len += (size_t)snprintf(doc + len, cap - len, "key%zu: [%zu, x]\n", i, i);
    hv_config_node *root = NULL;
    ck_assert_int_eq(hv_config_load_string(doc, len, "big.yaml", &root), HV_OK);
    ck_assert_uint_eq(hv_config_size(root), keys);
    const hv_config_node *last = hv_config_get(root, "key199999");
    ck_loc(last, 200000, 12);
    int64_t v = 0;
    ck_assert_int_eq(hv_config_as_int(hv_config_item(last, 0), &v), HV_OK);
    ck_assert_int_eq(v, 199999);
    hv_config_free(root);
    /* ...and a duplicate at the very end is still found (sorted check, not quadratic) */
    len += (size_t)snprintf(doc + len, cap - len, "key7: 1\n");
    ck_assert_int_eq(hv_config_load_string(doc, len, "big.yaml", &root), HV_ERR_PARSE);
    ck_assert_str_eq(hv_last_error(), "big.yaml:200001:1: duplicate key 'key7' (first defined at 8:1)");
    free(doc);
}
END_TEST

START_TEST(json_text_parses_into_the_same_tree) {
    const char *json = "{\n\t\"a\": 1,\n\t\"b\": {\"c\": true, \"s\": \"x\\ty\", \"n\": null, \"f\": -1.5e2},\n\t\"l\": []\n}\n";
    hv_config_node *root = load_ok(json);
    const hv_config_node *b = hv_config_get(root, "b");
    ck_loc(b, 3, 7);
    ck_loc(hv_config_get(b, "c"), 3, 13);
    int flag = 0;
    ck_assert_int_eq(hv_config_get_bool(b, "c", 0, &flag), HV_OK);
    ck_assert_int_eq(flag, 1);
    ck_assert_str_eq(hv_config_text(hv_config_get(b, "s")), "x\ty");
    char *out = NULL;
    ck_assert_int_eq(hv_config_to_json(root, &out), HV_OK);
    ck_assert_str_eq(out, "{\"a\":1,\"b\":{\"c\":true,\"s\":\"x\\u0009y\",\"n\":null,\"f\":-150},\"l\":[]}");
    /* the JSON we write reads back to the same JSON */
    hv_config_node *again = load_ok(out);
    char *out2 = NULL;
    ck_assert_int_eq(hv_config_to_json(again, &out2), HV_OK);
    ck_assert_str_eq(out, out2);
    free(out);
    free(out2);
    hv_config_free(again);
    hv_config_free(root);
}
END_TEST

START_TEST(clone_outlives_the_original) {
    hv_config_node *root = load_ok(k_doc), *copy = NULL;
    const hv_config_node *params = hv_config_get(hv_config_item(hv_config_get(root, "stages"), 0), "params");
    ck_assert_int_eq(hv_config_clone(params, &copy), HV_OK);
    hv_config_free(root);
    ck_assert_ptr_null(hv_config_parent(copy));
    ck_loc(copy, 4, 13);
    ck_assert_str_eq(hv_config_file(copy), "t.yaml");
    ck_loc(hv_config_get(copy, "threshold"), 4, 25);
    ck_assert_str_eq(hv_config_text(hv_config_get(copy, "threshold")), "high");
    hv_config_free(copy);
}
END_TEST

START_TEST(files_load_and_missing_files_fail) {
    hv_config_node *root = NULL;
    const char *path = HEMOVK_SOURCE_DIR "/tests/data/config/good.yaml";
    ck_assert_int_eq(hv_config_load_file(path, &root), HV_OK);
    ck_assert_str_eq(hv_config_file(root), path);
    ck_loc(hv_config_get(root, "version"), 2, 10);
    hv_config_free(root);
    ck_assert_int_eq(hv_config_load_file(HEMOVK_SOURCE_DIR "/tests/data/config/no-such.yaml", &root), HV_ERR_IO);
    ck_assert_ptr_null(root);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "no-such.yaml: cannot open: No such file or directory"));
    ck_assert_int_eq(hv_config_load_file(HEMOVK_SOURCE_DIR "/tests/data/config/malformed.yaml", &root), HV_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "malformed.yaml:5:7: did not find expected ',' or ']' while parsing a flow sequence (started at 4:51)"));
}
END_TEST


/* Paths written in a YAML file are relative to that file's folder, so a pipeline runs from anywhere. */
START_TEST(paths_resolve_against_the_yaml_folder) {
    const char *doc = "rel: weights/b7.safetensors\nabs: /data/x.png\nnum: 3\n";
    hv_config_node *root = NULL;
    ck_assert_int_eq(hv_config_load_string(doc, strlen(doc), "exams/pipes/p.yaml", &root), HV_OK);
    char *p = NULL;
    ck_assert_int_eq(hv_config_resolve_path(hv_config_get(root, "rel"), &p), HV_OK);
    ck_assert_str_eq(p, "exams/pipes/weights/b7.safetensors");
    free(p);
    ck_assert_int_eq(hv_config_resolve_path(hv_config_get(root, "abs"), &p), HV_OK);
    ck_assert_str_eq(p, "/data/x.png");
    free(p);
    p = (char *)"untouched";
    ck_assert_int_eq(hv_config_resolve_path(hv_config_get(root, "num"), &p), HV_ERR_SCHEMA);
    ck_assert_ptr_null(p);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "p.yaml:3:"));
    hv_config_free(root);
    /* a file name without a folder, and in-memory configs ("<string>"), resolve against the working dir */
    ck_assert_int_eq(hv_config_load_string(doc, strlen(doc), "<string>", &root), HV_OK);
    ck_assert_int_eq(hv_config_resolve_path(hv_config_get(root, "rel"), &p), HV_OK);
    ck_assert_str_eq(p, "weights/b7.safetensors");
    free(p);
    hv_config_free(root);
    ck_assert_int_eq(hv_config_load_string(doc, strlen(doc), "p.yaml", &root), HV_OK);
    ck_assert_int_eq(hv_config_resolve_path(hv_config_get(root, "rel"), &p), HV_OK);
    ck_assert_str_eq(p, "weights/b7.safetensors");
    free(p);
    hv_config_free(root);
}
END_TEST

int main(void) {
    Suite *s = suite_create("yaml");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, every_node_has_its_location);
    tcase_add_test(tc, plain_scalars_follow_yaml_core_schema);
    tcase_add_test(tc, typed_getters_convert_and_default);
    tcase_add_test(tc, malformed_yaml_reports_libyaml_position);
    tcase_add_test(tc, duplicate_keys_are_errors);
    tcase_add_test(tc, empty_and_odd_documents);
    tcase_add_test(tc, deep_documents_hit_the_depth_limit);
    tcase_add_test(tc, huge_documents_load);
    tcase_add_test(tc, json_text_parses_into_the_same_tree);
    tcase_add_test(tc, clone_outlives_the_original);
    tcase_add_test(tc, files_load_and_missing_files_fail);
    tcase_add_test(tc, paths_resolve_against_the_yaml_folder);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
