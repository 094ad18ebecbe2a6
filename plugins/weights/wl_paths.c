/* Error context for the weight loaders: prefix a failure with the YAML position and key it came from.
 * (Relative paths are resolved with hv_config_resolve_path, against the YAML file that wrote them.) */
#include "weights_plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

hv_status wl_context(hv_status st, const hv_component_info *info, const hv_config_node *node) {
    if (!st) return st;
    char path[256];
    hv_config_path(node, path, sizeof path);
    return hv_error_context(st, "%s:%d:%d: %s: weights '%s'", hv_config_file(node), hv_config_line(node),
                            hv_config_column(node), info && info->instance_id ? info->instance_id : "weights", path);
}
