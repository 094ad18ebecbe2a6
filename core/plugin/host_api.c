/* The host function table handed to plugins: thin wrappers over the library and the registry. */
#include "plugin/registry_internal.h"

#include "hemovk/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void host_log(hv_log_level level, const char *fmt, ...) {
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    hv_log(level, "%s", buf);
}

static hv_status host_error(hv_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    hv_status st = hv_verror(status, fmt, ap);
    va_end(ap);
    return st;
}

static struct hv_device *host_device(const hv_host_api *self) {
    return self ? hv_registry_of_host(self)->device : NULL;
}

static hv_status host_find_component(const hv_host_api *self, hv_component_kind kind, const char *name,
                                     hv_component_ref *out) {
    if (!self || !name || !out)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "find_component: self, name and out must not be NULL");
    const hv_component *c = NULL;
    hv_status st = hv_registry_lookup(hv_registry_of_host(self), kind, name, &c);
    if (st) return st;
    memset(out, 0, sizeof *out);
    out->struct_size = sizeof *out;
    out->desc = &c->desc;
    out->plugin_state = c->plugin->state;
    out->plugin_name = c->plugin->name;
    return HV_OK;
}

static size_t host_plugin_path_count(const hv_host_api *self) {
    if (!self) return 0;
    hv_registry *reg = hv_registry_of_host(self);
    if (hv_registry_prepare_search_dirs(reg)) return 0;
    return reg->n_search_dirs;
}

static const char *host_plugin_path(const hv_host_api *self, size_t i) {
    if (!self) return NULL;
    return hv_registry_search_dir(hv_registry_of_host(self), i);
}

void hv_host_api_fill(hv_host_api *host) {
    memset(host, 0, sizeof *host);
    host->struct_size = sizeof *host;
    host->abi_major = HV_ABI_MAJOR;
    host->abi_minor = HV_ABI_MINOR;
    host->host_version = HEMOVK_VERSION;
    host->log = host_log;
    host->error = host_error;
    host->last_error = hv_last_error;
    host->device = host_device;
    host->find_component = host_find_component;
    host->plugin_path_count = host_plugin_path_count;
    host->plugin_path = host_plugin_path;
}
