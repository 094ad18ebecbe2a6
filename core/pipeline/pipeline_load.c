/* Loading a pipeline: YAML → pipeline schema → plugins → stage graph → device → params schemas →
 * stage instances (see hemovk/pipeline.h for the order and what each error says). */
#include "pipeline/pipeline_internal.h"
#include "weights/opened.h"

#include "hemovk/device.h"
#include "hemovk/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *pl_strdup(const char *s) {
    return s ? strdup(s) : NULL;
}

/* Append "\n<line>" (or "<line>") to a growing message. */
static void msg_append(char **msg, size_t *len, const char *line) {
    size_t n = strlen(line);
    char *m = realloc(*msg, *len + n + 2);
    if (!m) return;
    if (*len) m[(*len)++] = '\n';
    memcpy(m + *len, line, n + 1);
    *len += n;
    *msg = m;
}

/* Turn a schema error list into one message (every error on its own line, `suffix` after each). */
static hv_status schema_errors_message(hv_schema_errors *errs, const char *suffix) {
    char *msg = NULL;
    size_t len = 0;
    char line[2048];
    size_t n = hv_schema_errors_count(errs);
    for (size_t i = 0; i < n; i++) {
        snprintf(line, sizeof line, "%s%s", hv_schema_errors_message(errs, i), suffix ? suffix : "");
        msg_append(&msg, &len, line);
    }
    if (hv_schema_errors_truncated(errs)) msg_append(&msg, &len, "... and more errors");
    hv_status st = hv_error(HV_ERR_SCHEMA, "%s", msg ? msg : "invalid (no details)");
    free(msg);
    return st;
}

/* A copy of an optional string key; NULL when absent (each caller says what absence means). */
static hv_status string_of(const hv_config_node *map, const char *key, char **out) {
    const char *s = NULL;
    hv_status st = hv_config_get_string(map, key, NULL, &s); /* no schema default: absent = NULL, see callers */
    if (st) return st;
    *out = NULL;
    if (s && !(*out = strdup(s))) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory reading '%s'", key);
    return HV_OK;
}

/* Read one stage or output mapping into `n` (no component lookup yet). */
static hv_status read_node(hv_pipeline *p, const hv_config_node *m, size_t i, int is_output, pl_node *n) {
    hv_status st;
    n->node = m;
    n->kind = is_output ? HV_COMPONENT_WRITER : HV_COMPONENT_STAGE;
    if ((st = string_of(m, "id", &n->id))) return st;
    if (!n->id) {
        char buf[32];
        snprintf(buf, sizeof buf, "output[%zu]", i);
        if (!(n->id = strdup(buf))) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    }
    if ((st = string_of(m, "component", &n->component))) return st;
    n->params = (hv_config_node *)hv_config_get(m, "params"); /* ours: the tree is mutable, defaults go in */
    n->enabled = 1; /* an output has no `enabled` key (the schema allows none): it always writes */
    if (!is_output && (st = hv_config_need_bool(m, "enabled", &n->enabled))) return st;
    const char *prec = NULL;
    /* no schema default: a stage without `precision` takes the pipeline's */
    if ((st = hv_config_get_string(m, "precision", p->precision, &prec))) return st;
    if (!(n->precision = strdup(prec))) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    if (is_output && (st = string_of(m, "path", &n->rel_path))) return st;
    return HV_OK;
}

