/* hv_eval_gt_free: the one place that knows what a ground-truth set owns (readers build it piecemeal
 * and call this on any failure, so a half-built set is released by the same code as a complete one). */
#include "hemovk/eval.h"

#include <stdlib.h>
#include <string.h>

void hv_eval_gt_free(hv_eval_gt *gt) {
    if (!gt) return;
    for (size_t i = 0; gt->images && i < gt->n_images; i++) free(gt->images[i].file_name);
    free(gt->images);
    for (size_t i = 0; gt->anns && i < gt->n_anns; i++) hv_rle_free(&gt->anns[i].segm);
    free(gt->anns);
    for (size_t i = 0; gt->category_names && i < gt->n_categories; i++) free(gt->category_names[i]);
    free(gt->category_names);
    free(gt->category_ids);
    for (size_t i = 0; gt->class_names && i < gt->n_classes; i++) free(gt->class_names[i]);
    free(gt->class_names);
    free(gt->source);
    memset(gt, 0, sizeof *gt);
}
