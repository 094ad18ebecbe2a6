/* Writing report files whole: a temporary name, then a rename, so an interrupted `hemovk eval` never
 * leaves a truncated metrics.json that looks complete. */
#include "hemovk/eval_report.h"

#include "hemovk/image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

hv_status hv_eval_write_text(const char *path, const char *text) {
    if (!path || !text) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_eval_write_text: NULL argument");
    hv_status st = hv_mkdirs_for(path);
    if (st) return st;
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory writing %s", path);
    snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        st = hv_error(HV_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
    } else {
        size_t len = strlen(text);
        int bad = fwrite(text, 1, len, f) != len;
        bad |= fclose(f) != 0;
        if (bad) st = hv_error(HV_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
        else if (rename(tmp, path)) st = hv_error(HV_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        if (st) remove(tmp);
    }
    free(tmp);
    return st;
}
