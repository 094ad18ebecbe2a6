/* Finding schemas/<name>.schema.{yaml,json}: in the source tree when this library runs from its build
 * tree (so `./build/hemovk validate` uses the schemas being edited), in ${datadir}/hemovk/schemas when
 * installed; $HEMOVK_SCHEMA_DIR overrides both. The folders come from compile definitions
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
    if (running_from_build_tree()) first = HEMOVK_SCHEMA_SOURCE_DIR, second = HEMOVK_SCHEMA_INSTALL_DIR;
    if (try_dir(first, name, buf, size) || try_dir(second, name, buf, size)) return HV_OK;
    return hv_error(HV_ERR_NOT_FOUND,
                    "schema '%s' not found: no %s.schema.yaml/.yml/.json in '%s' or '%s'; set HEMOVK_SCHEMA_DIR to the "
                    "folder that holds it",
                    name, name, first, second);
}
