/* The "backbones" plugin (hemovk-backbones.so): BACKBONE components that wrap the model builders of
 * hemovk/models.h — efficientnet, convnext, internimage — with their hyperparameters read from YAML.
 * Each component file exports its vtable and parameter schema here; backbones_plugin.c lists them. */
#ifndef HEMOVK_BACKBONES_PLUGIN_H
#define HEMOVK_BACKBONES_PLUGIN_H

#include "hemovk/config.h"
#include "hemovk/models.h"
#include "hemovk/plugin.h"

/* efficientnet (bb_efficientnet.c) */
extern const hv_backbone_vtable bb_efficientnet_vtable;
extern const char bb_efficientnet_schema[];
/* convnext (bb_convnext.c) */
extern const hv_backbone_vtable bb_convnext_vtable;
extern const char bb_convnext_schema[];
/* internimage (bb_internimage.c) */
extern const hv_backbone_vtable bb_internimage_vtable;
extern const char bb_internimage_schema[];

/* ---- shared param readers (bb_params.c) ---------------------------------------------------------- */

/** Read integer list `key` of `params` (absent: *n = 0, "take the arch's") into out[0..cap); more than cap
 *  is an error naming the key's file:line:col. */
hv_status bb_get_int_list(const hv_config_node *params, const char *key, int32_t *out, uint32_t cap, uint32_t *n);

/** bb_get_int_list for a list whose schema has a default: absent is an error (hv_config_need). */
hv_status bb_need_int_list(const hv_config_node *params, const char *key, int32_t *out, uint32_t cap, uint32_t *n);

/** Read number `key`, which the schema fills, as a float (hv_config_need_double). */
hv_status bb_need_float(const hv_config_node *params, const char *key, float *out);

/** Read optional number `key` as a float; absent: 0, the builders' "the arch's value" (only for keys
 *  without a schema default whose schema excludes 0, so 0 is never a value someone wrote). */
hv_status bb_get_float_or_arch(const hv_config_node *params, const char *key, float *out);

/** Read an optional boolean `key` as a tri-state: absent → HV_TRI_AUTO. */
hv_status bb_get_tristate(const hv_config_node *params, const char *key, hv_tristate *out);

/** Prefix a builder's error with the user of the backbone and the component ("classify.backbone
 *  (efficientnet): ..."). Returns `st`. */
hv_status bb_context(hv_status st, const hv_component_info *info, const char *component);

#endif
