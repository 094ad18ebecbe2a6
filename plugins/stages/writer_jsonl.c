/* writer.jsonl — one JSON object per frame, one line each, appended as frames finish and flushed (and
 * fsync'ed) after every batch: a killed run keeps every line it finished, and `hemovk run --resume`
 * reads the file back to skip those frames. The record:
 *
 *   {"id": 12, "path": "exam/img- (12).png", "key": "img- (12).png", "time": 6.0 | null,
 *    "width": 224, "height": 224,
 *    "classification": {"label": "bleeding", "index": 1, "score": 0.93, "probs": [0.07, 0.93]} | null,
 *    "detections": [{"box": [x1, y1, x2, y2], "score": 0.8, "label": 0, "model": "maskrcnn-convnext",
 *                    "mask": {"size": [height, width], "counts": [...]}}],   // COCO uncompressed RLE
 *    "dropped": false, "drop_reason": null, "drop_stage": null, "error": null,
 *    "meta": {"quality.luminance": "97.1", ...}}
 *
 * Numbers are rounded to 6 significant digits. `path` is the frame's path as the source listed it; `key`
 * its path relative to the input root, normalised (hemovk/image.h, hv_frame_list_key): what --resume
 * and evaluation match frames by (two folders' "img- (1).png" have distinct keys). `id` is the frame's
 * index in the exam (natural order of a folder, a list file's order) and `time` its time in seconds from
 * the first frame (HV_FRAME_TIME_META: source.fps, or a video's timestamps; null when unknown). Key and
 * time are not repeated in "meta". Every write is checked and a failure (disk full) stops the run (HV_ERR_OUTPUT). */
#include "stages_plugin.h"

#include "hemovk/config.h"
#include "hemovk/output.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char st_jsonl_schema[] =
    "type: object\n"
    "additionalProperties: false\n"
    "description: one JSON object per frame, written to the output's path (default results.jsonl in the output folder)\n"
    "properties:\n"
    "  probs:\n"
    "    type: boolean\n"
    "    default: true\n"
    "    description: write every class probability, not only the predicted label's score\n"
    "  masks:\n"
    "    type: boolean\n"
    "    default: true\n"
    "    description: write detection masks as COCO RLE (they make lines long)\n"
    "  meta:\n"
    "    type: boolean\n"
    "    default: true\n"
    "    description: write the frame's metadata (quality measures, stage flags)\n"
    "  fsync:\n"
    "    type: boolean\n"
    "    default: true\n"
    "    description: fsync after every batch so a power cut keeps what was written (costs a little time)\n";

typedef struct jsonl_writer {
    FILE *f;
    char *path;
    int probs, masks, meta, sync;
    const char *id;
} jsonl_writer;

static void jsonl_destroy(void *instance) {
    jsonl_writer *w = instance;
    if (!w) return;
    if (w->f) fclose(w->f); /* everything was flushed and checked after each batch */
    free(w->path);
    free(w);
}

static hv_status jsonl_create(const hv_create_info *info, void **instance) {
    jsonl_writer *w = calloc(1, sizeof *w);
    if (!w) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.jsonl: out of memory");
    w->id = info->instance_id;
    hv_status st = hv_config_need_bool(info->params, "probs", &w->probs);
    if (!st) st = hv_config_need_bool(info->params, "masks", &w->masks);
    if (!st) st = hv_config_need_bool(info->params, "meta", &w->meta);
    if (!st) st = hv_config_need_bool(info->params, "fsync", &w->sync);
    if (!st) st = hv_writer_output_path(info, "writer.jsonl", "results.jsonl", &w->path);
    if (!st) st = hv_mkdirs_for(w->path);
    int resume = HV_CREATE_INFO_HAS(info, resume) && info->resume;
    if (!st && !(w->f = fopen(w->path, resume ? "ab" : "wb")))
        st = hv_error_context(hv_output_error(w->path, errno), "writer.jsonl");
    if (st) {
        jsonl_destroy(w);
        return st;
    }
    *instance = w;
    return HV_OK;
}

static cJSON *num(double v) {
    return cJSON_CreateNumber(st_round6(v));
}

