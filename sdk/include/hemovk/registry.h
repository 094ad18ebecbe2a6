/* hemovk/registry.h — what plugins this hemovk can load: a read-only catalog for programs that list
 * them (`hemovk plugins`), check a deployment, or build a UI over the components.
 *
 *     hv_registry *reg = NULL;
 *     if (hv_registry_create(&reg) || hv_registry_load_search_path(reg)) { fputs(hv_last_error(), stderr); ... }
 *     for (size_t i = 0; i < hv_registry_component_count(reg); i++) {
 *         hv_component_about c;
 *         hv_registry_component_about(reg, i, &c);
 *         printf("%s %s\n", hv_component_kind_name(c.kind), c.name);
 *     }
 *     hv_registry_free(reg);
 *
 * Pipelines load their own registry (hv_pipeline_load); this one is for looking. Loading never fails
 * because of a bad plugin: each rejected file is kept with its reason (hv_registry_rejection_about).
 * Strings returned here are owned by the registry (or the plugin) and live until hv_registry_free. */
#ifndef HEMOVK_REGISTRY_H
#define HEMOVK_REGISTRY_H

#include "hemovk/export.h"
#include "hemovk/plugin.h"
#include "hemovk/status.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct hv_config_node;

/** A set of loaded plugins and the components they provide. */
typedef struct hv_registry hv_registry;

/** A loaded plugin, as its descriptor describes it. */
typedef struct hv_plugin_about {
    const char *path;        /**< the file it was loaded from */
    const char *name;        /**< descriptor name */
    const char *version;     /**< descriptor version */
    const char *description; /**< descriptor description ("" when none) */
    uint16_t abi_major;      /**< the ABI it was built for */
    uint16_t abi_minor;
    uint32_t n_components;   /**< components registered from it (duplicates excluded) */
} hv_plugin_about;

/** A registered component. */
typedef struct hv_component_about {
    hv_component_kind kind;              /**< stage, backbone, ..., writer */
    const char *name;                    /**< the name pipelines use */
    const char *description;             /**< "" when none */
    size_t plugin;                       /**< index of its plugin (hv_registry_plugin_about) */
    const struct hv_config_node *schema; /**< its parameter schema (hemovk/config.h), NULL: no params */
} hv_component_about;

/** An empty registry in *out. HV_ERR_OUT_OF_MEMORY / HV_ERR_INVALID_ARGUMENT otherwise. */
HV_API hv_status hv_registry_create(hv_registry **out);

/** Unload every plugin (their fini in reverse load order) and free the registry. NULL is a no-op. */
HV_API void hv_registry_free(hv_registry *reg);

/** Load every plugin on the search path ($HEMOVK_PLUGIN_PATH, then the build or install folder; see
 *  hv_registry_search_dir). Fails only when out of memory; bad plugins become rejections. */
HV_API hv_status hv_registry_load_search_path(hv_registry *reg);

/** Number of loaded plugins (0 for NULL). */
HV_API size_t hv_registry_plugin_count(const hv_registry *reg);

/** Plugin `i` (load order) into *out. HV_ERR_INVALID_ARGUMENT when i is out of range. */
HV_API hv_status hv_registry_plugin_about(const hv_registry *reg, size_t i, hv_plugin_about *out);

/** Number of registered components (0 for NULL). */
HV_API size_t hv_registry_component_count(const hv_registry *reg);

/** Component `i` (load order) into *out. HV_ERR_INVALID_ARGUMENT when i is out of range. */
HV_API hv_status hv_registry_component_about(const hv_registry *reg, size_t i, hv_component_about *out);

/** Number of plugin files that were not loaded, and components that were ignored (duplicates). */
HV_API size_t hv_registry_rejection_count(const hv_registry *reg);

/** Rejection `i`: the file and, for people, why ("ABI 2.0 is not this hemovk's ABI 1.x: rebuild ...").
 *  Either pointer may be NULL. HV_ERR_INVALID_ARGUMENT when i is out of range. */
HV_API hv_status hv_registry_rejection_about(const hv_registry *reg, size_t i, const char **path, const char **reason);

/** The folders searched, in order: each of $HEMOVK_PLUGIN_PATH (colon-separated), then the build tree's
 *  plugin folder when libhemovk runs from its build tree, else hemovk/plugins beside libhemovk, then the
 *  configured install folder. Duplicates appear once. NULL when i is out of range. */
HV_API size_t hv_registry_search_dir_count(const hv_registry *reg);
HV_API const char *hv_registry_search_dir(const hv_registry *reg, size_t i);

/** "stage", "backbone", "neck", "head", "weight_loader", "source", "writer"; "unknown" otherwise. */
HV_API const char *hv_component_kind_name(uint32_t kind);

#ifdef __cplusplus
}
#endif

#endif
