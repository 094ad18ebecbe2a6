/* hv_eval_results_read (a run folder or a results file), restricting results to a filtered ground truth,
 * the coverage check, and the name lists the results errors print. */
#include "results_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

hv_status ev_namelist_add(ev_namelist *l, const char *name) {
    if (l->n < 5 && !(l->names[l->n] = ev_strdup(name))) return HV_ERR_OUT_OF_MEMORY;
    l->n++;
    return HV_OK;
}

char *ev_namelist_text(const ev_namelist *l) {
    return ev_list_names((const char *const *)l->names, l->n, 5);
}

void ev_namelist_free(ev_namelist *l) {
    for (size_t i = 0; i < 5 && i < l->n; i++) free(l->names[i]);
    memset(l, 0, sizeof *l);
}

static int ends_with(const char *s, const char *sfx) {
    size_t n = strlen(s), k = strlen(sfx);
    return n >= k && !strcmp(s + n - k, sfx);
}

hv_status hv_eval_results_read(const char *path, const hv_eval_gt *gt, const hv_eval_results_options *options,
                               hv_eval_results *out) {
    if (!path || !gt || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_eval_results_read: NULL argument");
    memset(out, 0, sizeof *out);
    if (ev_is_dir(path)) {
        char *p = ev_printf("%s/results.jsonl", path);
        if (!p) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
        hv_status st = ev_is_file(p) ? hv_eval_results_read_jsonl(p, gt, options, out)
                                     : hv_error(HV_ERR_NOT_FOUND,
                                                "results %s: no results.jsonl in it (an output folder of `hemovk run` with "
                                                "a writer.jsonl output; or give a results file)", path);
        free(p);
        return st;
    }
    if (!ev_is_file(path)) return hv_error(HV_ERR_NOT_FOUND, "results %s: no such file or folder", path);
    if (ends_with(path, ".jsonl")) return hv_eval_results_read_jsonl(path, gt, options, out);
    if (ends_with(path, ".json")) return hv_eval_results_read_coco(path, gt, options, out);
    /* another name: a COCO list starts with '[', a JSONL line with '{' */
    FILE *f = fopen(path, "rb");
    int c = EOF;
    if (f) {
        do c = fgetc(f);
        while (c == ' ' || c == '\n' || c == '\r' || c == '\t');
        fclose(f);
    }
    if (c == '[') return hv_eval_results_read_coco(path, gt, options, out);
    return hv_eval_results_read_jsonl(path, gt, options, out);
}

hv_status hv_eval_results_restrict(hv_eval_results *res, const hv_eval_gt *gt) {
    if (!res || !gt) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_eval_results_restrict: NULL argument");
    ev_id_index ix;
    hv_status st = ev_id_index_build(gt, &ix);
    if (st) return st;
    size_t k = 0;
    for (size_t i = 0; i < res->n_dets; i++) {
        if (ev_id_index_find(&ix, res->dets[i].image_id) >= 0) res->dets[k++] = res->dets[i];
        else hv_rle_free(&res->dets[i].segm);
    }
    res->n_dets = k;
    k = 0;
    for (size_t i = 0; i < res->n_cls; i++) {
        if (ev_id_index_find(&ix, res->cls[i].image_id) >= 0) res->cls[k++] = res->cls[i];
        else free(res->cls[i].probs);
    }
    res->n_cls = k;
    ev_id_index_free(&ix);
    return HV_OK;
}

hv_status hv_eval_results_check_coverage(const hv_eval_results *res, const hv_eval_gt *gt) {
    if (!res || !gt) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_eval_results_check_coverage: NULL argument");
    if (!res->n_cls) return HV_OK;
    ev_id_index ix;
    hv_status st = ev_id_index_build(gt, &ix);
    if (st) return st;
    uint8_t *seen = calloc(gt->n_images ? gt->n_images : 1, 1);
    if (!seen) {
        ev_id_index_free(&ix);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    }
    for (size_t i = 0; i < res->n_cls; i++) {
        ptrdiff_t k = ev_id_index_find(&ix, res->cls[i].image_id);
        if (k >= 0) seen[k] = 1;
    }
    ev_namelist missing = {0};
    for (size_t i = 0; !st && i < gt->n_images; i++)
        if (!seen[i]) st = ev_namelist_add(&missing, gt->images[i].file_name);
    if (!st && missing.n) {
        char *list = ev_namelist_text(&missing);
        st = hv_error(HV_ERR_NOT_FOUND, "%zu of the %zu ground-truth frames have no result in %s: %s (run on every frame "
                      "of the split, or give --split to score a subset)", missing.n, gt->n_images,
                      res->source ? res->source : "the results", list ? list : "?");
        free(list);
    }
    ev_namelist_free(&missing);
    free(seen);
    ev_id_index_free(&ix);
    return st;
}
