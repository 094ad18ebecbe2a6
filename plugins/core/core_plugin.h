/* The built-in "core" plugin: simple stages that need no model. Each component file exports its vtable
 * and parameter schema here; core_plugin.c lists them in the descriptor. */
#ifndef HEMOVK_CORE_PLUGIN_H
#define HEMOVK_CORE_PLUGIN_H

#include "hemovk/plugin.h"

/* filter.quality (filter_quality.c) */
extern const hv_stage_vtable cq_quality_vtable;
extern const char cq_param_schema[];

#endif
