/* Finding schemas/<name>.schema.{yaml,json}: in the source tree when this library runs from its build
 * tree (so `./build/hemovk validate` uses the schemas being edited); when installed, in
 * share/hemovk/schemas beside the library's folder (so a relocated install works), then the configured
 * ${datadir}/hemovk/schemas. $HEMOVK_SCHEMA_DIR overrides all of them. The folders come from compile definitions
 * (CMakeLists.txt); builds without them (an out-of-tree consumer) fall back to the environment. */
#include "hemovk/config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef HEMOVK_SCHEMA_SOURCE_DIR
#define HEMOVK_SCHEMA_SOURCE_DIR ""
#endif
#ifndef HEMOVK_SCHEMA_INSTALL_DIR
#define HEMOVK_SCHEMA_INSTALL_DIR ""
#endif
#ifndef HEMOVK_BUILD_DIR
#define HEMOVK_BUILD_DIR ""
#endif

static int try_dir(const char *dir, const char *name, char *buf, size_t size) {
    static const char *const exts[] = {"yaml", "yml", "json"};
    if (!dir || !*dir) return 0;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        struct stat sb;
        int n = snprintf(buf, size, "%s/%s.schema.%s", dir, name, exts[i]);
        if (n > 0 && (size_t)n < size && stat(buf, &sb) == 0 && S_ISREG(sb.st_mode)) return 1;
    }
    return 0;
}

/* <folder of this libhemovk>/../share/hemovk/schemas: right for an install moved or made with
 * `cmake --install --prefix` other than the configured one. */
static int relative_install_dir(char *buf, size_t size) {
    Dl_info info;
    if (!dladdr((void *)relative_install_dir, &info) || !info.dli_fname) return 0;
    char *lib = realpath(info.dli_fname, NULL);
    char *slash = lib ? strrchr(lib, '/') : NULL;
    int ok = 0;
    if (slash) {
        *slash = '\0';
        int n = snprintf(buf, size, "%s/../share/hemovk/schemas", lib);
        ok = n > 0 && (size_t)n < size;
    }
    free(lib);
    return ok;
}

/* Is this copy of libhemovk the one in the build tree? */
static int running_from_build_tree(void) {
    Dl_info info;
    if (!*HEMOVK_BUILD_DIR || !dladdr((void *)running_from_build_tree, &info) || !info.dli_fname) return 0;
    char *lib = realpath(info.dli_fname, NULL), *build = realpath(HEMOVK_BUILD_DIR, NULL);
    size_t n = build ? strlen(build) : 0;
    int inside = lib && build && !strncmp(lib, build, n) && lib[n] == '/';
    free(lib);
    free(build);
    return inside;
}

hv_status hv_schema_find(const char *name, char *buf, size_t size) {
    if (!name || !buf || !size) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_schema_find: NULL argument");
    const char *env = getenv("HEMOVK_SCHEMA_DIR");
    if (env && *env) {
        if (try_dir(env, name, buf, size)) return HV_OK;
        return hv_error(HV_ERR_NOT_FOUND, "schema '%s' not found: no %s.schema.yaml/.yml/.json in HEMOVK_SCHEMA_DIR=%s",
                        name, name, env);
    }
    const char *first = HEMOVK_SCHEMA_INSTALL_DIR, *second = HEMOVK_SCHEMA_SOURCE_DIR;
    int in_build = running_from_build_tree();
    if (in_build) first = HEMOVK_SCHEMA_SOURCE_DIR, second = HEMOVK_SCHEMA_INSTALL_DIR;
    char beside[4096];
    if (!in_build && relative_install_dir(beside, sizeof beside) && try_dir(beside, name, buf, size)) return HV_OK;
    if (try_dir(first, name, buf, size) || try_dir(second, name, buf, size)) return HV_OK;
    return hv_error(HV_ERR_NOT_FOUND,
                    "schema '%s' not found: no %s.schema.yaml/.yml/.json in '%s' or '%s'; set HEMOVK_SCHEMA_DIR to the "
                    "folder that holds it",
                    name, name, first, second);
}
