/* metrics.json: every number of an evaluation under the name of its definition. Undefined quantities
 * (the metric engine's −1: AP without ground truth, AUC with one class) are written as null, so a
 * script reading the file cannot mistake them for a score. */
#include "hemovk/eval_report.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static void add_num(cJSON *o, const char *key, double v) {
    if (v <= -0.5) cJSON_AddNullToObject(o, key);
    else cJSON_AddNumberToObject(o, key, v);
}

static cJSON *inputs_json(const hv_eval_report *r) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ground_truth", r->ground_truth ? r->ground_truth : "");
    cJSON_AddStringToObject(o, "results", r->results ? r->results : "");
    if (r->split) cJSON_AddStringToObject(o, "split", r->split);
    else cJSON_AddNullToObject(o, "split");
    if (r->model) cJSON_AddStringToObject(o, "model", r->model);
    else cJSON_AddNullToObject(o, "model");
    cJSON_AddNumberToObject(o, "images", (double)r->gt->n_images);
    cJSON_AddNumberToObject(o, "instances", (double)r->gt->n_anns);
    cJSON_AddNumberToObject(o, "result_frames", (double)r->res->n_cls);
    cJSON_AddNumberToObject(o, "detections", (double)r->res->n_dets);
    return o;
}

static cJSON *warnings_json(const hv_eval_warnings *w) {
    cJSON *o = cJSON_CreateObject();
    for (int k = 0; k < HV_EVAL_WARN_KIND_COUNT; k++)
        cJSON_AddNumberToObject(o, hv_eval_warning_kind_name((hv_eval_warning_kind)k),
                                (double)hv_eval_warnings_count(w, (hv_eval_warning_kind)k));
    cJSON_AddNumberToObject(o, "xml_txt_not_identical", (double)w->xml_txt_not_identical);
    return o;
}

static cJSON *cls_json(const hv_eval_report *r) {
    const hv_cls_metrics *m = r->cls;
    const hv_eval_gt *gt = r->gt;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "definition",
                            "Table 1: MODEL_SPEC 9.1 (mmpretrain Accuracy top-1 and SingleLabelMetric average=macro), "
                            "percent; positive-class numbers are fractions (scikit-learn)");
    cJSON *classes = cJSON_AddArrayToObject(o, "classes");
    for (size_t k = 0; k < gt->n_classes; k++) cJSON_AddItemToArray(classes, cJSON_CreateString(gt->class_names[k]));
    cJSON_AddStringToObject(o, "positive", m->positive >= 0 && (size_t)m->positive < gt->n_classes
                                               ? gt->class_names[m->positive] : "");
    cJSON_AddNumberToObject(o, "n", (double)m->n);
    cJSON_AddNumberToObject(o, "n_missing", (double)m->n_missing);
    cJSON_AddNumberToObject(o, "n_unlabelled", (double)m->n_unlabelled);
    cJSON_AddNumberToObject(o, "n_unclassified", (double)m->n_unclassified);
    add_num(o, "accuracy_pct", m->accuracy_pct);
    add_num(o, "macro_precision_pct", m->macro_precision_pct);
    add_num(o, "macro_recall_pct", m->macro_recall_pct);
    add_num(o, "macro_f1_pct", m->macro_f1_pct);
    cJSON *pc = cJSON_AddObjectToObject(o, "per_class");
    for (size_t k = 0; pc && k < m->n_classes && k < gt->n_classes; k++) {
        cJSON *c = cJSON_AddObjectToObject(pc, gt->class_names[k]);
        add_num(c, "precision_pct", m->precision_pct[k]);
        add_num(c, "recall_pct", m->recall_pct[k]);
        add_num(c, "f1_pct", m->f1_pct[k]);
    }
    cJSON *conf = cJSON_AddArrayToObject(o, "confusion_true_by_predicted");
    for (size_t i = 0; conf && i < m->n_classes; i++) {
        cJSON *row = cJSON_CreateArray();
        for (size_t j = 0; j < m->n_classes; j++)
            cJSON_AddItemToArray(row, cJSON_CreateNumber((double)m->confusion[i * m->n_classes + j]));
        cJSON_AddItemToArray(conf, row);
    }
    cJSON_AddNumberToObject(o, "tp", (double)m->tp);
    cJSON_AddNumberToObject(o, "fp", (double)m->fp);
    cJSON_AddNumberToObject(o, "fn", (double)m->fn);
    cJSON_AddNumberToObject(o, "tn", (double)m->tn);
    add_num(o, "sensitivity", m->sensitivity);
    add_num(o, "specificity", m->specificity);
    cJSON_AddNumberToObject(o, "n_scored", (double)m->n_scored);
    add_num(o, "roc_auc", m->roc_auc);
    add_num(o, "pr_auc", m->pr_auc);
    cJSON *bf = cJSON_AddObjectToObject(o, "best_f1");
    add_num(bf, "threshold", m->best_f1_threshold);
    add_num(bf, "precision", m->best_f1_precision);
    add_num(bf, "recall", m->best_f1_recall);
    add_num(bf, "f1", m->best_f1);
    cJSON *op = cJSON_AddObjectToObject(o, "operating_point");
    add_num(op, "target_sensitivity", m->target_sensitivity);
    add_num(op, "threshold", m->sens_threshold);
    add_num(op, "sensitivity", m->sens_sensitivity);
    add_num(op, "specificity", m->sens_specificity);
    cJSON *sw = cJSON_AddArrayToObject(o, "sweep");
    for (size_t i = 0; sw && i < r->n_sweep; i++) {
        const hv_eval_sweep_row *s = &r->sweep[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "threshold", s->threshold);
        add_num(e, "sensitivity", s->sensitivity);
        add_num(e, "specificity", s->specificity);
        add_num(e, "precision", s->precision);
        add_num(e, "f1", s->f1);
        add_num(e, "accuracy", s->accuracy);
        cJSON_AddItemToArray(sw, e);
    }
    return o;
}

