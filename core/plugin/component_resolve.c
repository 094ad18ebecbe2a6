/* hv_component_resolve (hemovk/plugin.h): a stage's nested `{component, params}` block, looked up
 * through the host and validated against the component's own schema. */
#include "hemovk/config.h"
#include "hemovk/plugin.h"

#include <stdio.h>
#include <string.h>

hv_status hv_component_resolve(const hv_create_info *info, hv_component_kind kind, const hv_config_node *spec,
                         const char *key, uint32_t min_vtable, hv_component_ref *ref, hv_config_node **params) {
    *params = NULL;
    const hv_config_node *name_node = hv_config_get(spec, key);
    const char *name = hv_config_text(name_node);
    const char *what = kind == HV_COMPONENT_BACKBONE ? "backbone" : "weight loader";
    hv_status st = info->host->find_component(info->host, kind, name ? name : "", ref);
    if (st)
        return hv_error_context(st, "%s:%d:%d: %s: %s", hv_config_file(name_node), hv_config_line(name_node),
                                hv_config_column(name_node), info->instance_id, what);
    const uint32_t *vt = ref->desc->vtable;
    if (ref->desc->vtable_size < min_vtable || !vt || *vt < min_vtable)
        return hv_error(HV_ERR_ABI, "%s:%d:%d: %s: %s component '%s' (plugin %s) has a vtable of %u bytes, "
                                    "smaller than ABI 1.0's %u: rebuild that plugin against this hemovk",
                        hv_config_file(name_node), hv_config_line(name_node), hv_config_column(name_node),
                        info->instance_id, what, name, ref->plugin_name, ref->desc->vtable_size, min_vtable);
    const hv_config_node *given = hv_config_get(spec, "params");
    if (given)
        st = hv_config_clone(given, params);
    else {
        char display[300];
        snprintf(display, sizeof display, "%s:%d (%s '%s', no params given)", hv_config_file(spec), hv_config_line(spec),
                 what, name);
        st = hv_config_load_string("{}", 2, display, params);
    }
    if (st) return st;
    if (ref->desc->param_schema) {
        hv_config_node *schema = NULL;
        st = hv_schema_load_string(ref->desc->param_schema, strlen(ref->desc->param_schema), name, &schema);
        if (!st) st = hv_schema_validate(schema, *params, NULL);
        hv_config_free(schema);
        if (st) return hv_error_context(st, "%s: params of %s '%s'", info->instance_id, what, name);
    }
    return HV_OK;
}

