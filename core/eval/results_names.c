/* Matching frame paths (as a run's source listed them) to ground-truth file names (relative to the
 * dataset root): exact after stripping an explicit root, else the longest suffix of path components that
 * is a file_name. Longest first, so "x/bleeding/Images/img- (3).png" finds "bleeding/Images/img- (3).png"
 * even when a GT also had a bare "img- (3).png"; components, not characters, so "ximg- (3).png" never
 * matches "img- (3).png". */
#include "gt_internal.h"

#include <stdlib.h>
#include <string.h>

struct hv_eval_name_index {
    char **names;   /* normalised file_names, sorted */
    size_t *idx;    /* their image indices */
    size_t n;
    char *root;     /* normalised, or NULL */
};

/* Drop empty and "." components and a leading "./": "a//./b" → "a/b". Keeps ".." (a GT name never has
 * one, so a path with one simply does not match past it). */
static char *normalise(const char *p) {
    char *out = malloc(strlen(p) + 1);
    if (!out) return NULL;
    size_t k = 0;
    const char *s = p;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len && !(len == 1 && s[0] == '.')) {
            if (k) out[k++] = '/';
            memcpy(out + k, s, len);
            k += len;
        }
        s += len;
        if (*s == '/') s++;
    }
    out[k] = '\0';
    return out;
}

typedef struct entry {
    char *name;
    size_t idx;
} entry;

static int cmp_entry(const void *a, const void *b) {
    return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

hv_status hv_eval_name_index_create(const hv_eval_gt *gt, const char *root, hv_eval_name_index **out) {
    if (!gt || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_eval_name_index_create: NULL argument");
    *out = NULL;
    hv_eval_name_index *x = calloc(1, sizeof *x);
    size_t n = gt->n_images;
    entry *e = calloc(n ? n : 1, sizeof *e);
    if (!x || !e) goto oom;
    x->names = calloc(n ? n : 1, sizeof *x->names);
    x->idx = calloc(n ? n : 1, sizeof *x->idx);
    if (!x->names || !x->idx) goto oom;
    for (size_t i = 0; i < n; i++) {
        if (!(e[i].name = normalise(gt->images[i].file_name))) goto oom_entries;
        e[i].idx = i;
    }
    qsort(e, n, sizeof *e, cmp_entry);
    for (size_t i = 0; i < n; i++) {
        x->names[i] = e[i].name;
        x->idx[i] = e[i].idx;
    }
    x->n = n;
    free(e);
    e = NULL;
    if (root && *root && !(x->root = normalise(root))) goto oom;
    *out = x;
    return HV_OK;
oom_entries:
    for (size_t i = 0; i < n; i++) free(e[i].name);
oom:
    free(e);
    hv_eval_name_index_free(x);
    return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory indexing ground-truth file names");
}

static ptrdiff_t lookup(const hv_eval_name_index *x, const char *name) {
    size_t lo = 0, hi = x->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(x->names[mid], name);
        if (!c) return (ptrdiff_t)x->idx[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

ptrdiff_t hv_eval_name_index_find(const hv_eval_name_index *x, const char *path) {
    if (!x || !path) return -1;
    char *p = normalise(path);
    if (!p) return -1;
    ptrdiff_t found = -1;
    if (x->root) {
        size_t rl = strlen(x->root);
        /* an absolute root "/a" normalises to "a": compare without the leading '/' on both sides */
        const char *q = p, *r = x->root;
        if (!strncmp(q, r, rl) && q[rl] == '/') found = lookup(x, q + rl + 1);
        else if (!rl) found = lookup(x, q);
    } else {
        for (const char *s = p; s; s = strchr(s, '/') ? strchr(s, '/') + 1 : NULL)
            if ((found = lookup(x, s)) >= 0) break;
    }
    free(p);
    return found;
}

void hv_eval_name_index_free(hv_eval_name_index *x) {
    if (!x) return;
    for (size_t i = 0; x->names && i < x->n; i++) free(x->names[i]);
    free(x->names);
    free(x->idx);
    free(x->root);
    free(x);
}
