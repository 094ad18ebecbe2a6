/* Class and category lists of a ground-truth set, and the id → image look-up the readers share. */
#include "gt_internal.h"

#include <stdlib.h>
#include <string.h>

hv_status ev_gt_add_class(hv_eval_gt *gt, const char *name) {
    char **n = realloc(gt->class_names, (gt->n_classes + 1) * sizeof *n);
    if (!n) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory adding a class");
    gt->class_names = n;
    if (!(n[gt->n_classes] = ev_strdup(name))) return HV_ERR_OUT_OF_MEMORY;
    gt->n_classes++;
    return HV_OK;
}

hv_status ev_gt_add_category(hv_eval_gt *gt, int32_t id, const char *name) {
    int32_t *ids = realloc(gt->category_ids, (gt->n_categories + 1) * sizeof *ids);
    if (!ids) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory adding a category");
    gt->category_ids = ids;
    char **n = realloc(gt->category_names, (gt->n_categories + 1) * sizeof *n);
    if (!n) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory adding a category");
    gt->category_names = n;
    if (!(n[gt->n_categories] = ev_strdup(name))) return HV_ERR_OUT_OF_MEMORY;
    ids[gt->n_categories++] = id;
    return HV_OK;
}

hv_status ev_gt_default_classes(hv_eval_gt *gt) {
    hv_status st = ev_gt_add_class(gt, "bleeding");
    if (!st) st = ev_gt_add_class(gt, "non-bleeding");
    return st;
}

static int cmp_pair(const void *a, const void *b) {
    const ev_id_pair *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

hv_status ev_id_index_build(const hv_eval_gt *gt, ev_id_index *out) {
    memset(out, 0, sizeof *out);
    size_t n = gt->n_images;
    if (!(out->pairs = malloc((n ? n : 1) * sizeof *out->pairs)))
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory indexing image ids");
    for (size_t i = 0; i < n; i++) out->pairs[i] = (ev_id_pair){gt->images[i].id, i};
    qsort(out->pairs, n, sizeof *out->pairs, cmp_pair);
    out->n = n;
    return HV_OK;
}

ptrdiff_t ev_id_index_find(const ev_id_index *ix, int64_t id) {
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->pairs[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < ix->n && ix->pairs[lo].id == id ? (ptrdiff_t)ix->pairs[lo].idx : -1;
}

void ev_id_index_free(ev_id_index *ix) {
    if (!ix) return;
    free(ix->pairs);
    memset(ix, 0, sizeof *ix);
}
