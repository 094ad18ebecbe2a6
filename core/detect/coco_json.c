/* COCO results JSON (mmdet CocoDataset._det2json / _segm2json conventions, MODEL_SPEC §5.10 step 5):
 * bbox as [x, y, w, h] without +1, the compressed RLE string, image ids from a ground-truth file. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/detect.h"

struct hv_coco_writer {
    cJSON *bbox, *segm;
    /* file_name → id table: from the ground truth, or filled on demand */
    char **names;
    int64_t *ids;
    size_t n, cap;
    int has_gt;
    int64_t next_id;
};

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int table_add(hv_coco_writer *w, const char *name, int64_t id) {
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        char **nn = realloc(w->names, cap * sizeof *nn);
        if (!nn) return -1;
        w->names = nn;
        int64_t *ni = realloc(w->ids, cap * sizeof *ni);
        if (!ni) return -1;
        w->ids = ni;
        w->cap = cap;
    }
    w->names[w->n] = strdup(name);
    if (!w->names[w->n]) return -1;
    w->ids[w->n++] = id;
    return 0;
}

static hv_status read_file(const char *path, char **out) {
    FILE *f = fopen(path, "rb");
    if (!f) return hv_error(HV_ERR_IO, "COCO ground truth %s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            return hv_error(HV_ERR_OUT_OF_MEMORY, "COCO ground truth %s: out of memory", path);
        }
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1) break;
        char *nb = realloc(buf, cap * 2);
        if (!nb) free(buf);
        buf = nb;
        cap *= 2;
    }
    const int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return hv_error(HV_ERR_IO, "COCO ground truth %s: read error", path);
    }
    buf[n] = 0;
    *out = buf;
    return HV_OK;
}

static hv_status load_gt(hv_coco_writer *w, const char *path) {
    char *text = NULL;
    hv_status st = read_file(path, &text);
    if (st) return st;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 0);
    if (!root) {
        const long at = end ? (long)(end - text) : -1;
        free(text);
        return hv_error(HV_ERR_PARSE, "COCO ground truth %s: not valid JSON (error at byte %ld)", path, at);
    }
    free(text);
    const cJSON *images = cJSON_GetObjectItemCaseSensitive(root, "images");
    if (!cJSON_IsArray(images)) {
        cJSON_Delete(root);
        return hv_error(HV_ERR_SCHEMA, "COCO ground truth %s: no \"images\" array", path);
    }
    int i = 0;
    const cJSON *im;
    cJSON_ArrayForEach(im, images) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(im, "file_name"), *id = cJSON_GetObjectItemCaseSensitive(im, "id");
        if (!cJSON_IsString(fn) || !cJSON_IsNumber(id)) {
            cJSON_Delete(root);
            return hv_error(HV_ERR_SCHEMA, "COCO ground truth %s: images[%d] lacks a string \"file_name\" or a number \"id\"", path, i);
        }
        if (table_add(w, fn->valuestring, (int64_t)id->valuedouble)) {
            cJSON_Delete(root);
            return hv_error(HV_ERR_OUT_OF_MEMORY, "COCO ground truth %s: out of memory", path);
        }
        ++i;
    }
    cJSON_Delete(root);
    w->has_gt = 1;
    return HV_OK;
}

void hv_coco_writer_free(hv_coco_writer *w) {
    if (!w) return;
    cJSON_Delete(w->bbox);
    cJSON_Delete(w->segm);
    for (size_t i = 0; i < w->n; ++i) free(w->names[i]);
    free(w->names);
    free(w->ids);
    free(w);
}

hv_status hv_coco_writer_create(const char *gt_path, hv_coco_writer **out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO writer: NULL output");
    *out = NULL;
    hv_coco_writer *w = calloc(1, sizeof *w);
    if (!w) return hv_error(HV_ERR_OUT_OF_MEMORY, "COCO writer: out of memory");
    w->bbox = cJSON_CreateArray();
    w->segm = cJSON_CreateArray();
    w->next_id = 1;
    if (!w->bbox || !w->segm) {
        hv_coco_writer_free(w);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "COCO writer: out of memory");
    }
    if (gt_path) {
        hv_status st = load_gt(w, gt_path);
        if (st) {
            hv_coco_writer_free(w);
            return st;
        }
    }
    *out = w;
    return HV_OK;
}

hv_status hv_coco_writer_image_id(hv_coco_writer *w, const char *file_name, int64_t *id) {
    if (!w || !file_name || !id) return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO writer image id: NULL argument");
    for (size_t i = 0; i < w->n; ++i)
        if (!strcmp(w->names[i], file_name)) return *id = w->ids[i], HV_OK;
    /* By base name only when exactly one image has it: WCEBleedGen repeats every name in both class
     * folders, and picking the first would give two frames one id. */
    const char *b = base_name(file_name);
    size_t hits = 0, hit = 0;
    for (size_t i = 0; w->has_gt && i < w->n; ++i)
        if (!strcmp(base_name(w->names[i]), b)) hits++, hit = i;
    if (hits == 1) return *id = w->ids[hit], HV_OK;
    if (hits > 1 && w->has_gt)
        return hv_error(HV_ERR_NOT_FOUND, "COCO writer: image '%s' matches %zu ground-truth images by its base name '%s' "
                        "and none by its whole name: give the ground truth's file_name with its folders", file_name, hits, b);
    if (w->has_gt)
        return hv_error(HV_ERR_NOT_FOUND, "COCO writer: image '%s' is not in the ground truth's \"images\" (%zu entries); "
                        "pass the ground truth of this image set or none", file_name, w->n);
    if (table_add(w, file_name, w->next_id)) return hv_error(HV_ERR_OUT_OF_MEMORY, "COCO writer: out of memory");
    *id = w->next_id++;
    return HV_OK;
}

