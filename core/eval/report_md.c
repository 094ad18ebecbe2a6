/* metrics.md / the table `hemovk eval` prints: the paper's two tables in its own terms (Table 1 in
 * percent, macro over both classes; Table 2's COCO numbers and its "AP" variant), then what a screening
 * user asks first (sensitivity, specificity, the confusion matrix, AUCs, the threshold sweep, how often
 * a bleed was localised). Undefined numbers print as "—". */
#include "hemovk/eval_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void num(FILE *f, double v, int pct) {
    if (v <= -0.5) fputs(" — |", f);
    else if (pct) fprintf(f, " %.2f |", v);
    else fprintf(f, " %.4f |", v);
}

static void cls_tables(FILE *f, const hv_eval_report *r) {
    const hv_cls_metrics *m = r->cls;
    const hv_eval_gt *gt = r->gt;
    fprintf(f, "## Classification (%zu frames)\n\n", m->n);
    fprintf(f, "Table 1 (MODEL_SPEC §9.1: macro over the classes, percent)\n\n");
    fprintf(f, "| Accuracy | Precision | Recall | F1 |\n|---|---|---|---|\n|");
    num(f, m->accuracy_pct, 1);
    num(f, m->macro_precision_pct, 1);
    num(f, m->macro_recall_pct, 1);
    num(f, m->macro_f1_pct, 1);
    fputs("\n\n| class | precision % | recall % | F1 % |\n|---|---|---|---|\n", f);
    for (size_t k = 0; k < m->n_classes && k < gt->n_classes; k++) {
        fprintf(f, "| %s |", gt->class_names[k]);
        num(f, m->precision_pct[k], 1);
        num(f, m->recall_pct[k], 1);
        num(f, m->f1_pct[k], 1);
        fputc('\n', f);
    }
    const char *pos = m->positive >= 0 && (size_t)m->positive < gt->n_classes ? gt->class_names[m->positive] : "?";
    fprintf(f, "\nPositive class '%s': TP %llu, FP %llu, FN %llu, TN %llu\n\n", pos, (unsigned long long)m->tp,
            (unsigned long long)m->fp, (unsigned long long)m->fn, (unsigned long long)m->tn);
    fprintf(f, "| sensitivity | specificity | ROC AUC | PR AUC (AP) |\n|---|---|---|---|\n|");
    num(f, m->sensitivity, 0);
    num(f, m->specificity, 0);
    num(f, m->roc_auc, 0);
    num(f, m->pr_auc, 0);
    fprintf(f, "\n\nConfusion (rows: truth, columns: predicted)\n\n| |");
    for (size_t j = 0; j < m->n_classes && j < gt->n_classes; j++) fprintf(f, " %s |", gt->class_names[j]);
    fprintf(f, "\n|---|");
    for (size_t j = 0; j < m->n_classes; j++) fprintf(f, "---|");
    fputc('\n', f);
    for (size_t i = 0; i < m->n_classes && i < gt->n_classes; i++) {
        fprintf(f, "| **%s** |", gt->class_names[i]);
        for (size_t j = 0; j < m->n_classes; j++) fprintf(f, " %llu |", (unsigned long long)m->confusion[i * m->n_classes + j]);
        fputc('\n', f);
    }
    if (m->n_missing || m->n_unclassified || m->n_unlabelled)
        fprintf(f, "\nNot scored: %zu frames without a result, %zu not classified, %zu without a label.\n", m->n_missing,
                m->n_unclassified, m->n_unlabelled);
    if (m->best_f1 > -0.5)
        fprintf(f, "\nBest F1 %.4f at threshold %.4f (precision %.4f, recall %.4f); sensitivity ≥ %.2f first reached at "
                   "threshold %.4f (sensitivity %.4f, specificity %.4f).\n",
                m->best_f1, m->best_f1_threshold, m->best_f1_precision, m->best_f1_recall, m->target_sensitivity,
                m->sens_threshold, m->sens_sensitivity, m->sens_specificity);
    if (r->n_sweep) {
        fprintf(f, "\nThreshold sweep (positive when p(%s) ≥ threshold)\n\n", pos);
        fprintf(f, "| threshold | sensitivity | specificity | precision | F1 | accuracy |\n|---|---|---|---|---|---|\n");
        for (size_t i = 0; i < r->n_sweep; i++) {
            const hv_eval_sweep_row *s = &r->sweep[i];
            fprintf(f, "| %.2f |", s->threshold);
            num(f, s->sensitivity, 0);
            num(f, s->specificity, 0);
            num(f, s->precision, 0);
            num(f, s->f1, 0);
            num(f, s->accuracy, 0);
            fputc('\n', f);
        }
    }
    fputc('\n', f);
}

