/* The registry: lists of loaded plugins, their components and the rejected files; lookup; the search
 * path; unloading. Loading itself is in loader.c. */
#include "plugin/registry_internal.h"

#include "hemovk/config.h"
#include "hemovk/log.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *hv_plugin_strdup(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static const char *const k_kind_names[] = {
    [HV_COMPONENT_STAGE] = "stage",       [HV_COMPONENT_BACKBONE] = "backbone",
    [HV_COMPONENT_NECK] = "neck",         [HV_COMPONENT_HEAD] = "head",
    [HV_COMPONENT_WEIGHT_LOADER] = "weight_loader", [HV_COMPONENT_SOURCE] = "source",
    [HV_COMPONENT_WRITER] = "writer",
};

const char *hv_component_kind_name(uint32_t kind) {
    if (kind >= 1 && kind <= HV_COMPONENT_KIND_LAST) return k_kind_names[kind];
    return "unknown";
}

hv_status hv_component_kind_parse(const char *name, hv_component_kind *out) {
    for (uint32_t k = 1; name && k <= HV_COMPONENT_KIND_LAST; k++) {
        if (!strcmp(name, k_kind_names[k])) {
            *out = (hv_component_kind)k;
            return HV_OK;
        }
    }
    return hv_error(HV_ERR_NOT_FOUND,
                    "unknown component kind '%s' (expected stage, backbone, neck, head, weight_loader, source or writer)",
                    name ? name : "(null)");
}

hv_status hv_registry_create(hv_registry **out) {
    *out = NULL;
    hv_registry *reg = calloc(1, sizeof *reg);
    if (!reg) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory creating the plugin registry");
    hv_host_api_fill(&reg->host);
    *out = reg;
    return HV_OK;
}

void hv_registry_free(hv_registry *reg) {
    if (!reg) return;
    for (size_t i = 0; i < reg->n_components; i++) {
        hv_config_free(reg->components[i]->schema);
        free(reg->components[i]);
    }
    free(reg->components);
    /* Reverse load order: a plugin loaded later may use components of an earlier one. */
    for (size_t i = reg->n_plugins; i-- > 0;) {
        hv_plugin_info *p = reg->plugins[i];
        if (p->fini) p->fini(p->state);
        if (p->handle) dlclose(p->handle);
        free(p->path);
        free(p->name);
        free(p->version);
        free(p->description);
        free(p);
    }
    free(reg->plugins);
    for (size_t i = 0; i < reg->n_rejections; i++) {
        free(reg->rejections[i].path);
        free(reg->rejections[i].reason);
    }
    free(reg->rejections);
    for (size_t i = 0; i < reg->n_search_dirs; i++) free(reg->search_dirs[i]);
    free(reg->search_dirs);
    free(reg);
}

static int grow(void **array, size_t *cap, size_t n, size_t elem) {
    if (n < *cap) return 1;
    size_t c = *cap ? *cap * 2 : 8;
    void *p = realloc(*array, c * elem);
    if (!p) return 0;
    *array = p;
    *cap = c;
    return 1;
}

hv_status hv_registry_add_plugin(hv_registry *reg, hv_plugin_info *plugin) {
    if (!grow((void **)&reg->plugins, &reg->cap_plugins, reg->n_plugins, sizeof *reg->plugins))
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory registering plugin '%s'", plugin->name);
    reg->plugins[reg->n_plugins++] = plugin;
    return HV_OK;
}

hv_status hv_registry_add_component(hv_registry *reg, hv_component *component) {
    if (!grow((void **)&reg->components, &reg->cap_components, reg->n_components, sizeof *reg->components))
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory registering component '%s'", component->desc.name);
    reg->components[reg->n_components++] = component;
    return HV_OK;
}

