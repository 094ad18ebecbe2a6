/* The plugin loader: dlopen a hemovk-*.so, check its ABI before anything else, validate its components,
 * call its init, and register what it provides. Every failure becomes a recorded rejection, never a crash
 * of the host (a plugin that crashes inside its own code is beyond what a loader can prevent). */
#include "plugin/registry_internal.h"

#include "hemovk/config.h"
#include "hemovk/log.h"

#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The header's version and the build's must agree: plugins are built with the header, the library
 * (SOVERSION) with the CMake values. */
_Static_assert(HV_ABI_MAJOR == HEMOVK_ABI_MAJOR_BUILD, "HV_ABI_MAJOR differs from HEMOVK_ABI_MAJOR in CMakeLists.txt");
_Static_assert(HV_ABI_MINOR == HEMOVK_ABI_MINOR_BUILD, "HV_ABI_MINOR differs from HEMOVK_ABI_MINOR in CMakeLists.txt");

/* Limits that catch garbage descriptors before they are walked. */
#define MAX_COMPONENTS 4096u
#define MAX_STRUCT_SIZE 65536u
#define MAX_NAME 63u

/* Bytes of the descriptor needed to read the version fields. */
#define VERSION_END ((uint32_t)(offsetof(hv_plugin_descriptor, abi_minor) + sizeof(uint16_t)))

hv_status hv_plugin_check_descriptor(const hv_plugin_descriptor *desc, uint16_t host_major, uint16_t host_minor,
                                     hv_plugin_descriptor *normalized) {
    if (!desc) return hv_error(HV_ERR_ABI, "%s returned NULL", HV_PLUGIN_ENTRY_SYMBOL);
    uint32_t size = desc->struct_size;
    if (size < VERSION_END)
        return hv_error(HV_ERR_ABI, "descriptor struct_size %u is too small to hold an ABI version (need >= %u)",
                        size, HV_PLUGIN_DESCRIPTOR_MIN_SIZE);
    if (desc->abi_major != host_major)
        return hv_error(HV_ERR_ABI, "built for ABI %u.%u, but this hemovk has ABI %u.%u (the major version must match): "
                        "rebuild the plugin against this hemovk's SDK",
                        desc->abi_major, desc->abi_minor, host_major, host_minor);
    if (desc->abi_minor > host_minor)
        return hv_error(HV_ERR_ABI, "built for ABI %u.%u, newer than this hemovk's ABI %u.%u: update hemovk "
                        "or rebuild the plugin against this hemovk's SDK",
                        desc->abi_major, desc->abi_minor, host_major, host_minor);
    if (size < HV_PLUGIN_DESCRIPTOR_MIN_SIZE)
        return hv_error(HV_ERR_ABI, "descriptor struct_size %u is smaller than the ABI %u.0 descriptor (%u bytes): "
                        "the plugin was not built with hemovk/plugin.h",
                        size, host_major, HV_PLUGIN_DESCRIPTOR_MIN_SIZE);
    if (size > MAX_STRUCT_SIZE)
        return hv_error(HV_ERR_ABI, "descriptor struct_size %u is implausibly large", size);
    if (normalized) {
        memset(normalized, 0, sizeof *normalized);
        memcpy(normalized, desc, size < sizeof *normalized ? size : sizeof *normalized);
    }
    return HV_OK;
}

static int valid_name(const char *s) {
    if (!s || !*s || strlen(s) > MAX_NAME) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-')) return 0;
    return 1;
}

static int is_stage_kind(uint32_t kind) {
    return kind == HV_COMPONENT_STAGE || kind == HV_COMPONENT_SOURCE || kind == HV_COMPONENT_WRITER;
}