static void coco_table(FILE *f, const char *title, const hv_coco_eval_result *e) {
    uint64_t gtn = 0, matched = 0, fa = 0;
    for (size_t i = 0; i < e->n_frames; i++) {
        gtn += e->frames[i].n_gt;
        matched += e->frames[i].n_matched;
        fa += e->frames[i].n_false;
    }
    fprintf(f, "## %s\n\nCOCOeval (pycocotools)\n\n|", title);
    for (size_t i = 0; i < HV_COCO_N_STATS; i++) fprintf(f, " %s |", hv_coco_stat_name(i));
    fprintf(f, "\n|");
    for (size_t i = 0; i < HV_COCO_N_STATS; i++) fprintf(f, "---|");
    fprintf(f, "\n|");
    for (size_t i = 0; i < HV_COCO_N_STATS; i++) num(f, e->stats[i], 0);
    fprintf(f, "\n\nTable 2 variant (MODEL_SPEC §9.2: mAP = COCO AP; AP@N = final precision TP/(TP+FP) at maxDets N)\n\n");
    static const size_t cols[] = {0, 1, 2, 12, 13, 14, 15, 6, 7, 8};
    fprintf(f, "|");
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) fprintf(f, " %s |", hv_coco_table2_name(cols[i]));
    fprintf(f, "\n|");
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) fprintf(f, "---|");
    fprintf(f, "\n|");
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) num(f, e->table2[cols[i]], 0);
    fprintf(f, "\n\nAt IoU %.2f: %llu of %llu instances found, %llu false alarms (score ≥ %g).\n\n", e->params.frame_iou_thr,
            (unsigned long long)matched, (unsigned long long)gtn, (unsigned long long)fa, e->params.frame_score_thr);
}

hv_status hv_eval_report_markdown(const hv_eval_report *r, char **out) {
    if (!r || !r->gt || !r->res || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_eval_report_markdown: NULL argument");
    *out = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory formatting the report");
    fprintf(f, "# hemovk eval\n\nGround truth: `%s`%s%s — %zu frames, %zu instances. Results: `%s`",
            r->ground_truth ? r->ground_truth : "", r->split ? ", split " : "", r->split ? r->split : "", r->gt->n_images,
            r->gt->n_anns, r->results ? r->results : "");
    if (r->model) fprintf(f, " (detections of model '%s')", r->model);
    fprintf(f, ".\n\n");
    if (r->cls) cls_tables(f, r);
    if (r->bbox) coco_table(f, "Detection (bbox)", r->bbox);
    if (r->segm) coco_table(f, "Segmentation (segm)", r->segm);
    if (r->loc) {
        fprintf(f, "## Localisation\n\nFrames with bleeding in which a detection (score ≥ %g) overlaps an instance at box "
                   "IoU ≥ %.2f: %zu of %zu",
                r->loc_score_thr, r->loc_iou_thr, r->loc->n_localised, r->loc->n_images);
        if (r->loc->rate > -0.5) fprintf(f, " (%.2f %%)", 100.0 * r->loc->rate);
        fprintf(f, ".\n\n");
    }
    if (r->warnings && r->warnings->n) {
        fprintf(f, "Ground-truth disagreements (listed by `hemovk gt`):");
        for (int k = 0; k < HV_EVAL_WARN_KIND_COUNT; k++) {
            size_t n = hv_eval_warnings_count(r->warnings, (hv_eval_warning_kind)k);
            if (n) fprintf(f, " %zu %s;", n, hv_eval_warning_kind_name((hv_eval_warning_kind)k));
        }
        fprintf(f, "\n\n");
    }
    for (size_t i = 0; i < r->n_notes; i++) fprintf(f, "Note: %s\n\n", r->notes[i]);
    if (fclose(f) || !buf) {
        free(buf);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory formatting the report");
    }
    *out = buf;
    return HV_OK;
}