/* Look up the component and validate the params against its schema (every error, with line:col). */
static hv_status check_component(hv_pipeline *p, pl_node *n) {
    const hv_config_node *cnode = hv_config_get(n->node, "component");
    hv_status st = hv_registry_lookup(p->reg, n->kind, n->component, &n->comp);
    if (st)
        return hv_error_context(st, "%s:%d:%d: %s '%s'", hv_config_file(cnode), hv_config_line(cnode),
                                hv_config_column(cnode), n->kind == HV_COMPONENT_WRITER ? "output" : "stage", n->id);
    if (!n->comp->schema) {
        if (n->params && hv_config_size(n->params))
            return hv_error(HV_ERR_SCHEMA, "%s:%d:%d: stage '%s': component '%s' takes no params; remove them",
                            hv_config_file(n->params), hv_config_line(n->params), hv_config_column(n->params), n->id,
                            n->component);
        return HV_OK;
    }
    hv_schema_errors *errs = NULL;
    st = hv_schema_validate(n->comp->schema, n->params, &errs);
    if (st == HV_ERR_SCHEMA && errs) {
        char suffix[256];
        snprintf(suffix, sizeof suffix, " (stage '%s': params of %s, see `hemovk plugins`)", n->id, n->component);
        st = schema_errors_message(errs, suffix);
    } else if (st) {
        hv_error_context(st, "stage '%s': the parameter schema of component '%s' (plugin '%s')", n->id, n->component,
                         n->comp->plugin->name);
    }
    hv_schema_errors_free(errs);
    return st;
}

static hv_status open_device(hv_pipeline *p, const hv_pipeline_load_options *o) {
    if (o && o->no_device) return HV_OK;
    const char *sel = o ? o->device : NULL;
    char yaml_sel[64] = "", origin[600] = "--device";
    if (!sel && (sel = getenv("HEMOVK_DEVICE")) && *sel) snprintf(origin, sizeof origin, "HEMOVK_DEVICE");
    if (!sel || !*sel) {
        const hv_config_node *d = hv_config_get(p->doc, "device");
        if (d && hv_config_text(d)) {
            snprintf(yaml_sel, sizeof yaml_sel, "%s", hv_config_text(d));
            snprintf(origin, sizeof origin, "`device:` at %s:%d:%d", hv_config_file(d), hv_config_line(d),
                     hv_config_column(d));
            sel = yaml_sel;
        } else {
            sel = NULL;
        }
    }
    hv_status st = hv_device_open(sel, &p->device);
    /* a selector that names no device is a device problem (exit 4, as `hemovk devices` says), not a
     * missing file or component (HV_ERR_NOT_FOUND, exit 3) */
    if (st == HV_ERR_NOT_FOUND) st = HV_ERR_UNSUPPORTED;
    if (st && sel) return hv_error_context(st, "%s: opening the device \"%s\" (from %s)", p->file, sel, origin);
    if (st) return hv_error_context(st, "%s: opening the device", p->file);
    hv_registry_set_device(p->reg, p->device);
    return HV_OK;
}

static hv_status create_stages(hv_pipeline *p) {
    for (size_t k = 0; k < p->n_order; k++) {
        pl_node *n = &p->stages[p->order[k]];
        hv_stage_context ctx = {.batch = p->batch, .precision = n->precision};
        hv_status st = hv_stage_create_ex(p->reg, n->kind, n->component, n->id, n->params, &ctx, &n->stage);
        if (st)
            return hv_error_context(st, "%s:%d:%d", hv_config_file(n->node), hv_config_line(n->node),
                                    hv_config_column(n->node));
    }
    return HV_OK;
}

static hv_status load_doc(hv_pipeline *p, const char *path) {
    hv_status st = hv_config_load_file(path, &p->doc);
    if (st) return st;
    char schema_path[4096];
    hv_config_node *schema = NULL;
    if ((st = hv_schema_find("pipeline", schema_path, sizeof schema_path))) return st;
    if ((st = hv_schema_load_file(schema_path, &schema))) return st;
    hv_schema_errors *errs = NULL;
    st = hv_schema_validate(schema, p->doc, &errs);
    if (st == HV_ERR_SCHEMA && errs) st = schema_errors_message(errs, NULL);
    hv_schema_errors_free(errs);
    hv_config_free(schema);
    return st;
}

