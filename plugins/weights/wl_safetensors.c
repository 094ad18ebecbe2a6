/* safetensors — a WEIGHT_LOADER that memory-maps one safetensors file (hv_weights_open validates it all).
 * An SWA checkpoint that is already averaged (the authors' `..._last_5_checkpoint_...`) loads so, as is. */
#include "weights_plugin.h"

#include <stdlib.h>

const char wl_safetensors_schema[] =
    "type: object\n"
    "additionalProperties: false\n"
    "required: [path]\n"
    "properties:\n"
    "  path:\n"
    "    description: the .safetensors file (tools/convert_checkpoint.py makes one from a .pth); relative to the pipeline file's folder\n"
    "    type: string\n"
    "    minLength: 1\n";

static hv_status st_load(const hv_component_info *info, hv_weights **out) {
    *out = NULL;
    const hv_config_node *node = hv_config_get(info->params, "path");
    char *path = NULL;
    hv_status st = hv_config_resolve_path(node, &path);
    if (!st) st = hv_weights_open(path, out);
    free(path);
    return wl_context(st, info, node);
}

const hv_weight_loader_vtable wl_safetensors_vtable = {
    .struct_size = sizeof(hv_weight_loader_vtable),
    .load = st_load,
};
