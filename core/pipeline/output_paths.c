/* Checks on where outputs write, run at load (so `hemovk validate` reports them too):
 *  - two outputs may not write the same file or folder (they would overwrite each other's results:
 *    the second JSONL truncates the first, overlays overwrite overlays);
 *  - an output's `path` stays inside the run's output folder: an absolute path or one that climbs
 *    with ".." is an error unless hv_pipeline_load_options.allow_outside_output is set
 *    (`--allow-outside-output`), since a pipeline file from elsewhere could otherwise write anywhere. */
#include "pipeline/pipeline_internal.h"

#include "hemovk/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Default `path` of the writers that ship (what each writer's hv_writer_output_path defaults to). */
static const char *default_path(const char *component) {
    static const char *const table[][2] = {{"writer.jsonl", "results.jsonl"}, {"writer.csv", "results.csv"},
                                           {"writer.overlay", "overlays"},    {"writer.coco", "results"},
                                           {"writer.cam", "cam"}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(component, table[i][0])) return table[i][1];
    return NULL;
}

/* The output's path, normalised, or NULL when it cannot be known (a third-party writer without `path`). */
static char *effective_path(const pl_node *n) {
    const char *p = n->rel_path ? n->rel_path : default_path(n->component);
    if (!p) return NULL;
    char *s = strdup(p);
    return s ? hv_path_normalize(s) : NULL;
}

static const hv_config_node *where(const pl_node *n) {
    const hv_config_node *path = hv_config_get(n->node, "path");
    return path ? path : n->node;
}

static int outside(const char *norm) {
    return norm[0] == '/' || !strcmp(norm, "..") || !strncmp(norm, "../", 3) || !strcmp(norm, ".");
}

hv_status pl_outputs_check(hv_pipeline *p, int allow_outside) {
    size_t n = p->n_outputs;
    char **paths = calloc(n ? n : 1, sizeof *paths);
    if (!paths) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    hv_status st = HV_OK;
    for (size_t i = 0; i < n && !st; i++) {
        const pl_node *a = &p->outputs[i];
        if (!a->enabled) continue;
        paths[i] = effective_path(a);
        if (!paths[i]) continue;
        const hv_config_node *at = where(a);
        if (!allow_outside && outside(paths[i]))
            st = hv_error(HV_ERR_SCHEMA,
                          "%s:%d:%d: output '%s' writes to '%s', outside the output folder (%s): give a path inside "
                          "--output, or pass --allow-outside-output",
                          hv_config_file(at), hv_config_line(at), hv_config_column(at), a->id, a->rel_path,
                          paths[i][0] == '/' ? "an absolute path" : "it climbs out with ..");
        for (size_t j = 0; j < i && !st; j++) {
            if (!paths[j] || strcmp(paths[i], paths[j])) continue;
            const hv_config_node *bt = where(&p->outputs[j]);
            st = hv_error(HV_ERR_SCHEMA,
                          "%s:%d:%d: outputs '%s' and '%s' (%s:%d:%d) both write to '%s': one would overwrite the "
                          "other's results; give one of them a different `path`",
                          hv_config_file(at), hv_config_line(at), hv_config_column(at), a->id, p->outputs[j].id,
                          hv_config_file(bt), hv_config_line(bt), hv_config_column(bt), paths[i]);
        }
    }
    for (size_t i = 0; i < n; i++) free(paths[i]);
    free(paths);
    return st;
}
