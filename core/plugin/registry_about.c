/* The SDK's read-only view of a registry (hemovk/registry.h): plain copies of what the internal
 * hv_plugin_info / hv_component hold, without the dlopen handle, plugin state or fini pointer a caller
 * must never touch. */
#include "plugin/registry.h"

hv_status hv_registry_plugin_about(const hv_registry *reg, size_t i, hv_plugin_about *out) {
    const hv_plugin_info *p = hv_registry_plugin(reg, i);
    if (!p || !out)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_registry_plugin_about: no plugin %zu (%zu loaded)", i,
                        hv_registry_plugin_count(reg));
    *out = (hv_plugin_about){.path = p->path, .name = p->name, .version = p->version,
                             .description = p->description ? p->description : "", .abi_major = p->abi_major,
                             .abi_minor = p->abi_minor, .n_components = p->n_components};
    return HV_OK;
}

hv_status hv_registry_component_about(const hv_registry *reg, size_t i, hv_component_about *out) {
    const hv_component *c = hv_registry_component(reg, i);
    if (!c || !out)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_registry_component_about: no component %zu (%zu registered)", i,
                        hv_registry_component_count(reg));
    size_t plugin = 0;
    while (plugin < hv_registry_plugin_count(reg) && hv_registry_plugin(reg, plugin) != c->plugin) plugin++;
    *out = (hv_component_about){.kind = (hv_component_kind)c->desc.kind, .name = c->desc.name,
                                .description = c->desc.description ? c->desc.description : "", .plugin = plugin,
                                .schema = c->schema};
    return HV_OK;
}

size_t hv_registry_rejection_count(const hv_registry *reg) {
    size_t n = 0;
    hv_plugin_rejections(reg, &n);
    return n;
}

hv_status hv_registry_rejection_about(const hv_registry *reg, size_t i, const char **path, const char **reason) {
    size_t n = 0;
    const hv_plugin_rejection *r = hv_plugin_rejections(reg, &n);
    if (i >= n) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_registry_rejection_about: no rejection %zu (%zu)", i, n);
    if (path) *path = r[i].path;
    if (reason) *reason = r[i].reason;
    return HV_OK;
}