static cJSON *string_or_null(const char *s) {
    return (s && *s) ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *mask_json(const hv_mask *m) {
    uint32_t *counts = NULL;
    size_t n = 0;
    const uint32_t *c = NULL;
    if (m->format == HV_MASK_RLE && m->rle) {
        c = m->rle;
        n = m->n_rle;
    } else if (m->format == HV_MASK_BITMAP && m->bitmap) {
        if (st_bitmap_to_rle(m->bitmap, m->width, m->height, &counts, &n)) return NULL;
        c = counts;
    } else {
        return NULL;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON *size = cJSON_AddArrayToObject(o, "size");
    cJSON_AddItemToArray(size, cJSON_CreateNumber(m->height));
    cJSON_AddItemToArray(size, cJSON_CreateNumber(m->width));
    cJSON *arr = cJSON_AddArrayToObject(o, "counts");
    for (size_t i = 0; arr && i < n; i++) cJSON_AddItemToArray(arr, cJSON_CreateNumber(c[i]));
    free(counts);
    return o;
}

static cJSON *frame_json(const jsonl_writer *w, const hv_frame *f) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddNumberToObject(o, "id", (double)f->id);
    cJSON_AddItemToObject(o, "path", string_or_null(f->path));
    cJSON_AddItemToObject(o, "key", string_or_null(hv_output_frame_key(f)));
    double t = 0;
    if (hv_frame_time(f, &t)) cJSON_AddNumberToObject(o, "time", t); /* "%.3f" already: keep every digit */
    else cJSON_AddNullToObject(o, "time");
    cJSON_AddNumberToObject(o, "width", f->width);
    cJSON_AddNumberToObject(o, "height", f->height);
    if (f->cls.valid) {
        cJSON *c = cJSON_AddObjectToObject(o, "classification");
        cJSON_AddStringToObject(c, "label", f->cls.label_name);
        cJSON_AddNumberToObject(c, "index", f->cls.label);
        cJSON_AddItemToObject(c, "score", num(f->cls.score));
        if (w->probs && f->cls.n_probs) {
            cJSON *p = cJSON_AddArrayToObject(c, "probs");
            for (uint32_t i = 0; p && i < f->cls.n_probs; i++) cJSON_AddItemToArray(p, num(f->cls.probs[i]));
        }
    } else {
        cJSON_AddNullToObject(o, "classification");
    }
    cJSON *dets = cJSON_AddArrayToObject(o, "detections");
    for (size_t i = 0; dets && i < f->n_detections; i++) {
        const hv_detection *d = &f->detections[i];
        cJSON *e = cJSON_CreateObject();
        cJSON *box = cJSON_AddArrayToObject(e, "box");
        cJSON_AddItemToArray(box, num(d->x1));
        cJSON_AddItemToArray(box, num(d->y1));
        cJSON_AddItemToArray(box, num(d->x2));
        cJSON_AddItemToArray(box, num(d->y2));
        cJSON_AddItemToObject(e, "score", num(d->score));
        cJSON_AddNumberToObject(e, "label", d->label);
        cJSON_AddItemToObject(e, "model", string_or_null(d->model));
        cJSON *m = w->masks ? mask_json(&d->mask) : NULL;
        if (m) cJSON_AddItemToObject(e, "mask", m);
        cJSON_AddItemToArray(dets, e);
    }
    cJSON_AddBoolToObject(o, "dropped", f->dropped != 0);
    cJSON_AddItemToObject(o, "drop_reason", string_or_null(f->dropped ? f->drop_reason : NULL));
    cJSON_AddItemToObject(o, "drop_stage", string_or_null(f->dropped ? f->drop_stage : NULL));
    cJSON_AddItemToObject(o, "error", string_or_null(f->error));
    if (w->meta) {
        cJSON *m = cJSON_AddObjectToObject(o, "meta");
        for (size_t i = 0; m && i < f->n_meta; i++)
            if (strcmp(f->meta[i].key, HV_FRAME_KEY_META) && strcmp(f->meta[i].key, HV_FRAME_TIME_META))
                cJSON_AddStringToObject(m, f->meta[i].key, f->meta[i].value);
    }
    return o;
}

static hv_status jsonl_process(void *instance, hv_frame *const *frames, size_t n) {
    jsonl_writer *w = instance;
    for (size_t i = 0; i < n; i++) {
        cJSON *o = frame_json(w, frames[i]);
        char *line = o ? cJSON_PrintUnformatted(o) : NULL;
        cJSON_Delete(o);
        if (!line) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.jsonl: out of memory formatting frame %llu",
                                   (unsigned long long)frames[i]->id);
        /* One fwrite per line: the line and its newline reach the file together or not at all (mostly;
         * a torn last line is what --resume detects and cuts). */
        size_t len = strlen(line);
        line[len] = '\n';
        size_t wrote = fwrite(line, 1, len + 1, w->f);
        free(line);
        if (wrote != len + 1) return hv_output_error(w->path, errno);
    }
    return st_flush(w->f, w->path, w->sync);
}

static hv_status jsonl_flush(void *instance) {
    jsonl_writer *w = instance;
    return st_flush(w->f, w->path, w->sync);
}

const hv_stage_vtable st_jsonl_vtable = {
    .struct_size = sizeof(hv_stage_vtable),
    .create = jsonl_create,
    .process = jsonl_process,
    .flush = jsonl_flush,
    .destroy = jsonl_destroy,
};
