/* The split file (splits/wcebleedgen.tsv, written by tools/data/make_split.py) and filtering a ground
 * truth to one of its splits. Every frame must be accounted for: a GT frame the file does not list, or a
 * frame of the chosen split the GT lacks, means the file and the data are not the same release, and
 * scoring on a silently different subset would give numbers nobody can compare. */
#include "gt_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPLIT_HEADER "split\tclass\tpath\tsha256"

void hv_eval_split_free(hv_eval_split *s) {
    if (!s) return;
    for (size_t i = 0; s->entries && i < s->n; i++) {
        free(s->entries[i].split);
        free(s->entries[i].class_name);
        free(s->entries[i].path);
        free(s->entries[i].sha256);
    }
    free(s->entries);
    free(s->source);
    memset(s, 0, sizeof *s);
}

static int cmp_path(const void *a, const void *b) {
    return strcmp(((const hv_eval_split_entry *)a)->path, ((const hv_eval_split_entry *)b)->path);
}

static hv_status parse_line(char *line, const char *path, size_t lineno, hv_eval_split_entry *e) {
    char *f[4];
    int k = 0;
    char *s = line;
    for (; k < 4; k++) {
        f[k] = s;
        char *tab = strchr(s, '\t');
        if (k < 3) {
            if (!tab) break;
            *tab = '\0';
            s = tab + 1;
        } else if (tab) {
            k = 5;
            break;
        }
    }
    if (k != 4 || !*f[0] || !*f[2])
        return hv_error(HV_ERR_PARSE, "%s:%zu: expected 4 tab-separated fields: split, class, path, sha256", path, lineno);
    e->split = strdup(f[0]);
    e->class_name = strdup(f[1]);
    e->path = strdup(f[2]);
    e->sha256 = strdup(f[3]);
    if (!e->split || !e->class_name || !e->path || !e->sha256) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    return HV_OK;
}