/* Check the kind-specific function table, reading only within vtable_size. */
static hv_status check_vtable(const hv_component_desc *c) {
    if (!c->vtable) return hv_error(HV_ERR_ABI, "component '%s' has no vtable", c->name);
    if (c->vtable_size < sizeof(uint32_t) || c->vtable_size > MAX_STRUCT_SIZE)
        return hv_error(HV_ERR_ABI, "component '%s': vtable_size %u is not plausible", c->name, c->vtable_size);
    if (!is_stage_kind(c->kind)) return HV_OK; /* the other kinds' tables are checked by their users */
    if (c->vtable_size < HV_STAGE_VTABLE_MIN_SIZE)
        return hv_error(HV_ERR_ABI, "component '%s': stage vtable_size %u is smaller than the ABI 1.0 stage vtable (%u bytes)",
                        c->name, c->vtable_size, HV_STAGE_VTABLE_MIN_SIZE);
    const hv_stage_vtable *vt = c->vtable;
    if (vt->struct_size < HV_STAGE_VTABLE_MIN_SIZE)
        return hv_error(HV_ERR_ABI, "component '%s': stage vtable struct_size %u is smaller than %u bytes",
                        c->name, vt->struct_size, HV_STAGE_VTABLE_MIN_SIZE);
    if (!vt->create || !vt->process || !vt->destroy)
        return hv_error(HV_ERR_ABI, "component '%s': the stage vtable needs create, process and destroy", c->name);
    return HV_OK;
}

/* A component being validated, before it is registered. */
typedef struct pending_component {
    hv_component_desc desc;
    hv_config_node *schema;
} pending_component;

static void free_pending(pending_component *p, uint32_t n) {
    for (uint32_t i = 0; p && i < n; i++) hv_config_free(p[i].schema);
    free(p);
}

/* Copy and check every component, reading each entry within its struct_size only. */
static hv_status read_components(const hv_plugin_descriptor *d, pending_component **out) {
    *out = NULL;
    if (d->n_components > MAX_COMPONENTS)
        return hv_error(HV_ERR_ABI, "n_components %u is implausibly large", d->n_components);
    if (d->n_components == 0) return HV_OK;
    if (!d->components) return hv_error(HV_ERR_ABI, "n_components is %u but components is NULL", d->n_components);
    uint32_t stride = d->components[0].struct_size;
    if (stride < HV_COMPONENT_DESC_MIN_SIZE || stride > MAX_STRUCT_SIZE)
        return hv_error(HV_ERR_ABI, "component struct_size %u is smaller than the ABI 1.0 component descriptor (%u bytes)",
                        stride, HV_COMPONENT_DESC_MIN_SIZE);
    pending_component *p = calloc(d->n_components, sizeof *p);
    if (!p) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory reading %u components", d->n_components);
    hv_status st = HV_OK;
    for (uint32_t i = 0; i < d->n_components && !st; i++) {
        const hv_component_desc *src = (const void *)((const char *)d->components + (size_t)i * stride);
        if (src->struct_size != stride) {
            st = hv_error(HV_ERR_ABI, "component %u has struct_size %u, component 0 has %u (all must be equal)", i,
                          src->struct_size, stride);
            break;
        }
        hv_component_desc *c = &p[i].desc;
        memcpy(c, src, stride < sizeof *c ? stride : sizeof *c);
        c->struct_size = sizeof *c;
        if (!valid_name(c->name)) {
            st = hv_error(HV_ERR_ABI, "component %u: name '%s' must be 1-%u characters of a-z 0-9 . _ -", i,
                          c->name ? c->name : "(null)", MAX_NAME);
            break;
        }
        if (c->kind < 1 || c->kind > HV_COMPONENT_KIND_LAST) {
            st = hv_error(HV_ERR_ABI, "component '%s': unknown kind %u (this hemovk knows 1-%u)", c->name, c->kind,
                          HV_COMPONENT_KIND_LAST);
            break;
        }
        for (uint32_t j = 0; j < i; j++) {
            if (p[j].desc.kind == c->kind && !strcmp(p[j].desc.name, c->name)) {
                st = hv_error(HV_ERR_ABI, "component %s '%s' is declared twice", hv_component_kind_name(c->kind), c->name);
                break;
            }
        }
        if (st || (st = check_vtable(c))) break;
        if (!c->description) c->description = "";
        if (c->param_schema) {
            char display[128];
            snprintf(display, sizeof display, "<%s param_schema>", c->name);
            st = hv_schema_load_string(c->param_schema, strlen(c->param_schema), display, &p[i].schema);
            if (st) st = hv_error_context(HV_ERR_SCHEMA, "component '%s' has an invalid param_schema", c->name);
        }
    }
    if (st) {
        free_pending(p, d->n_components);
        return st;
    }
    *out = p;
    return HV_OK;
}

