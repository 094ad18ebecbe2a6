/* The disagreements list of the ground-truth readers (hemovk/eval.h): appended to while reading, never
 * a reason to stop. */
#include "gt_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const k_names[HV_EVAL_WARN_KIND_COUNT] = {
    "component_without_box", "box_without_component", "mask_size",
    "xml_txt",               "missing_file",          "small_component",
};

const char *hv_eval_warning_kind_name(hv_eval_warning_kind kind) {
    return (unsigned)kind < HV_EVAL_WARN_KIND_COUNT ? k_names[kind] : "unknown";
}

size_t hv_eval_warnings_count(const hv_eval_warnings *w, hv_eval_warning_kind kind) {
    size_t n = 0;
    for (size_t i = 0; w && i < w->n; i++) n += w->items[i].kind == kind;
    return n;
}

void hv_eval_warnings_free(hv_eval_warnings *w) {
    if (!w) return;
    for (size_t i = 0; w->items && i < w->n; i++) {
        free(w->items[i].file_name);
        free(w->items[i].detail);
    }
    free(w->items);
    memset(w, 0, sizeof *w);
}

hv_status ev_warn(hv_eval_warnings *w, hv_eval_warning_kind kind, const char *file_name, const char *fmt, ...) {
    if (!w) return HV_OK;
    if (ev_grow((void **)&w->items, &w->cap, w->n + 1, sizeof *w->items))
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory recording a ground-truth warning");
    va_list ap;
    va_start(ap, fmt);
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    hv_eval_warning *e = &w->items[w->n];
    e->kind = kind;
    e->file_name = strdup(file_name ? file_name : "");
    e->detail = strdup(buf);
    if (!e->file_name || !e->detail) {
        free(e->file_name);
        free(e->detail);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory recording a ground-truth warning");
    }
    w->n++;
    return HV_OK;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

hv_status hv_eval_warnings_restrict(hv_eval_warnings *w, const hv_eval_gt *gt) {
    if (!w || !w->n) return HV_OK;
    if (!gt) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_eval_warnings_restrict: NULL ground truth");
    const char **names = malloc((gt->n_images ? gt->n_images : 1) * sizeof *names);
    if (!names) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; i < gt->n_images; i++) names[i] = gt->images[i].file_name;
    qsort(names, gt->n_images, sizeof *names, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < w->n; i++) {
        const char *key = w->items[i].file_name;
        if (bsearch(&key, names, gt->n_images, sizeof *names, cmp_str)) {
            w->items[k++] = w->items[i];
        } else {
            free(w->items[i].file_name);
            free(w->items[i].detail);
        }
    }
    w->n = k;
    free(names);
    return HV_OK;
}
