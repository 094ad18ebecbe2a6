/* frames.jsonl: one line per ground-truth frame, so a user can sort and grep the errors (missed bleeds,
 * false alarms, wrong labels) and open the frames. */
#include "hemovk/eval_report.h"

#include "gt_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_frame_view(cJSON *o, const char *key, const hv_coco_eval_result *e, size_t i) {
    if (!e || i >= e->n_frames) return;
    const hv_coco_frame *f = &e->frames[i];
    cJSON *v = cJSON_AddObjectToObject(o, key);
    cJSON_AddNumberToObject(v, "detections", f->n_dets);
    cJSON_AddNumberToObject(v, "matched", f->n_matched);
    cJSON_AddNumberToObject(v, "missed", f->n_missed);
    cJSON_AddNumberToObject(v, "false_alarms", f->n_false);
    if (f->best_iou < 0) cJSON_AddNullToObject(v, "best_iou");
    else cJSON_AddNumberToObject(v, "best_iou", f->best_iou);
}

static int32_t positive_of(const hv_eval_report *r) {
    if (r->cls) return r->cls->positive;
    for (size_t k = 0; k < r->gt->n_classes; k++)
        if (!strcmp(r->gt->class_names[k], "bleeding")) return (int32_t)k;
    return 0;
}

hv_status hv_eval_report_write_frames(const hv_eval_report *r, const char *path) {
    if (!r || !r->gt || !r->res || !path) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_eval_report_write_frames: NULL argument");
    const hv_eval_gt *gt = r->gt;
    ev_id_index ix;
    hv_status st = ev_id_index_build(gt, &ix);
    if (st) return st;
    const hv_eval_cls **cls_of = calloc(gt->n_images ? gt->n_images : 1, sizeof *cls_of);
    uint32_t *n_inst = calloc(gt->n_images ? gt->n_images : 1, sizeof *n_inst);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = cls_of && n_inst ? open_memstream(&buf, &len) : NULL;
    if (!f) st = hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory writing %s", path);
    for (size_t i = 0; !st && i < r->res->n_cls; i++) {
        ptrdiff_t k = ev_id_index_find(&ix, r->res->cls[i].image_id);
        if (k >= 0) cls_of[k] = &r->res->cls[i];
    }
    for (size_t i = 0; !st && i < gt->n_anns; i++) {
        ptrdiff_t k = ev_id_index_find(&ix, gt->anns[i].image_id);
        if (k >= 0 && !gt->anns[i].iscrowd) n_inst[k]++;
    }
    const int32_t pos = positive_of(r);
    for (size_t i = 0; !st && i < gt->n_images; i++) {
        const hv_eval_image *im = &gt->images[i];
        const hv_eval_cls *c = cls_of[i];
        cJSON *o = cJSON_CreateObject();
        if (!o) {
            st = hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory writing %s", path);
            break;
        }
        cJSON_AddStringToObject(o, "file_name", im->file_name);
        cJSON_AddNumberToObject(o, "image_id", (double)im->id);
        if (im->label >= 0 && (size_t)im->label < gt->n_classes) cJSON_AddStringToObject(o, "truth", gt->class_names[im->label]);
        else cJSON_AddNullToObject(o, "truth");
        if (c && c->predicted >= 0 && (size_t)c->predicted < gt->n_classes) {
            cJSON_AddStringToObject(o, "predicted", gt->class_names[c->predicted]);
            cJSON_AddBoolToObject(o, "correct", c->predicted == im->label);
        } else {
            cJSON_AddNullToObject(o, "predicted");
            cJSON_AddNullToObject(o, "correct");
        }
        if (c && c->probs && pos >= 0 && (size_t)pos < gt->n_classes) cJSON_AddNumberToObject(o, "prob", c->probs[pos]);
        else cJSON_AddNullToObject(o, "prob");
        cJSON_AddNumberToObject(o, "instances", n_inst[i]);
        add_frame_view(o, "bbox", r->bbox, i);
        add_frame_view(o, "segm", r->segm, i);
        if (r->localised && r->localised[i] >= 0) cJSON_AddBoolToObject(o, "localised", r->localised[i] == 1);
        else cJSON_AddNullToObject(o, "localised");
        char *line = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        if (!line) {
            st = hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory writing %s", path);
            break;
        }
        fprintf(f, "%s\n", line);
        free(line);
    }
    if (f && fclose(f) && !st) st = hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory writing %s", path);
    if (!st) st = hv_eval_write_text(path, buf ? buf : "");
    free(buf);
    free(cls_of);
    free(n_inst);
    ev_id_index_free(&ix);
    return st;
}
