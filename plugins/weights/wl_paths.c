/* Path resolution for the weight loaders: a relative path in a pipeline is relative to the folder of
 * the pipeline file that names it, so `hemovk run pipelines/x.yaml` works from any working directory. */
#include "weights_plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

hv_status wl_resolve_path(const hv_config_node *node, char **out) {
    *out = NULL;
    const char *text = NULL;
    hv_status st = hv_config_as_string(node, &text);
    if (st) return st;
    const char *file = hv_config_file(node);
    const char *slash = file ? strrchr(file, '/') : NULL;
    size_t dir_len = (text[0] == '/' || !file || file[0] == '<' || !slash) ? 0 : (size_t)(slash - file) + 1;
    size_t n = dir_len + strlen(text) + 1;
    char *p = malloc(n);
    if (!p) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory resolving '%s'", text);
    snprintf(p, n, "%.*s%s", (int)dir_len, dir_len ? file : "", text);
    *out = p;
    return HV_OK;
}

hv_status wl_context(hv_status st, const hv_component_info *info, const hv_config_node *node) {
    if (!st) return st;
    char path[256];
    hv_config_path(node, path, sizeof path);
    return hv_error_context(st, "%s:%d:%d: %s: weights '%s'", hv_config_file(node), hv_config_line(node),
                            hv_config_column(node), info && info->instance_id ? info->instance_id : "weights", path);
}