hv_status hv_eval_split_read(const char *path, hv_eval_split *out) {
    if (!path || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_eval_split_read: NULL argument");
    memset(out, 0, sizeof *out);
    char *text = NULL;
    hv_status st = ev_read_text(path, "split file", &text, NULL);
    if (st) return st;
    size_t cap = 0, lineno = 0;
    char *save = text;
    if (!(out->source = ev_strdup(path))) st = HV_ERR_OUT_OF_MEMORY;
    while (!st && save && *save) {
        char *line = save, *nl = strchr(save, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl) *nl = '\0';
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r') line[--len] = '\0';
        lineno++;
        if (lineno == 1) {
            if (strcmp(line, SPLIT_HEADER))
                st = hv_error(HV_ERR_PARSE, "%s:1: header must be 'split<TAB>class<TAB>path<TAB>sha256'", path);
            continue;
        }
        if (!len) continue;
        if (ev_grow((void **)&out->entries, &cap, out->n + 1, sizeof *out->entries)) {
            st = hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
            break;
        }
        hv_eval_split_entry *e = &out->entries[out->n];
        memset(e, 0, sizeof *e);
        out->n++;
        st = parse_line(line, path, lineno, e);
    }
    free(text);
    if (!st && !out->n) st = hv_error(HV_ERR_PARSE, "%s: no entries", path);
    if (!st) {
        /* sorted by path (as make_split.py writes it, but do not rely on that) for the duplicate check */
        qsort(out->entries, out->n, sizeof *out->entries, cmp_path);
        for (size_t i = 1; !st && i < out->n; i++)
            if (!strcmp(out->entries[i].path, out->entries[i - 1].path))
                st = hv_error(HV_ERR_PARSE, "%s: '%s' listed twice", path, out->entries[i].path);
    }
    if (st) hv_eval_split_free(out);
    return st;
}

/* A message naming up to 5 of `names` and the count. */
static hv_status fail_names(hv_status code, const char **names, size_t n, const char *what) {
    char *list = ev_list_names(names, n, 5);
    hv_status st = hv_error(code, "%zu %s: %s", n, what, list ? list : "?");
    free(list);
    return st;
}

static hv_status verify(const hv_eval_gt *gt, const hv_eval_split *split, const ptrdiff_t *entry_of, const uint8_t *keep,
                        const char *root) {
    const char **bad = malloc((gt->n_images ? gt->n_images : 1) * sizeof *bad);
    if (!bad) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory verifying frames");
    size_t nb = 0;
    hv_status st = HV_OK;
    for (size_t i = 0; !st && i < gt->n_images; i++) {
        if (!keep[i]) continue;
        char *p = ev_printf("%s/%s", root, gt->images[i].file_name);
        char hex[65];
        if (!p) st = hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory verifying frames");
        else if ((st = hv_eval_sha256_file(p, hex))) st = hv_error_context(st, "--verify");
        else if (strcmp(hex, split->entries[entry_of[i]].sha256)) bad[nb++] = gt->images[i].file_name;
        free(p);
    }
    if (!st && nb) {
        char what[4200];
        snprintf(what, sizeof what, "frames differ from the sha256 the split file %s gives (not the same release?)",
                 split->source ? split->source : "");
        st = fail_names(HV_ERR_SCHEMA, bad, nb, what);
    }
    free(bad);
    return st;
}

hv_status hv_eval_gt_apply_split(hv_eval_gt *gt, const hv_eval_split *split, const char *name, const char *verify_root) {
    if (!gt || !split || !name) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_eval_gt_apply_split: NULL argument");
    int known = 0;
    for (size_t i = 0; i < split->n && !known; i++) known = !strcmp(split->entries[i].split, name);
    if (!known)
        return hv_error(HV_ERR_NOT_FOUND, "split '%s': no frame of %s is in it (the file has e.g. '%s')", name,
                        split->source ? split->source : "the split file", split->n ? split->entries[0].split : "");
    /* index the split's paths with the same suffix matcher as results: a shallow GT of its paths */
    hv_eval_gt paths = {0};
    hv_eval_name_index *ix = NULL;
    ptrdiff_t *entry_of = malloc((gt->n_images ? gt->n_images : 1) * sizeof *entry_of);
    uint8_t *keep = calloc(gt->n_images ? gt->n_images : 1, 1), *used = calloc(split->n, 1);
    const char **names = malloc((gt->n_images + split->n + 1) * sizeof *names);
    paths.images = calloc(split->n, sizeof *paths.images);
    hv_status st = HV_OK;
    if (!entry_of || !keep || !used || !names || !paths.images) {
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory applying the split");
        goto done;
    }
    for (size_t i = 0; i < split->n; i++) paths.images[i].file_name = split->entries[i].path;
    paths.n_images = split->n;
    if ((st = hv_eval_name_index_create(&paths, NULL, &ix))) goto done;
    size_t nn = 0;
    for (size_t i = 0; i < gt->n_images; i++) {
        entry_of[i] = hv_eval_name_index_find(ix, gt->images[i].file_name);
        if (entry_of[i] < 0) names[nn++] = gt->images[i].file_name;
        else {
            used[entry_of[i]] = 1;
            keep[i] = !strcmp(split->entries[entry_of[i]].split, name);
        }
    }
    if (nn) {
        char what[4200];
        snprintf(what, sizeof what, "ground-truth frames are not in the split file %s (another release?)",
                 split->source ? split->source : "");
        st = fail_names(HV_ERR_SCHEMA, names, nn, what);
        goto done;
    }
    for (size_t i = 0; i < split->n; i++)
        if (!used[i] && !strcmp(split->entries[i].split, name)) names[nn++] = split->entries[i].path;
    if (nn) {
        char what[4200];
        snprintf(what, sizeof what, "frames of split '%s' are missing from the ground truth %s", name,
                 gt->source ? gt->source : "");
        st = fail_names(HV_ERR_NOT_FOUND, names, nn, what);
        goto done;
    }
    if (verify_root && (st = verify(gt, split, entry_of, keep, verify_root))) goto done;
    st = hv_eval_gt_filter(gt, keep);
done:
    hv_eval_name_index_free(ix);
    free(paths.images);
    free(entry_of);
    free(keep);
    free(used);
    free(names);
    return st;
}
