/* --resume: read the JSONL an earlier (possibly killed) run wrote, cut a torn last line, and collect
 * the paths of the frames it finished. */
#include "pipeline/resume.h"

#include "hemovk/log.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static hv_status grow(pl_path_set *set) {
    size_t cap = set->cap ? set->cap * 2 : 1024;
    char **slots = calloc(cap, sizeof *slots);
    if (!slots) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory for the resume set");
    for (size_t i = 0; i < set->cap; i++) {
        if (!set->slots[i]) continue;
        size_t j = fnv1a(set->slots[i]) & (cap - 1);
        while (slots[j]) j = (j + 1) & (cap - 1);
        slots[j] = set->slots[i];
    }
    free(set->slots);
    set->slots = slots;
    set->cap = cap;
    return HV_OK;
}

hv_status pl_path_set_add(pl_path_set *set, const char *path) {
    if (pl_path_set_has(set, path)) return HV_OK;
    if ((set->count + 1) * 2 > set->cap) {
        hv_status st = grow(set);
        if (st) return st;
    }
    size_t j = fnv1a(path) & (set->cap - 1);
    while (set->slots[j]) j = (j + 1) & (set->cap - 1);
    if (!(set->slots[j] = strdup(path))) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory for the resume set");
    set->count++;
    return HV_OK;
}

int pl_path_set_has(const pl_path_set *set, const char *path) {
    if (!set->cap) return 0;
    for (size_t j = fnv1a(path) & (set->cap - 1); set->slots[j]; j = (j + 1) & (set->cap - 1))
        if (!strcmp(set->slots[j], path)) return 1;
    return 0;
}

void pl_path_set_free(pl_path_set *set) {
    for (size_t i = 0; i < set->cap; i++) free(set->slots[i]);
    free(set->slots);
    memset(set, 0, sizeof *set);
}

/* Add the frame of one JSONL record to `done` — its "key", or its "path" for a record written before
 * keys existed; 0 when the line is not a record. */
static int record_path(const char *line, pl_path_set *done, hv_status *st) {
    cJSON *obj = cJSON_Parse(line);
    const cJSON *p = obj ? cJSON_GetObjectItemCaseSensitive(obj, "key") : NULL;
    if (!cJSON_IsString(p) && obj) p = cJSON_GetObjectItemCaseSensitive(obj, "path");
    int ok = cJSON_IsString(p) && p->valuestring;
    if (ok) *st = pl_path_set_add(done, p->valuestring);
    cJSON_Delete(obj);
    return ok;
}

hv_status pl_resume_scan(const char *path, pl_path_set *done, int *torn) {
    *torn = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) return HV_OK;
        return hv_error(HV_ERR_IO, "--resume: cannot read %s: %s", path, strerror(errno));
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long good_end = 0; /* offset just past the last complete, valid line */
    long lineno = 0;
    hv_status st = HV_OK;
    int last_bad = 0;
    long bad_line = 0;
    while (!st && (len = getline(&line, &cap, f)) > 0) {
        lineno++;
        int complete = line[len - 1] == '\n';
        if (complete) line[len - 1] = '\0';
        int blank = line[strspn(line, " \t\r")] == '\0';
        if (complete && (blank || record_path(line, done, &st))) {
            good_end = ftell(f);
            last_bad = 0;
            continue;
        }
        if (!complete) {
            last_bad = 1;
            bad_line = lineno;
            break;
        }
        /* A complete line that is not a record: a torn write if it turns out to be the last one. */
        if (last_bad)
            hv_log_warn("%s:%ld: not a JSON record, ignored (that frame is done again)", path, bad_line);
        last_bad = 1;
        bad_line = lineno;
        good_end = ftell(f); /* keep it unless it is the last line */
    }
    free(line);
    fclose(f);
    if (st) return st;
    if (last_bad) {
        /* Cut from the start of the bad last line: re-read to find where it begins. */
        f = fopen(path, "rb");
        long start = 0, n = 0;
        char *l = NULL;
        size_t c = 0;
        while (f && n + 1 < bad_line && getline(&l, &c, f) > 0) n++;
        if (f) start = ftell(f);
        free(l);
        if (f) fclose(f);
        if (truncate(path, start) != 0)
            return hv_error(HV_ERR_IO, "--resume: cannot cut the torn last line of %s: %s", path, strerror(errno));
        hv_log_warn("%s:%ld: the last line was cut short (the run was killed while writing it): removed, that frame is done again",
                    path, bad_line);
        *torn = 1;
        (void)good_end;
    }
    return HV_OK;
}