static hv_status read_top(hv_pipeline *p, const hv_pipeline_load_options *o) {
    hv_status st;
    const char *name = NULL;
    if ((st = hv_config_get_string(p->doc, "name", NULL, &name))) return st; /* no schema default: the file's name */
    if (!name) {
        name = strrchr(p->file, '/');
        name = name ? name + 1 : p->file;
    }
    if (!(p->name = strdup(name))) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    int64_t batch = 0;
    if ((st = hv_config_need_int(p->doc, "batch", &batch))) return st;
    p->batch = (o && o->batch > 0) ? o->batch : (int)batch;
    const char *precision = NULL;
    if ((st = hv_config_need_string(p->doc, "precision", &precision))) return st;
    if (!(p->precision = strdup(precision))) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    const hv_config_node *src = hv_config_get(p->doc, "source");
    if (src && hv_config_kind_of(src) == HV_CONFIG_SCALAR) {
        if ((st = string_of(p->doc, "source", &p->source))) return st;
    } else if (src) {
        if ((st = string_of(src, "path", &p->source))) return st;
        if ((st = hv_config_need_bool(src, "recursive", &p->recursive))) return st;
        if ((st = hv_config_need_int(src, "limit", &p->limit))) return st;
        /* no schema default: without fps an image folder has no clock (times are null) */
        if ((st = hv_config_get_double(src, "fps", 0.0, &p->fps))) return st;
        if ((st = string_of(src, "component", &p->source_component))) return st;
        if ((st = hv_config_need_int(src, "every", &p->every))) return st;
    }
    if (p->every < 1) p->every = 1;
    const hv_config_node *stages = hv_config_get(p->doc, "stages");
    const hv_config_node *outputs = hv_config_get(p->doc, "outputs");
    p->n_stages = hv_config_size(stages);
    p->n_outputs = hv_config_size(outputs);
    p->stages = calloc(p->n_stages ? p->n_stages : 1, sizeof *p->stages);
    p->outputs = calloc(p->n_outputs ? p->n_outputs : 1, sizeof *p->outputs);
    if (!p->stages || !p->outputs) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; i < p->n_stages; i++)
        if ((st = read_node(p, hv_config_item(stages, i), i, 0, &p->stages[i]))) return st;
    for (size_t i = 0; i < p->n_outputs; i++)
        if ((st = read_node(p, hv_config_item(outputs, i), i, 1, &p->outputs[i]))) return st;
    return HV_OK;
}

/* Independent checks — the stage graph, every stage's and output's params, the output paths — all run,
 * so a file with several mistakes gets every one reported at once (`hemovk validate` promises that), one
 * per line; the status is the first failure's. */
typedef struct err_list {
    char text[2048]; /* what hv_error keeps */
    size_t len, count;
    hv_status first;
} err_list;

static void note(err_list *e, hv_status st) {
    if (!st) return;
    if (!e->first) e->first = st;
    e->count++;
    if (e->len + 1 < sizeof e->text) {
        int n = snprintf(e->text + e->len, sizeof e->text - e->len, "%s%s", e->len ? "\n" : "", hv_last_error());
        if (n > 0) e->len += (size_t)n < sizeof e->text - e->len ? (size_t)n : sizeof e->text - e->len - 1;
    }
}

/* A named source component must exist (its params are made at run time: {path: the input}). */
static hv_status check_source(hv_pipeline *p) {
    if (!p->source_component) return HV_OK;
    const hv_component *c = NULL;
    hv_status st = hv_registry_lookup(p->reg, HV_COMPONENT_SOURCE, p->source_component, &c);
    if (!st) return HV_OK;
    const hv_config_node *cnode = hv_config_get(hv_config_get(p->doc, "source"), "component");
    return hv_error_context(st, "%s:%d:%d: source", hv_config_file(cnode), hv_config_line(cnode), hv_config_column(cnode));
}