static cJSON *coco_json(const hv_coco_eval_result *e) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "definition",
                            "pycocotools COCOeval (IoU .50:.05:.95, 101 recall points, maxDets 1/10/100, area ranges); "
                            "null = undefined (-1)");
    cJSON *s = cJSON_AddObjectToObject(o, "stats");
    for (size_t i = 0; s && i < HV_COCO_N_STATS; i++) add_num(s, hv_coco_stat_name(i), e->stats[i]);
    cJSON *t = cJSON_AddObjectToObject(o, "table2");
    cJSON_AddStringToObject(t, "definition",
                            "MODEL_SPEC 9.2: the paper's modified COCOeval; mAP = COCO AP, AP@N = mean final precision "
                            "TP/(TP+FP) at maxDets N, AR50@10 = recall at IoU .50 with maxDets 10");
    for (size_t i = 0; t && i < HV_COCO_N_TABLE2; i++) add_num(t, hv_coco_table2_name(i), e->table2[i]);
    uint64_t gtn = 0, matched = 0, missed = 0, fa = 0;
    for (size_t i = 0; i < e->n_frames; i++) {
        gtn += e->frames[i].n_gt;
        matched += e->frames[i].n_matched;
        missed += e->frames[i].n_missed;
        fa += e->frames[i].n_false;
    }
    cJSON *f = cJSON_AddObjectToObject(o, "frames");
    cJSON_AddNumberToObject(f, "iou_thr", e->params.frame_iou_thr);
    cJSON_AddNumberToObject(f, "score_thr", e->params.frame_score_thr);
    cJSON_AddNumberToObject(f, "instances", (double)gtn);
    cJSON_AddNumberToObject(f, "matched", (double)matched);
    cJSON_AddNumberToObject(f, "missed", (double)missed);
    cJSON_AddNumberToObject(f, "false_alarms", (double)fa);
    return o;
}

hv_status hv_eval_report_write_json(const hv_eval_report *r, const char *path) {
    if (!r || !r->gt || !r->res || !path) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_eval_report_write_json: NULL argument");
    cJSON *root = cJSON_CreateObject();
    if (!root) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    cJSON_AddItemToObject(root, "inputs", inputs_json(r));
    if (r->warnings) cJSON_AddItemToObject(root, "ground_truth_disagreements", warnings_json(r->warnings));
    if (r->cls) cJSON_AddItemToObject(root, "classification", cls_json(r));
    if (r->bbox) cJSON_AddItemToObject(root, "bbox", coco_json(r->bbox));
    if (r->segm) cJSON_AddItemToObject(root, "segm", coco_json(r->segm));
    if (r->loc) {
        cJSON *l = cJSON_AddObjectToObject(root, "localisation");
        cJSON_AddStringToObject(l, "definition",
                                "fraction of ground-truth frames with >= 1 instance in which >= 1 detection (score >= "
                                "score_thr) has box IoU >= iou_thr with an instance");
        cJSON_AddNumberToObject(l, "iou_thr", r->loc_iou_thr);
        cJSON_AddNumberToObject(l, "score_thr", r->loc_score_thr);
        cJSON_AddNumberToObject(l, "images", (double)r->loc->n_images);
        cJSON_AddNumberToObject(l, "localised", (double)r->loc->n_localised);
        add_num(l, "rate", r->loc->rate);
    }
    cJSON *notes = cJSON_AddArrayToObject(root, "notes");
    for (size_t i = 0; notes && i < r->n_notes; i++) cJSON_AddItemToArray(notes, cJSON_CreateString(r->notes[i]));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory formatting %s", path);
    size_t n = strlen(text);
    char *withnl = realloc(text, n + 2);
    if (!withnl) {
        free(text);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory formatting %s", path);
    }
    withnl[n] = '\n';
    withnl[n + 1] = '\0';
    hv_status st = hv_eval_write_text(path, withnl);
    free(withnl);
    return st;
}
