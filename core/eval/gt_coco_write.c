/* hv_eval_gt_write_coco: ground truth as COCO instances JSON (pycocotools reads it; so does
 * hv_eval_gt_read_coco, which round-trips everything in hv_eval_gt). Masks are compressed RLE strings,
 * the form pycocotools' loadRes and annToRLE use without conversion. */
#include "gt_internal.h"

#include "hemovk/image.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static cJSON *image_json(const hv_eval_gt *gt, const hv_eval_image *im) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    int ok = cJSON_AddNumberToObject(o, "id", (double)im->id) && cJSON_AddStringToObject(o, "file_name", im->file_name) &&
             cJSON_AddNumberToObject(o, "width", im->width) && cJSON_AddNumberToObject(o, "height", im->height);
    if (ok && im->label >= 0 && (size_t)im->label < gt->n_classes)
        ok = cJSON_AddStringToObject(o, "label", gt->class_names[im->label]) != NULL;
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *ann_json(const hv_eval_ann *a) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    int ok = cJSON_AddNumberToObject(o, "id", (double)a->id) &&
             cJSON_AddNumberToObject(o, "image_id", (double)a->image_id) &&
             cJSON_AddNumberToObject(o, "category_id", a->category_id);
    cJSON *bb = ok ? cJSON_CreateDoubleArray(a->bbox, 4) : NULL;
    ok = bb && cJSON_AddItemToObject(o, "bbox", bb);
    ok = ok && cJSON_AddNumberToObject(o, "area", a->area) && cJSON_AddNumberToObject(o, "iscrowd", a->iscrowd);
    if (ok && a->segm.n) {
        char *counts = NULL;
        cJSON *seg = cJSON_AddObjectToObject(o, "segmentation");
        cJSON *size = seg ? cJSON_AddArrayToObject(seg, "size") : NULL;
        ok = size && !hv_rle_to_string(&a->segm, &counts);
        ok = ok && cJSON_AddItemToArray(size, cJSON_CreateNumber(a->segm.h)) &&
             cJSON_AddItemToArray(size, cJSON_CreateNumber(a->segm.w)) && cJSON_AddStringToObject(seg, "counts", counts);
        free(counts);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *gt_json(const hv_eval_gt *gt, const hv_eval_warnings *warnings) {
    cJSON *root = cJSON_CreateObject();
    cJSON *info = root ? cJSON_AddObjectToObject(root, "info") : NULL;
    if (!info || !cJSON_AddStringToObject(info, "description", "hemovk ground truth") ||
        !cJSON_AddStringToObject(info, "source", gt->source ? gt->source : ""))
        goto fail;
    cJSON *classes = cJSON_AddArrayToObject(root, "classes");
    for (size_t i = 0; classes && i < gt->n_classes; i++)
        if (!cJSON_AddItemToArray(classes, cJSON_CreateString(gt->class_names[i]))) goto fail;
    cJSON *images = cJSON_AddArrayToObject(root, "images");
    for (size_t i = 0; images && i < gt->n_images; i++)
        if (!cJSON_AddItemToArray(images, image_json(gt, &gt->images[i]))) goto fail;
    cJSON *anns = cJSON_AddArrayToObject(root, "annotations");
    for (size_t i = 0; anns && i < gt->n_anns; i++)
        if (!cJSON_AddItemToArray(anns, ann_json(&gt->anns[i]))) goto fail;
    cJSON *cats = cJSON_AddArrayToObject(root, "categories");
    for (size_t i = 0; cats && i < gt->n_categories; i++) {
        cJSON *c = cJSON_CreateObject();
        if (!c || !cJSON_AddItemToArray(cats, c) || !cJSON_AddNumberToObject(c, "id", gt->category_ids[i]) ||
            !cJSON_AddStringToObject(c, "name", gt->category_names[i]) ||
            !cJSON_AddStringToObject(c, "supercategory", "lesion"))
            goto fail;
    }
    if (!classes || !images || !anns || !cats) goto fail;
    if (warnings) {
        cJSON *d = cJSON_AddArrayToObject(root, "disagreements");
        for (size_t i = 0; d && i < warnings->n; i++) {
            const hv_eval_warning *w = &warnings->items[i];
            cJSON *e = cJSON_CreateObject();
            if (!e || !cJSON_AddItemToArray(d, e) ||
                !cJSON_AddStringToObject(e, "kind", hv_eval_warning_kind_name(w->kind)) ||
                !cJSON_AddStringToObject(e, "file_name", w->file_name) || !cJSON_AddStringToObject(e, "detail", w->detail))
                goto fail;
        }
        if (!d) goto fail;
    }
    return root;
fail:
    cJSON_Delete(root);
    return NULL;
}

hv_status hv_eval_gt_write_coco(const hv_eval_gt *gt, const hv_eval_warnings *warnings, const char *path) {
    if (!gt || !path) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_eval_gt_write_coco: NULL argument");
    cJSON *root = gt_json(gt, warnings);
    char *text = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!text) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory formatting the ground truth", path);
    hv_status st = hv_mkdirs_for(path);
    char *tmp = st ? NULL : ev_printf("%s.tmp%ld", path, (long)getpid());
    FILE *f = tmp ? fopen(tmp, "wb") : NULL;
    if (!st && !tmp) st = hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    else if (!st && !f) st = hv_error(HV_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
    if (!st) {
        size_t len = strlen(text);
        int bad = fwrite(text, 1, len, f) != len || fputc('\n', f) == EOF;
        bad |= fclose(f) != 0;
        if (bad) st = hv_error(HV_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
        else if (rename(tmp, path)) st = hv_error(HV_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        if (st) remove(tmp);
    }
    free(tmp);
    free(text);
    return st;
}