static hv_status check_all(hv_pipeline *p, int allow_outside) {
    err_list e = {.len = 0};
    note(&e, check_source(p));
    note(&e, pl_graph_build(p));
    for (size_t i = 0; i < p->n_stages; i++)
        if (p->stages[i].enabled) note(&e, check_component(p, &p->stages[i]));
    for (size_t i = 0; i < p->n_outputs; i++)
        if (p->outputs[i].enabled) note(&e, check_component(p, &p->outputs[i]));
    if (e.count == 0) note(&e, pl_outputs_check(p, allow_outside)); /* needs the components resolved */
    if (e.count > 1) return hv_error(e.first, "%s", e.text);
    return e.first;
}

hv_status pl_pipeline_load_with(const char *path, const hv_pipeline_load_options *options, hv_registry *reg,
                                hv_pipeline **out) {
    *out = NULL;
    if (!path) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_pipeline_load: path is NULL");
    hv_pipeline *p = calloc(1, sizeof *p);
    if (!p || !(p->file = strdup(path))) {
        free(p);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory loading %s", path);
    }
    hv_status st = load_doc(p, path);
    if (!st) st = read_top(p, options);
    if (!st && reg) {
        p->reg = reg;
    } else if (!st) {
        p->own_reg = 1;
        st = hv_registry_create(&p->reg);
        if (!st) st = hv_registry_load_search_path(p->reg);
    }
    if (!st) st = check_all(p, options && options->allow_outside_output);
    int check_only = options && options->check_only;
    if (!st && !check_only) st = open_device(p, options);
    p->weights_first = hv_weights_opened_count();
    if (!st && !check_only) st = create_stages(p);
    p->weights_end = hv_weights_opened_count();
    if (st) {
        hv_pipeline_free(p);
        return st;
    }
    hv_log(check_only ? HV_LOG_DEBUG : HV_LOG_INFO, "pipeline '%s' (%s): %zu stage%s, %zu output%s, batch %d", p->name, p->file, p->n_order,
                p->n_order == 1 ? "" : "s", p->n_outputs, p->n_outputs == 1 ? "" : "s", p->batch);
    *out = p;
    return HV_OK;
}

hv_status hv_pipeline_load(const char *path, const hv_pipeline_load_options *options, hv_pipeline **out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_pipeline_load: out is NULL");
    return pl_pipeline_load_with(path, options, NULL, out);
}

static void free_node(pl_node *n) {
    hv_stage_destroy(n->stage);
    free(n->id);
    free(n->component);
    free(n->inputs);
    free(n->precision);
    free(n->rel_path);
    free(n->abs_path);
    pl_condition_free(&n->when);
}

void hv_pipeline_free(hv_pipeline *p) {
    if (!p) return;
    /* Destroy in reverse run order: later stages may hold on to what earlier ones set up. */
    for (size_t i = p->n_outputs; i-- > 0;) free_node(&p->outputs[i]);
    for (size_t k = p->n_order; k-- > 0;) {
        pl_node *n = &p->stages[p->order[k]];
        hv_stage_destroy(n->stage);
        n->stage = NULL;
    }
    for (size_t i = 0; i < p->n_stages; i++) free_node(&p->stages[i]);
    free(p->stages);
    free(p->outputs);
    free(p->order);
    if (p->device) {
        if (p->reg) hv_registry_set_device(p->reg, NULL);
        hv_device_close(p->device);
    }
    if (p->own_reg) hv_registry_free(p->reg);
    hv_config_free(p->doc);
    free(p->file);
    free(p->name);
    free(p->precision);
    free(p->source);
    free(p->source_component);
    free(p);
}

const char *hv_pipeline_name(const hv_pipeline *p) {
    return p ? p->name : NULL;
}

int hv_pipeline_batch(const hv_pipeline *p) {
    return p ? p->batch : 0;
}

size_t hv_pipeline_stage_count(const hv_pipeline *p) {
    return p ? p->n_stages : 0;
}

const char *hv_pipeline_stage_id(const hv_pipeline *p, size_t i) {
    return (p && i < p->n_stages) ? p->stages[i].id : NULL;
}
