/* Which class each position of a results.jsonl "probs" array is. The writer records the predicted label's
 * name and index per frame but not the pipeline's label list, and summary.json does not record it either,
 * so the order is taken from --labels, else read off the (index, label) pairs the frames carry: with two
 * classes a run that ever predicts one of them pins both. */
#include "results_internal.h"

#include <stdlib.h>
#include <string.h>

void ev_labels_free(ev_labels *l) {
    if (!l) return;
    for (size_t i = 0; l->names && i < l->n; i++) free(l->names[i]);
    free(l->names);
    free(l->line);
    memset(l, 0, sizeof *l);
}

static hv_status ensure(ev_labels *l, size_t n) {
    if (n <= l->n) return HV_OK;
    char **names = realloc(l->names, n * sizeof *names);
    if (!names) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    l->names = names;
    size_t *line = realloc(l->line, n * sizeof *line);
    if (!line) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    l->line = line;
    for (size_t i = l->n; i < n; i++) {
        names[i] = NULL;
        line[i] = 0;
    }
    l->n = n;
    return HV_OK;
}

hv_status ev_labels_note(ev_labels *l, const char *path, size_t lineno, int32_t index, const char *name,
                         size_t n_probs) {
    hv_status st = ensure(l, (size_t)index + 1 > n_probs ? (size_t)index + 1 : n_probs);
    if (st) return st;
    if (!l->names[index]) {
        if (!(l->names[index] = ev_strdup(name))) return HV_ERR_OUT_OF_MEMORY;
        l->line[index] = lineno;
    } else if (strcmp(l->names[index], name)) {
        return hv_error(HV_ERR_SCHEMA, "%s:%zu: class index %d is '%s' here but '%s' on line %zu", path, lineno,
                        (int)index, name, l->names[index], l->line[index]);
    }
    return HV_OK;
}

static int gt_class(const hv_eval_gt *gt, const char *name) {
    for (size_t k = 0; k < gt->n_classes; k++)
        if (!strcmp(gt->class_names[k], name)) return (int)k;
    return -1;
}

hv_status ev_labels_resolve(ev_labels *l, const char *given, const hv_eval_gt *gt, const char *path, int need_order,
                            int32_t **gt_of_run) {
    *gt_of_run = NULL;
    hv_status st = HV_OK;
    if (given && *given) {
        /* --labels: the order the user states; the frames' own pairs must agree with it */
        char *copy = ev_strdup(given), *save = NULL;
        if (!copy) return HV_ERR_OUT_OF_MEMORY;
        size_t k = 0;
        for (char *t = strtok_r(copy, ",", &save); !st && t; t = strtok_r(NULL, ",", &save), k++) {
            while (*t == ' ') t++;
            if ((st = ensure(l, k + 1))) break;
            if (l->names[k] && strcmp(l->names[k], t))
                st = hv_error(HV_ERR_SCHEMA, "%s:%zu: class index %zu is '%s' but --labels says '%s'", path, l->line[k], k,
                              l->names[k], t);
            else if (!l->names[k] && !(l->names[k] = ev_strdup(t)))
                st = HV_ERR_OUT_OF_MEMORY;
        }
        free(copy);
        if (!st && k < l->n)
            st = hv_error(HV_ERR_SCHEMA, "--labels names %zu classes, the results have %zu probabilities per frame", k, l->n);
        if (st) return st;
    }
    /* one unnamed index and one GT class no index names: they are each other */
    size_t unnamed = 0, at = 0;
    for (size_t i = 0; i < l->n; i++)
        if (!l->names[i]) unnamed++, at = i;
    if (unnamed == 1) {
        int missing = -1, count = 0;
        for (size_t k = 0; k < gt->n_classes; k++) {
            int named = 0;
            for (size_t i = 0; i < l->n; i++) named |= l->names[i] && !strcmp(l->names[i], gt->class_names[k]);
            if (!named) missing = (int)k, count++;
        }
        if (count == 1 && !(l->names[at] = ev_strdup(gt->class_names[missing]))) return HV_ERR_OUT_OF_MEMORY;
    }
    int32_t *map = malloc((l->n ? l->n : 1) * sizeof *map);
    if (!map) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    const char *unknown[8];
    size_t n_unknown = 0;
    /* names the GT lacks first (the more useful message), then indices nobody named */
    ptrdiff_t unnamed_at = -1;
    for (size_t i = 0; i < l->n; i++) {
        map[i] = l->names[i] ? gt_class(gt, l->names[i]) : -1;
        if (l->names[i] && map[i] < 0 && n_unknown < 8) unknown[n_unknown++] = l->names[i];
        if (!l->names[i] && unnamed_at < 0) unnamed_at = (ptrdiff_t)i;
    }
    if (!n_unknown && need_order && unnamed_at >= 0) {
        free(map);
        return hv_error(HV_ERR_SCHEMA,
                        "%s: cannot tell which class probability %td is (no frame was predicted as it); give the "
                        "classifier's labels in order, e.g. --labels bleeding,non-bleeding", path, unnamed_at);
    }
    if (n_unknown) {
        free(map);
        char *list = ev_list_names(unknown, n_unknown, 8);
        char *classes = ev_list_names((const char *const *)gt->class_names, gt->n_classes, 8);
        st = hv_error(HV_ERR_SCHEMA, "%s: class label%s %s not in the ground truth's classes (%s)", path,
                      n_unknown > 1 ? "s" : "", list ? list : "?", classes ? classes : "?");
        free(list);
        free(classes);
        return st;
    }
    *gt_of_run = map;
    return HV_OK;
}
