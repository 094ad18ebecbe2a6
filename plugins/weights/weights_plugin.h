/* The "weights" plugin (hemovk-weights.so): WEIGHT_LOADER components that produce an hv_weights set
 * from files named in YAML — `safetensors` (one file) and `swa` (an equal average of N checkpoints,
 * MODEL_SPEC §6.3, with a selectable BatchNorm-statistics policy). */
#ifndef HEMOVK_WEIGHTS_PLUGIN_H
#define HEMOVK_WEIGHTS_PLUGIN_H

#include "hemovk/config.h"
#include "hemovk/plugin.h"
#include "hemovk/weights.h"

#include <stddef.h>

extern const hv_weight_loader_vtable wl_safetensors_vtable;
extern const char wl_safetensors_schema[];
extern const hv_weight_loader_vtable wl_swa_vtable;
extern const char wl_swa_schema[];

/** Prefix the current error with "file:line:col: <instance> weights '<key path>'" of `node`. */
hv_status wl_context(hv_status st, const hv_component_info *info, const hv_config_node *node);

#endif
