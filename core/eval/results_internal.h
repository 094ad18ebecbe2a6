/* Shared by the results readers (core/eval/results_*.c). Not part of the SDK. */
#ifndef HEMOVK_EVAL_RESULTS_INTERNAL_H
#define HEMOVK_EVAL_RESULTS_INTERNAL_H

#include "gt_internal.h"

/** The classifier's label names by probs index, as far as the frames tell (names[i] NULL: not seen). */
typedef struct ev_labels {
    char **names;
    size_t *line; /* where each name was first seen */
    size_t n;
} ev_labels;

/** Record that frame line `lineno` predicted `index` named `name` with n_probs probabilities. A second
 *  name for one index is HV_ERR_SCHEMA naming both lines. */
hv_status ev_labels_note(ev_labels *l, const char *path, size_t lineno, int32_t index, const char *name,
                         size_t n_probs);

/** Complete the order (--labels `given`, or the one-unknown-pairs-with-one-missing rule) and map each
 *  probs index to a GT class: *gt_of_run[n] (malloc'ed). `need_order`: frames carry probs, so every index
 *  must be known. Errors name the unknown labels or ask for --labels. */
hv_status ev_labels_resolve(ev_labels *l, const char *given, const hv_eval_gt *gt, const char *path, int need_order,
                            int32_t **gt_of_run);

void ev_labels_free(ev_labels *l);

/** Collects names for "N things ...: 'a', 'b' and N more" errors (first 5 kept, all counted). */
typedef struct ev_namelist {
    char *names[5];
    size_t n;
} ev_namelist;

hv_status ev_namelist_add(ev_namelist *l, const char *name);
char *ev_namelist_text(const ev_namelist *l);
void ev_namelist_free(ev_namelist *l);

#endif
