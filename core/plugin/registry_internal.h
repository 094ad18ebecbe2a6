/* Layout of hv_registry, shared by the loader, the registry accessors and the host table. */
#ifndef HEMOVK_PLUGIN_REGISTRY_INTERNAL_H
#define HEMOVK_PLUGIN_REGISTRY_INTERNAL_H

#include "plugin/registry.h"

struct hv_registry {
    hv_host_api host;              /* first member: host functions get back to the registry from `self` */
    hv_plugin_info **plugins;      /* heap entries, so pointers handed out stay valid while loading more */
    size_t n_plugins, cap_plugins;
    hv_component **components;
    size_t n_components, cap_components;
    hv_plugin_rejection *rejections;
    size_t n_rejections, cap_rejections;
    char **search_dirs;            /* computed on first use */
    size_t n_search_dirs;
    int search_dirs_ready;
    struct hv_device *device;
};

/* The registry a host table belongs to. */
static inline hv_registry *hv_registry_of_host(const hv_host_api *host) {
    return (hv_registry *)(void *)host; /* host is the first member */
}

/* Fill the host table (host_api.c). */
void hv_host_api_fill(hv_host_api *host);

/* Record a rejection (or ignored duplicate) and log it: hv_log_warn, or info when status is HV_OK. */
void hv_registry_reject(hv_registry *reg, const char *path, hv_status status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Append to the lists; HV_ERR_OUT_OF_MEMORY on failure (ownership stays with the caller then). */
hv_status hv_registry_add_plugin(hv_registry *reg, hv_plugin_info *plugin);
hv_status hv_registry_add_component(hv_registry *reg, hv_component *component);

/* Compute the search folders if not done yet. */
hv_status hv_registry_prepare_search_dirs(hv_registry *reg);

/* strdup that returns NULL for NULL. */
char *hv_plugin_strdup(const char *s);

#endif