static const hv_plugin_info *plugin_named(const hv_registry *reg, const char *name) {
    for (size_t i = 0; i < reg->n_plugins; i++)
        if (!strcmp(reg->plugins[i]->name, name)) return reg->plugins[i];
    return NULL;
}

static int already_loaded(const hv_registry *reg, const char *real) {
    for (size_t i = 0; i < reg->n_plugins; i++)
        if (!strcmp(reg->plugins[i]->path, real)) return 1;
    return 0;
}

/* Register the checked components of an initialised plugin; duplicates of earlier plugins are skipped. */
static hv_status register_components(hv_registry *reg, hv_plugin_info *plugin, pending_component *p, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        const hv_component *prev = hv_registry_find(reg, (hv_component_kind)p[i].desc.kind, p[i].desc.name);
        if (prev) {
            hv_registry_reject(reg, plugin->path, HV_ERR_INVALID_ARGUMENT,
                               "component %s '%s' is already provided by plugin '%s' (%s); this one is ignored",
                               hv_component_kind_name(p[i].desc.kind), p[i].desc.name, prev->plugin->name, prev->plugin->path);
            continue;
        }
        hv_component *c = calloc(1, sizeof *c);
        if (!c) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory registering component '%s'", p[i].desc.name);
        c->desc = p[i].desc;
        c->plugin = plugin;
        c->schema = p[i].schema;
        hv_status st = hv_registry_add_component(reg, c);
        if (st) {
            free(c);
            return st;
        }
        p[i].schema = NULL; /* owned by the registry now */
        plugin->n_components++;
    }
    return HV_OK;
}

static void free_plugin_info(hv_plugin_info *p) {
    if (!p) return;
    free(p->path);
    free(p->name);
    free(p->version);
    free(p->description);
    free(p);
}

