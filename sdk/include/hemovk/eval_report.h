/* hemovk/eval_report.h — the files `hemovk eval` writes (part 3 of hemovk/eval.h): metrics.json,
 * metrics.md and frames.jsonl, from one evaluation's inputs and the metric engine's outputs
 * (hemovk/eval_metrics.h). Each part is optional: a NULL member is left out of every file (e.g. no
 * classification when the run had no classifier, no segm without masks), and `notes` say why. */
#ifndef HEMOVK_EVAL_REPORT_H
#define HEMOVK_EVAL_REPORT_H

#include "hemovk/export.h"

#include <stddef.h>
#include <stdint.h>

#include "hemovk/eval.h"
#include "hemovk/eval_metrics.h"
#include "hemovk/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HV_EVAL_REPORT_MAX_NOTES 8
#define HV_EVAL_REPORT_MAX_SWEEP 32

/** One row of the classification threshold sweep: frames with probs[positive] ≥ threshold called positive. */
typedef struct hv_eval_sweep_row {
    double threshold;
    double sensitivity, specificity, precision, f1, accuracy;
} hv_eval_sweep_row;

/** Everything a report shows. Pointers are borrowed. */
typedef struct hv_eval_report {
    const hv_eval_gt *gt;
    const hv_eval_results *res;
    const char *ground_truth; /**< as given on the command line */
    const char *results;
    const char *split;        /**< NULL: every frame */
    const char *model;        /**< detections' model tag, NULL: the default choice */
    const hv_cls_metrics *cls;        /**< NULL: no classification */
    hv_eval_sweep_row sweep[HV_EVAL_REPORT_MAX_SWEEP];
    size_t n_sweep;
    const hv_coco_eval_result *bbox;  /**< NULL: not evaluated */
    const hv_coco_eval_result *segm;  /**< NULL: not evaluated */
    const hv_eval_loc_rate *loc;      /**< NULL: not computed */
    const int8_t *localised;          /**< per GT image (hv_eval_localisation_rate), may be NULL */
    double loc_iou_thr, loc_score_thr;
    const hv_eval_warnings *warnings; /**< ground-truth disagreements (counts go to the report) */
    const char *notes[HV_EVAL_REPORT_MAX_NOTES];
    size_t n_notes;
} hv_eval_report;

/** Fill r->sweep at thresholds 0.05, 0.10, …, 0.95 from r->res's probs[positive] against r->gt's labels
 *  (through hv_cls_eval_arrays). No-op without classification probabilities. */
HV_API hv_status hv_eval_report_sweep(hv_eval_report *r, int32_t positive);

/** metrics.json: every number, each under the name of its definition (COCO stats names, MODEL_SPEC §9.2
 *  Table 2 names, Table 1 names), with the inputs it came from. Written to a temporary name and renamed. */
HV_API hv_status hv_eval_report_write_json(const hv_eval_report *r, const char *path);

/** The Markdown tables (classification Table 1, sensitivity/specificity, confusion matrix, AUCs, sweep;
 *  detection and segmentation COCO numbers, Table 2's variant, localisation rate). *out malloc'ed. */
HV_API hv_status hv_eval_report_markdown(const hv_eval_report *r, char **out);

/** frames.jsonl: one line per ground-truth frame: file_name, truth, predicted, prob (of the positive
 *  class), correct, instances, detections, matched, missed, false alarms and best IoU (bbox, and segm
 *  when evaluated), localised — sorted as the ground truth's images. */
HV_API hv_status hv_eval_report_write_frames(const hv_eval_report *r, const char *path);

/** Write `text` to `path` through a temporary name and a rename. */
HV_API hv_status hv_eval_write_text(const char *path, const char *text);

#ifdef __cplusplus
}
#endif
#endif
