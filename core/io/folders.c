/* Output folders (hemovk/image.h): mkdir -p for writers and the scheduler. */
#include "hemovk/image.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

hv_status hv_mkdirs(const char *dir) {
    if (!dir || !*dir) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_mkdirs: no folder name");
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s", dir);
    if (n <= 0 || (size_t)n >= sizeof tmp) return hv_error(HV_ERR_INVALID_ARGUMENT, "folder name too long: %s", dir);
    for (char *s = tmp + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return hv_error(HV_ERR_IO, "cannot create folder %s: %s", tmp, strerror(errno));
        *s = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return hv_error(HV_ERR_IO, "cannot create folder %s: %s", tmp, strerror(errno));
    struct stat sb;
    if (stat(tmp, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return hv_error(HV_ERR_IO, "%s exists and is not a folder: pick another output path", tmp);
    return HV_OK;
}

hv_status hv_mkdirs_for(const char *path) {
    if (!path) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_mkdirs_for: no path");
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return HV_OK;
    char dir[4096];
    size_t n = (size_t)(slash - path);
    if (n >= sizeof dir) return hv_error(HV_ERR_INVALID_ARGUMENT, "path too long: %s", path);
    memcpy(dir, path, n);
    dir[n] = '\0';
    return hv_mkdirs(dir);
}
