/* Where the shipped split file lives: splits/ in the source tree when this library runs from its build
 * tree (so an edited split is used at once), else share/hemovk/splits beside the installed library (a
 * relocated install), then the configured install folder — the same order as the schemas
 * (core/config/schema_find.c). */
#include "gt_internal.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef HEMOVK_SPLIT_SOURCE_DIR
#define HEMOVK_SPLIT_SOURCE_DIR ""
#endif
#ifndef HEMOVK_SPLIT_INSTALL_DIR
#define HEMOVK_SPLIT_INSTALL_DIR ""
#endif
#ifndef HEMOVK_BUILD_DIR
#define HEMOVK_BUILD_DIR ""
#endif

#define SPLIT_NAME "wcebleedgen.tsv"

static int try_dir(const char *dir, char *buf, size_t size) {
    if (!dir || !*dir) return 0;
    int n = snprintf(buf, size, "%s/%s", dir, SPLIT_NAME);
    return n > 0 && (size_t)n < size && ev_is_file(buf);
}

static char *library_dir(void) {
    Dl_info info;
    if (!dladdr((void *)library_dir, &info) || !info.dli_fname) return NULL;
    char *lib = realpath(info.dli_fname, NULL);
    char *slash = lib ? strrchr(lib, '/') : NULL;
    if (slash) *slash = '\0';
    else {
        free(lib);
        lib = NULL;
    }
    return lib;
}

hv_status hv_eval_split_default_path(char *buf, size_t size) {
    if (!buf || !size) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_eval_split_default_path: NULL argument");
    char *lib = library_dir();
    char *build = *HEMOVK_BUILD_DIR ? realpath(HEMOVK_BUILD_DIR, NULL) : NULL;
    size_t bl = build ? strlen(build) : 0;
    int in_build = lib && build && !strncmp(lib, build, bl) && (lib[bl] == '/' || !lib[bl]);
    free(build);
    char beside[4096] = "";
    if (lib) snprintf(beside, sizeof beside, "%s/../share/hemovk/splits", lib);
    free(lib);
    if (in_build && try_dir(HEMOVK_SPLIT_SOURCE_DIR, buf, size)) return HV_OK;
    if (try_dir(beside, buf, size) || try_dir(HEMOVK_SPLIT_INSTALL_DIR, buf, size) ||
        try_dir(HEMOVK_SPLIT_SOURCE_DIR, buf, size))
        return HV_OK;
    return hv_error(HV_ERR_NOT_FOUND, "no split file %s in '%s', '%s' or '%s'; give one with --split-file", SPLIT_NAME,
                    HEMOVK_SPLIT_SOURCE_DIR, beside, HEMOVK_SPLIT_INSTALL_DIR);
}
