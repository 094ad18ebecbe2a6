/* Host side of the plugin ABI: finding, checking and loading plugins, and the registry of the
 * components they provide (the scheduler, `hemovk plugins` and the tests use this; plugins use
 * hemovk/plugin.h only).
 *
 * A registry is created empty, filled by hv_registry_load_search_path() (or _load_dir/_load_file for
 * tests and tools), queried, and freed (which calls every plugin's fini and unloads it). Loading never
 * fails because of a bad plugin: each rejected file is logged with hv_log_warn and kept in the list
 * returned by hv_plugin_rejections(). Loading is not thread-safe; lookups on a loaded registry are. */
#ifndef HEMOVK_PLUGIN_REGISTRY_H
#define HEMOVK_PLUGIN_REGISTRY_H

#include "hemovk/plugin.h"
#include "hemovk/registry.h"
#include "hemovk/status.h"

#include <stddef.h>
#include <stdint.h>

struct hv_config_node;
struct hv_device;


/** A loaded plugin. Strings are owned by the registry. */
typedef struct hv_plugin_info {
    char *path;                 /**< the file it was loaded from */
    char *name;                 /**< descriptor name */
    char *version;              /**< descriptor version */
    char *description;          /**< descriptor description ("" when none) */
    uint16_t abi_major, abi_minor; /**< the ABI it was built for */
    uint32_t n_components;      /**< components registered from it (duplicates excluded) */
    void *handle;               /**< dlopen handle */
    void *state;                /**< what init stored */
    void (*fini)(void *state);  /**< descriptor fini, or NULL */
} hv_plugin_info;

/** A registered component. */
typedef struct hv_component {
    hv_component_desc desc;     /**< normalised copy (struct_size = the host's; strings live in the plugin) */
    const hv_plugin_info *plugin; /**< the plugin that provides it */
    struct hv_config_node *schema; /**< the parsed, checked param_schema, or NULL when it takes no params */
} hv_component;

/** A plugin file that was not loaded (or a component of a loaded plugin that was ignored). */
typedef struct hv_plugin_rejection {
    char *path;                 /**< the file */
    char *reason;               /**< why, for people ("ABI 2.0 is not this hemovk's ABI 1.x: rebuild...") */
    hv_status status;           /**< HV_ERR_ABI, HV_ERR_IO, HV_ERR_SCHEMA, ... (HV_OK for a shadowed duplicate) */
} hv_plugin_rejection;




/** Load every hemovk-*.so in `dir`, in name order. A missing folder is skipped (debug log). */
hv_status hv_registry_load_dir(hv_registry *reg, const char *dir);

/** Load one plugin file. Returns HV_OK when it loaded, else the rejection's status (the rejection is
 *  also recorded and logged). A file already loaded (same real path) is skipped with HV_OK. */
hv_status hv_registry_load_file(hv_registry *reg, const char *path);

/** Loaded plugins, in load order (the count: hemovk/registry.h). */
const hv_plugin_info *hv_registry_plugin(const hv_registry *reg, size_t i);

/** Registered components, in load order (the count: hemovk/registry.h). */
const hv_component *hv_registry_component(const hv_registry *reg, size_t i);

/** The component of `kind` named `name`, or NULL. */
const hv_component *hv_registry_find(const hv_registry *reg, hv_component_kind kind, const char *name);

/** Like hv_registry_find, but HV_ERR_NOT_FOUND with a message listing the components of that kind
 *  (and the rejected plugins, which are the usual reason) when there is none. */
hv_status hv_registry_lookup(const hv_registry *reg, hv_component_kind kind, const char *name, const hv_component **out);

/** Rejected plugin files and ignored duplicate components, in the order they were met. */
const hv_plugin_rejection *hv_plugin_rejections(const hv_registry *reg, size_t *count);

/** The host table this registry hands to plugins (find_component searches this registry). */
const hv_host_api *hv_registry_host(const hv_registry *reg);

/** The device plugins get from host->device() (NULL: none open). The registry does not own it. */
void hv_registry_set_device(hv_registry *reg, struct hv_device *device);

/* hv_registry_search_dir_count/_search_dir and hv_component_kind_name: hemovk/registry.h */

/** Parse a kind name (as hv_component_kind_name writes it). HV_ERR_NOT_FOUND for an unknown name. */
hv_status hv_component_kind_parse(const char *name, hv_component_kind *out);

/** The ABI check the loader runs on a descriptor, against the given host version (so tests can check
 *  the rules for versions this build is not): non-NULL, struct_size large enough to hold the version,
 *  same major, minor <= host minor, struct_size >= HV_PLUGIN_DESCRIPTOR_MIN_SIZE. On success copies the
 *  first min(struct_size, sizeof) bytes into *normalized (zero-filling the rest). HV_ERR_ABI with the
 *  reason otherwise. */
hv_status hv_plugin_check_descriptor(const hv_plugin_descriptor *desc, uint16_t host_major, uint16_t host_minor,
                                     hv_plugin_descriptor *normalized);

#endif