void hv_registry_reject(hv_registry *reg, const char *path, hv_status status, const char *fmt, ...) {
    char reason[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (status == HV_OK)
        hv_log_info("plugin %s: %s", path, reason);
    else
        hv_log_warn("plugin %s rejected: %s", path, reason);
    if (!grow((void **)&reg->rejections, &reg->cap_rejections, reg->n_rejections, sizeof *reg->rejections))
        return; /* already logged; the list is best effort when memory is gone */
    hv_plugin_rejection *r = &reg->rejections[reg->n_rejections];
    r->path = hv_plugin_strdup(path);
    r->reason = hv_plugin_strdup(reason);
    r->status = status;
    if (r->path && r->reason) {
        reg->n_rejections++;
    } else {
        free(r->path);
        free(r->reason);
    }
}

size_t hv_registry_plugin_count(const hv_registry *reg) { return reg ? reg->n_plugins : 0; }

const hv_plugin_info *hv_registry_plugin(const hv_registry *reg, size_t i) {
    return reg && i < reg->n_plugins ? reg->plugins[i] : NULL;
}

size_t hv_registry_component_count(const hv_registry *reg) { return reg ? reg->n_components : 0; }

const hv_component *hv_registry_component(const hv_registry *reg, size_t i) {
    return reg && i < reg->n_components ? reg->components[i] : NULL;
}

const hv_component *hv_registry_find(const hv_registry *reg, hv_component_kind kind, const char *name) {
    if (!reg || !name) return NULL;
    for (size_t i = 0; i < reg->n_components; i++) {
        const hv_component *c = reg->components[i];
        if (c->desc.kind == (uint32_t)kind && !strcmp(c->desc.name, name)) return c;
    }
    return NULL;
}

hv_status hv_registry_lookup(const hv_registry *reg, hv_component_kind kind, const char *name, const hv_component **out) {
    *out = hv_registry_find(reg, kind, name);
    if (*out) return HV_OK;
    char known[1024] = "";
    size_t len = 0;
    for (size_t i = 0; reg && i < reg->n_components && len < sizeof known; i++) {
        const hv_component *c = reg->components[i];
        if (c->desc.kind != (uint32_t)kind) continue;
        len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", len ? ", " : "", c->desc.name);
    }
    /* With a plugin rejected (wrong ABI, failed to load), the component may well be in it: that is a
     * plugin error (exit 5) to fix there, not a typo in the pipeline (exit 3). */
    int rejected = reg && reg->n_rejections;
    return hv_error(rejected ? HV_ERR_ABI : HV_ERR_NOT_FOUND,
                    "no %s component named '%s' (loaded: %s); `hemovk plugins` lists components%s",
                    hv_component_kind_name(kind), name ? name : "(null)", len ? known : "none",
                    rejected ? " and the plugins that were rejected (the component may be in one of them)" : "");
}

const hv_plugin_rejection *hv_plugin_rejections(const hv_registry *reg, size_t *count) {
    if (count) *count = reg ? reg->n_rejections : 0;
    return reg ? reg->rejections : NULL;
}

const hv_host_api *hv_registry_host(const hv_registry *reg) { return reg ? &reg->host : NULL; }

void hv_registry_set_device(hv_registry *reg, struct hv_device *device) {
    if (reg) reg->device = device;
}

/* ---- search path -------------------------------------------------------------------------------- */

static hv_status add_search_dir(hv_registry *reg, const char *dir, size_t *cap) {
    if (!dir || !*dir) return HV_OK;
    char real[PATH_MAX];
    const char *key = realpath(dir, real) ? real : dir; /* a missing folder keeps its name */
    for (size_t i = 0; i < reg->n_search_dirs; i++)
        if (!strcmp(reg->search_dirs[i], key)) return HV_OK;
    if (!grow((void **)&reg->search_dirs, cap, reg->n_search_dirs, sizeof *reg->search_dirs))
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory building the plugin search path");
    if (!(reg->search_dirs[reg->n_search_dirs] = hv_plugin_strdup(key)))
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory building the plugin search path");
    reg->n_search_dirs++;
    return HV_OK;
}

/* The folder this libhemovk was loaded from (real path), or "" when unknown. */
static void library_dir(char *out, size_t size) {
    Dl_info info;
    char lib[PATH_MAX];
    out[0] = '\0';
    if (!dladdr((void *)&hv_registry_create, &info) || !info.dli_fname || !realpath(info.dli_fname, lib)) return;
    char *slash = strrchr(lib, '/');
    if (!slash) return;
    *slash = '\0';
    snprintf(out, size, "%s", lib);
}

hv_status hv_registry_prepare_search_dirs(hv_registry *reg) {
    if (reg->search_dirs_ready) return HV_OK;
    size_t cap = 0;
    const char *env = getenv("HEMOVK_PLUGIN_PATH");
    if (env) {
        char *copy = hv_plugin_strdup(env);
        if (!copy) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory reading HEMOVK_PLUGIN_PATH");
        char *save = NULL;
        hv_status st = HV_OK;
        for (char *d = strtok_r(copy, ":", &save); d && !st; d = strtok_r(NULL, ":", &save)) st = add_search_dir(reg, d, &cap);
        free(copy);
        if (st) return st;
    }
    /* Core running from the build tree (the build's libhemovk.so, or a white-box test linking core
     * statically in build/tests) uses the build's plugins/. Anything else — an installed libhemovk,
     * even one installed under the build folder as examples.out_of_tree does — looks in hemovk/plugins
     * beside itself (so `cmake --install --prefix ANY` works), then in the folder configured at build time. */
    char lib[PATH_MAX], build[PATH_MAX], tests[PATH_MAX + 8], beside[PATH_MAX + 32];
    library_dir(lib, sizeof lib);
    int in_build_tree = 0;
    if (lib[0] && realpath(HEMOVK_PLUGIN_BUILD_DIR "/..", build)) {
        snprintf(tests, sizeof tests, "%s/tests", build);
        in_build_tree = !strcmp(lib, build) || !strcmp(lib, tests);
    }
    hv_status st = HV_OK;
    if (in_build_tree) {
        st = add_search_dir(reg, HEMOVK_PLUGIN_BUILD_DIR, &cap);
    } else if (lib[0]) {
        snprintf(beside, sizeof beside, "%s/hemovk/plugins", lib);
        st = add_search_dir(reg, beside, &cap);
    }
    if (!st) st = add_search_dir(reg, HEMOVK_PLUGIN_INSTALL_DIR, &cap);
    if (st) return st;
    reg->search_dirs_ready = 1;
    return HV_OK;
}

size_t hv_registry_search_dir_count(const hv_registry *reg) {
    if (!reg || hv_registry_prepare_search_dirs((hv_registry *)reg)) return 0;
    return reg->n_search_dirs;
}

const char *hv_registry_search_dir(const hv_registry *reg, size_t i) {
    if (!reg || hv_registry_prepare_search_dirs((hv_registry *)reg)) return NULL;
    return i < reg->n_search_dirs ? reg->search_dirs[i] : NULL;
}

hv_status hv_registry_load_search_path(hv_registry *reg) {
    hv_status st = hv_registry_prepare_search_dirs(reg);
    for (size_t i = 0; !st && i < reg->n_search_dirs; i++) st = hv_registry_load_dir(reg, reg->search_dirs[i]);
    return st;
}