/* A JSON number written as Python's json.dumps writes a float (repr: shortest round-trip digits).
 * cJSON's own printer can drop the last ulp (its round-trip check has a tolerance). */
static cJSON *py_number(double v) {
    char buf[64];
    return cJSON_CreateRaw(hv_py_repr(v, buf, sizeof buf));
}

static cJSON *base_entry(int64_t image_id, int32_t category_id, const hv_box *box, double score) {
    cJSON *e = cJSON_CreateObject();
    if (!e) return NULL;
    const float bb[4] = {box->x1, box->y1, box->x2 - box->x1, box->y2 - box->y1}; /* float32 like mmdet */
    /* key order of mmdet's _det2json: image_id, bbox, score, category_id */
    int ok = cJSON_AddNumberToObject(e, "image_id", (double)image_id) != NULL;
    cJSON *arr = ok ? cJSON_AddArrayToObject(e, "bbox") : NULL;
    ok = ok && arr;
    for (int k = 0; k < 4 && ok; ++k) ok = cJSON_AddItemToArray(arr, py_number((double)bb[k]));
    ok = ok && cJSON_AddItemToObject(e, "score", py_number(score)) && cJSON_AddNumberToObject(e, "category_id", category_id);
    if (!ok) {
        cJSON_Delete(e);
        return NULL;
    }
    return e;
}

static hv_status check_add(const hv_coco_writer *w, const hv_box *box, double score, const char *what) {
    if (!w || !box) return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO writer %s: NULL argument", what);
    if (!isfinite(score) || !isfinite(box->x1) || !isfinite(box->y1) || !isfinite(box->x2) || !isfinite(box->y2))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO writer %s: score %g or box (%g, %g, %g, %g) is not finite", what,
                        score, (double)box->x1, (double)box->y1, (double)box->x2, (double)box->y2);
    return HV_OK;
}

hv_status hv_coco_writer_add_bbox(hv_coco_writer *w, int64_t image_id, int32_t category_id, const hv_box *box,
                                  double score) {
    hv_status st = check_add(w, box, score, "bbox");
    if (st) return st;
    cJSON *e = base_entry(image_id, category_id, box, score);
    if (!e || !cJSON_AddItemToArray(w->bbox, e)) {
        cJSON_Delete(e);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "COCO writer bbox: out of memory");
    }
    return HV_OK;
}

hv_status hv_coco_writer_add_segm(hv_coco_writer *w, int64_t image_id, int32_t category_id, const hv_box *box,
                                  double score, const hv_rle *rle) {
    hv_status st = check_add(w, box, score, "segm");
    if (st) return st;
    if (!rle) return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO writer segm: NULL RLE");
    char *counts = NULL;
    st = hv_rle_to_string(rle, &counts);
    if (st) return st;
    cJSON *e = base_entry(image_id, category_id, box, score);
    cJSON *seg = e ? cJSON_AddObjectToObject(e, "segmentation") : NULL;
    cJSON *size = seg ? cJSON_AddArrayToObject(seg, "size") : NULL;
    int ok = size && cJSON_AddItemToArray(size, cJSON_CreateNumber(rle->h)) &&
             cJSON_AddItemToArray(size, cJSON_CreateNumber(rle->w)) && cJSON_AddStringToObject(seg, "counts", counts);
    free(counts);
    if (!ok || !cJSON_AddItemToArray(w->segm, e)) {
        cJSON_Delete(e);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "COCO writer segm: out of memory");
    }
    return HV_OK;
}

size_t hv_coco_writer_count(const hv_coco_writer *w, bool segm) {
    return w ? (size_t)cJSON_GetArraySize(segm ? w->segm : w->bbox) : 0;
}

hv_status hv_coco_writer_to_string(const hv_coco_writer *w, bool segm, char **out) {
    if (!w || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO writer to string: NULL argument");
    *out = cJSON_PrintUnformatted(segm ? w->segm : w->bbox);
    return *out ? HV_OK : hv_error(HV_ERR_OUT_OF_MEMORY, "COCO writer: out of memory printing JSON");
}

static hv_status write_one(const hv_coco_writer *w, bool segm, const char *prefix) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s.%s.json", prefix, segm ? "segm" : "bbox") >= (int)sizeof path)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO writer: output prefix too long: %s", prefix);
    char *text = NULL;
    hv_status st = hv_coco_writer_to_string(w, segm, &text);
    if (st) return st;
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(text);
        return hv_error(HV_ERR_IO, "COCO writer: cannot create %s: %s", path, strerror(errno));
    }
    const size_t n = strlen(text);
    const int bad = fwrite(text, 1, n, f) != n;
    free(text);
    if (fclose(f) || bad) return hv_error(HV_ERR_IO, "COCO writer: error writing %s (disk full?)", path);
    return HV_OK;
}

hv_status hv_coco_writer_save(const hv_coco_writer *w, const char *prefix) {
    if (!w || !prefix || !*prefix) return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO writer save: NULL writer or empty prefix");
    hv_status st = write_one(w, false, prefix);
    if (!st && hv_coco_writer_count(w, true)) st = write_one(w, true, prefix);
    return st;
}
