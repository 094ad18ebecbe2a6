/* Fuzz target: pipeline YAML — parsing (libyaml into the config tree), JSON-Schema validation against
 * schemas/pipeline.schema.yaml and against a plugin's parameter schema (the segmenter's, whose reader
 * seg_config_read then runs on what validated, as a stage's create() would), the tree's JSON and
 * canonical (run fingerprint) forms, and the input read as a schema itself (hv_schema_check, then
 * validating the demo pipeline against it). Pipelines come from users and from shared folders: any
 * byte string must give a tree or an error with a message, never a crash. */
/* FUZZ_EXTRA_SOURCES plugins/segment/seg_config.c */
#include "fuzz_util.h"

#include "hemovk/config.h"
#include "hemovk/plugin.h"
#include "pipeline/fingerprint.h"
#include "segment_plugin.h"

static hv_config_node *g_pipeline_schema, *g_seg_schema, *g_demo;

static void die(const char *what) {
    fprintf(stderr, "fuzz_yaml: %s: %s\n", what, hv_last_error());
    abort();
}

static void init(void) {
    fz_init_common();
    if (hv_schema_load_file(HEMOVK_SOURCE_DIR "/schemas/pipeline.schema.yaml", &g_pipeline_schema))
        die("pipeline schema");
    if (hv_schema_load_string(seg_param_schema, strlen(seg_param_schema), "segmenter params", &g_seg_schema))
        die("segmenter schema");
    static const char demo[] = "version: 1\nname: demo\nbatch: 2\nstages:\n  - id: q\n    component: quality\n"
                               "    params: {min_brightness: 0.1}\noutputs:\n  - {component: writer.jsonl, path: r.jsonl}\n";
    if (hv_config_load_string(demo, sizeof demo - 1, "demo.yaml", &g_demo)) die("demo pipeline");
}

/* A message is the contract of every failure. */
static void expect_message(hv_status st, const char *what) {
    if (st && !hv_last_error()[0]) {
        fprintf(stderr, "fuzz_yaml: %s failed (%s) without a message\n", what, hv_status_name(st));
        abort();
    }
}

/* Validate a copy of `node` against `schema`; returns the validated copy (caller frees) or NULL. */
static hv_config_node *validated(const hv_config_node *schema, const hv_config_node *node, const char *what) {
    hv_config_node *copy = NULL;
    if (hv_config_clone(node, &copy)) return NULL;
    hv_schema_errors *errs = NULL;
    hv_status st = hv_schema_validate(schema, copy, &errs);
    expect_message(st, what);
    for (size_t i = 0; i < hv_schema_errors_count(errs); i++) {
        const char *file = NULL;
        int line = 0, col = 0;
        if (!hv_schema_errors_message(errs, i) || !hv_schema_errors_at(errs, i, &file, &line, &col)) abort();
    }
    hv_schema_errors_free(errs);
    if (st) {
        hv_config_free(copy);
        return NULL;
    }
    return copy;
}

/* Every mapping with `component: segmenter` and `params`, at any depth (tta wraps stages). */
static void segmenters(const hv_config_node *n) {
    if (hv_config_kind_of(n) == HV_CONFIG_MAP) {
        const char *comp = hv_config_text(hv_config_get(n, "component"));
        const hv_config_node *params = hv_config_get(n, "params");
        if (comp && !strcmp(comp, "segmenter") && params) {
            hv_config_node *ok = validated(g_seg_schema, params, "segmenter params");
            if (ok) {
                hv_create_info info = {.struct_size = sizeof info, .instance_id = "seg", .params = ok};
                seg_config c;
                expect_message(seg_config_read(&info, &c), "seg_config_read");
                hv_config_free(ok);
            }
        }
    }
    size_t k = hv_config_size(n);
    for (size_t i = 0; i < k; i++)
        segmenters(hv_config_kind_of(n) == HV_CONFIG_MAP ? hv_config_value_at(n, i) : hv_config_item(n, i));
}

/* Scalars read every way a stage reads them. */
static void scalars(const hv_config_node *n) {
    if (hv_config_kind_of(n) == HV_CONFIG_SCALAR) {
        int64_t i;
        double d;
        int b;
        const char *s;
        (void)hv_config_as_int(n, &i);
        (void)hv_config_as_double(n, &d);
        (void)hv_config_as_bool(n, &b);
        (void)hv_config_as_string(n, &s);
        (void)hv_config_scalar_type(n);
        return;
    }
    size_t k = hv_config_size(n);
    for (size_t i = 0; i < k; i++) {
        if (hv_config_kind_of(n) == HV_CONFIG_MAP) (void)hv_config_key_at(n, i);
        scalars(hv_config_kind_of(n) == HV_CONFIG_MAP ? hv_config_value_at(n, i) : hv_config_item(n, i));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    if (!ready) init(), ready = 1;
    hv_config_node *doc = NULL;
    hv_status st = hv_config_load_string((const char *)data, size, "fuzz.yaml", &doc);
    expect_message(st, "hv_config_load_string");
    if (st) return 0;
    scalars(doc);
    char *json = NULL;
    if (!hv_config_to_json(doc, &json)) free(json);
    free(pl_config_canonical(doc));
    hv_config_free(validated(g_pipeline_schema, doc, "pipeline schema"));
    segmenters(doc);
    /* the input as a schema */
    if (!hv_schema_check(doc)) hv_config_free(validated(doc, g_demo, "input as a schema"));
    hv_config_free(doc);
    return 0;
}