hv_status hv_registry_load_file(hv_registry *reg, const char *path) {
    char real[PATH_MAX];
    if (!realpath(path, real)) {
        hv_registry_reject(reg, path, HV_ERR_IO, "cannot resolve the path");
        return HV_ERR_IO;
    }
    if (already_loaded(reg, real)) return HV_OK;

    dlerror();
    /* RTLD_NODELETE: dlclose (after fini, at hv_registry_free) keeps the plugin and the libraries it
     * pulled in mapped. Unmapping them gains little in a process that loads plugins once, and it turns
     * those libraries' process-lifetime state into unreachable memory: FFmpeg's dependency chain under
     * the video plugin (libgcrypt, libgomp, libpixman, ...) then read as leaks to LeakSanitizer, from an
     * "<unknown module>" no suppression can name. */
    void *handle = dlopen(real, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!handle) {
        const char *why = dlerror();
        hv_registry_reject(reg, real, HV_ERR_IO, "not a loadable shared object: %s", why ? why : "dlopen failed");
        return HV_ERR_IO;
    }
    hv_plugin_entry_fn entry = NULL;
    void *sym = dlsym(handle, HV_PLUGIN_ENTRY_SYMBOL);
    memcpy(&entry, &sym, sizeof entry); /* object pointer -> function pointer, as POSIX allows */
    if (!entry) {
        dlclose(handle);
        hv_registry_reject(reg, real, HV_ERR_ABI, "no entry symbol %s (declare it with HV_PLUGIN_ENTRY)",
                           HV_PLUGIN_ENTRY_SYMBOL);
        return HV_ERR_ABI;
    }

    /* Nothing but the entry runs until the version checks pass. */
    hv_plugin_descriptor d;
    hv_status st = hv_plugin_check_descriptor(entry(), HV_ABI_MAJOR, HV_ABI_MINOR, &d);
    if (!st && !valid_name(d.name))
        st = hv_error(HV_ERR_ABI, "plugin name '%s' must be 1-%u characters of a-z 0-9 . _ -", d.name ? d.name : "(null)",
                      MAX_NAME);
    if (st) {
        dlclose(handle);
        hv_registry_reject(reg, real, st, "%s", hv_last_error());
        return st;
    }
    const hv_plugin_info *same = plugin_named(reg, d.name);
    if (same) { /* e.g. the build tree's copy shadows an installed one: expected, so not a warning */
        /* d.name lives in the plugin: report before dlclose unmaps it */
        hv_registry_reject(reg, real, HV_OK, "plugin '%s' is already loaded from %s; this copy is ignored", d.name, same->path);
        dlclose(handle);
        return HV_OK;
    }
    pending_component *pending = NULL;
    if ((st = read_components(&d, &pending))) {
        dlclose(handle);
        hv_registry_reject(reg, real, st, "%s", hv_last_error());
        return st;
    }

    hv_plugin_info *info = calloc(1, sizeof *info);
    if (info) {
        info->path = hv_plugin_strdup(real);
        info->name = hv_plugin_strdup(d.name);
        info->version = hv_plugin_strdup(d.version ? d.version : "?");
        info->description = hv_plugin_strdup(d.description ? d.description : "");
    }
    if (!info || !info->path || !info->name || !info->version || !info->description) {
        free_plugin_info(info);
        free_pending(pending, d.n_components);
        dlclose(handle);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory loading plugin %s", real);
    }
    info->abi_major = d.abi_major;
    info->abi_minor = d.abi_minor;
    info->handle = handle;
    info->fini = d.fini;

    if (d.init) {
        hv_clear_error();
        st = d.init(&reg->host, &info->state);
        if (st) {
            const char *msg = hv_last_error();
            hv_registry_reject(reg, real, st, "init failed (%s): %s", hv_status_name(st),
                               msg && *msg ? msg : "the plugin gave no message");
            free_plugin_info(info);
            free_pending(pending, d.n_components);
            dlclose(handle);
            return st;
        }
    }
    if ((st = hv_registry_add_plugin(reg, info))) {
        if (info->fini) info->fini(info->state);
        free_plugin_info(info);
        free_pending(pending, d.n_components);
        dlclose(handle);
        return st;
    }
    st = register_components(reg, info, pending, d.n_components);
    free_pending(pending, d.n_components);
    if (!st)
        hv_log_debug("plugin '%s' %s (ABI %u.%u) loaded from %s with %u components", info->name, info->version,
                     info->abi_major, info->abi_minor, info->path, info->n_components);
    return st;
}

static int is_plugin_file_name(const char *name) {
    size_t n = strlen(name);
    return n > strlen("hemovk-.so") && !strncmp(name, "hemovk-", 7) && !strcmp(name + n - 3, ".so");
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

hv_status hv_registry_load_dir(hv_registry *reg, const char *dir) {
    DIR *d = opendir(dir);
    if (!d) {
        hv_log_debug("plugin folder %s: not readable, skipped", dir);
        return HV_OK;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    hv_status st = HV_OK;
    for (struct dirent *e; (e = readdir(d));) {
        if (!is_plugin_file_name(e->d_name)) continue;
        if (n == cap) {
            size_t c = cap ? cap * 2 : 16;
            char **p = realloc(names, c * sizeof *p);
            if (!p) {
                st = hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory listing %s", dir);
                break;
            }
            names = p;
            cap = c;
        }
        if (!(names[n] = hv_plugin_strdup(e->d_name))) {
            st = hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory listing %s", dir);
            break;
        }
        n++;
    }
    closedir(d);
    if (!st && n) qsort(names, n, sizeof *names, compare_names); /* names is NULL when n == 0 */
    for (size_t i = 0; i < n; i++) {
        if (!st) {
            char path[PATH_MAX];
            struct stat sb;
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
                hv_status one = hv_registry_load_file(reg, path);
                if (one == HV_ERR_OUT_OF_MEMORY) st = one; /* a bad plugin is recorded; only OOM stops us */
            }
        }
        free(names[i]);
    }
    free(names);
    return st;
}
