/* Small helpers of the pipeline code: folders, clocks. */
#include "pipeline/pipeline_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

hv_status pl_mkdirs(const char *dir) {
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s", dir);
    if (n <= 0 || (size_t)n >= sizeof tmp) return hv_error(HV_ERR_INVALID_ARGUMENT, "output folder name too long: %s", dir);
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
        return hv_error(HV_ERR_IO, "%s exists and is not a folder: pick another --output", tmp);
    return HV_OK;
}

double pl_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
