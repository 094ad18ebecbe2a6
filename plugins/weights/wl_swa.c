/* swa — a WEIGHT_LOADER that averages N safetensors checkpoints with equal weights at load time
 * (stochastic weight averaging, MODEL_SPEC §6.3): every float tensor element-wise in f32, integer
 * buffers taken from the last file, mismatched names/shapes/dtypes are errors naming them
 * (hv_weights_swa). The files are a list (`paths`, in the order given; "last" = the last one) or a glob
 * (`glob`, natural order, so epoch_9 < epoch_10 and "last" = the latest epoch).
 * BatchNorm statistics (`bn`): average (naive state-dict averaging, the default), keep_last
 * (AveragedModel's buffers before update_bn), or recalibrate (average, then the model stage reruns the
 * averaged network over calibration frames — the engine's update_bn; see the classifier's
 * `calibration`). One file is loaded as is. */
#include "weights_plugin.h"

#include <stdlib.h>
#include <string.h>

const char wl_swa_schema[] =
    "type: object\n"
    "additionalProperties: false\n"
    "properties:\n"
    "  paths:\n"
    "    description: the checkpoints to average (safetensors), in order; relative to the pipeline file's folder\n"
    "    type: array\n"
    "    minItems: 1\n"
    "    maxItems: 1000\n"
    "    items: {type: string, minLength: 1}\n"
    "  glob:\n"
    "    description: a glob(3) pattern of the checkpoints (natural order, so epoch_9 comes before epoch_10); relative to the pipeline file's folder\n"
    "    type: string\n"
    "    minLength: 1\n"
    "  bn:\n"
    "    description: BatchNorm running statistics - average them, keep the last checkpoint's, or recalibrate on calibration frames (MODEL_SPEC 6.3)\n"
    "    enum: [average, keep_last, recalibrate]\n"
    "    default: average\n"
    "  output_f32:\n"
    "    description: store the averages as f32 even when the checkpoints are f16\n"
    "    type: boolean\n"
    "    default: false\n"
    "oneOf:\n"
    "  - required: [paths]\n"
    "    not: {required: [glob]}\n"
    "  - required: [glob]\n"
    "    not: {required: [paths]}\n";

static hv_status swa_load(const hv_component_info *info, hv_weights **out) {
    *out = NULL;
    const hv_config_node *c = info->params;
    hv_swa_options opt = {0};
    const char *bn = NULL;
    int f32 = 0;
    hv_status st = hv_config_need_string(c, "bn", &bn);
    if (!st) st = hv_config_need_bool(c, "output_f32", &f32);
    if (st) return st;
    opt.bn_policy = !strcmp(bn, "keep_last") ? HV_SWA_BN_KEEP_LAST
                    : !strcmp(bn, "recalibrate") ? HV_SWA_BN_RECALIBRATE
                                                 : HV_SWA_BN_AVERAGE;
    opt.output_f32 = f32;
    const hv_config_node *glob = hv_config_get(c, "glob");
    if (glob) {
        char *pattern = NULL;
        st = hv_config_resolve_path(glob, &pattern);
        if (!st) st = hv_weights_swa_glob(pattern, &opt, out);
        free(pattern);
        return wl_context(st, info, glob);
    }
    const hv_config_node *list = hv_config_get(c, "paths");
    size_t n = hv_config_size(list);
    if (!list || n == 0)
        return wl_context(hv_error(HV_ERR_SCHEMA, "give `paths` (a list of files) or `glob`"), info, c);
    char **paths = calloc(n, sizeof *paths);
    if (!paths) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory listing %zu checkpoints", n);
    for (size_t i = 0; !st && i < n; i++) st = hv_config_resolve_path(hv_config_item(list, i), &paths[i]);
    if (!st) st = hv_weights_swa((const char *const *)paths, n, &opt, out);
    for (size_t i = 0; i < n; i++) free(paths[i]);
    free(paths);
    return wl_context(st, info, list);
}

const hv_weight_loader_vtable wl_swa_vtable = {
    .struct_size = sizeof(hv_weight_loader_vtable),
    .load = swa_load,
};
