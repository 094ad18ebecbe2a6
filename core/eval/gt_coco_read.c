/* hv_eval_gt_read_coco: COCO instances JSON → hv_eval_gt (rules in hemovk/eval.h). Every entry is
 * checked and named in errors by its array index ("images[3]", "annotations[12]"): a ground truth that
 * is silently half-read gives numbers nobody can trust. */
#include "gt_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_int(const cJSON *v) {
    return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) < 9.007199254740992e15;
}

static hv_status read_classes(const cJSON *root, const char *path, hv_eval_gt *gt) {
    const cJSON *cl = cJSON_GetObjectItemCaseSensitive(root, "classes");
    if (!cl) return ev_gt_default_classes(gt);
    if (!cJSON_IsArray(cl) || !cJSON_GetArraySize(cl))
        return hv_error(HV_ERR_SCHEMA, "%s: \"classes\" must be a non-empty array of class names", path);
    const cJSON *e;
    cJSON_ArrayForEach(e, cl) {
        if (!cJSON_IsString(e)) return hv_error(HV_ERR_SCHEMA, "%s: \"classes\" must hold strings", path);
        for (size_t i = 0; i < gt->n_classes; i++)
            if (!strcmp(gt->class_names[i], e->valuestring))
                return hv_error(HV_ERR_SCHEMA, "%s: class '%s' listed twice in \"classes\"", path, e->valuestring);
        hv_status st = ev_gt_add_class(gt, e->valuestring);
        if (st) return st;
    }
    return HV_OK;
}

static hv_status read_categories(const cJSON *root, const char *path, hv_eval_gt *gt) {
    const cJSON *cats = cJSON_GetObjectItemCaseSensitive(root, "categories");
    if (!cats) return HV_OK;
    if (!cJSON_IsArray(cats)) return hv_error(HV_ERR_SCHEMA, "%s: \"categories\" must be an array", path);
    size_t i = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cats) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id"), *name = cJSON_GetObjectItemCaseSensitive(c, "name");
        if (!ev_json_int_in(id, EV_INT32_MIN, EV_INT32_MAX) || !cJSON_IsString(name))
            return hv_error(HV_ERR_SCHEMA, "%s: categories[%zu] needs an integer \"id\" (32-bit) and a string \"name\"", path, i);
        for (size_t k = 0; k < gt->n_categories; k++)
            if (gt->category_ids[k] == (int32_t)id->valuedouble)
                return hv_error(HV_ERR_SCHEMA, "%s: categories[%zu]: id %d used twice", path, i, (int)id->valuedouble);
        hv_status st = ev_gt_add_category(gt, (int32_t)id->valuedouble, name->valuestring);
        if (st) return st;
        i++;
    }
    return HV_OK;
}

/* label: a class name or an index; absent → -2 (decided from the annotations later) */
static hv_status read_label(const cJSON *im, const char *path, size_t i, const hv_eval_gt *gt, int32_t *label) {
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(im, "label");
    if (!l) l = cJSON_GetObjectItemCaseSensitive(im, "class");
    *label = -2;
    if (!l || cJSON_IsNull(l)) return HV_OK;
    if (cJSON_IsString(l)) {
        for (size_t k = 0; k < gt->n_classes; k++)
            if (!strcmp(gt->class_names[k], l->valuestring)) {
                *label = (int32_t)k;
                return HV_OK;
            }
        char *known = ev_list_names((const char *const *)gt->class_names, gt->n_classes, 8);
        hv_status st = hv_error(HV_ERR_SCHEMA, "%s: images[%zu]: label '%s' is not a class (classes: %s)", path, i,
                                l->valuestring, known ? known : "?");
        free(known);
        return st;
    }
    if (is_int(l) && l->valuedouble >= 0 && l->valuedouble < (double)gt->n_classes) {
        *label = (int32_t)l->valuedouble;
        return HV_OK;
    }
    return hv_error(HV_ERR_SCHEMA, "%s: images[%zu]: label must be a class name or an index below %zu", path, i,
                    gt->n_classes);
}

static hv_status read_images(const cJSON *root, const char *path, hv_eval_gt *gt) {
    const cJSON *ims = cJSON_GetObjectItemCaseSensitive(root, "images");
    if (!cJSON_IsArray(ims)) return hv_error(HV_ERR_SCHEMA, "%s: no \"images\" array (not COCO instances JSON?)", path);
    size_t n = (size_t)cJSON_GetArraySize(ims), i = 0;
    if (!(gt->images = calloc(n ? n : 1, sizeof *gt->images)))
        return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    const cJSON *im;
    cJSON_ArrayForEach(im, ims) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(im, "id");
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(im, "file_name");
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(im, "width"), *h = cJSON_GetObjectItemCaseSensitive(im, "height");
        if (!is_int(id) || !cJSON_IsString(fn) || !*fn->valuestring || !is_int(w) || !is_int(h) || w->valuedouble < 1 ||
            h->valuedouble < 1 || w->valuedouble > 1e6 || h->valuedouble > 1e6)
            return hv_error(HV_ERR_SCHEMA,
                            "%s: images[%zu] needs an integer \"id\", a \"file_name\" and positive integer \"width\" "
                            "and \"height\"", path, i);
        hv_eval_image *e = &gt->images[i];
        e->id = (int64_t)id->valuedouble;
        e->width = (int32_t)w->valuedouble;
        e->height = (int32_t)h->valuedouble;
        if (!(e->file_name = ev_strdup(fn->valuestring))) return HV_ERR_OUT_OF_MEMORY;
        gt->n_images = ++i;
        hv_status st = read_label(im, path, i - 1, gt, &e->label);
        if (st) return st;
    }
    return HV_OK;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Ids and file names are keys: a duplicate would make results match the wrong frame. */
static hv_status check_unique(const hv_eval_gt *gt, const char *path, const ev_id_index *ix) {
    for (size_t i = 1; i < ix->n; i++)
        if (ix->pairs[i].id == ix->pairs[i - 1].id)
            return hv_error(HV_ERR_SCHEMA, "%s: image id %lld used twice (images[%zu] and images[%zu])", path,
                            (long long)ix->pairs[i].id, ix->pairs[i - 1].idx, ix->pairs[i].idx);
    char **names = malloc((gt->n_images ? gt->n_images : 1) * sizeof *names);
    if (!names) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    for (size_t i = 0; i < gt->n_images; i++) names[i] = gt->images[i].file_name;
    qsort(names, gt->n_images, sizeof *names, cmp_str);
    hv_status st = HV_OK;
    for (size_t i = 1; !st && i < gt->n_images; i++)
        if (!strcmp(names[i], names[i - 1]))
            st = hv_error(HV_ERR_SCHEMA, "%s: file_name '%s' listed twice in \"images\"", path, names[i]);
    free(names);
    return st;
}

static int find_category(const hv_eval_gt *gt, int32_t id) {
    for (size_t k = 0; k < gt->n_categories; k++)
        if (gt->category_ids[k] == id) return 1;
    return 0;
}

static hv_status read_ann(const cJSON *a, size_t i, const char *path, const ev_id_index *ix, hv_eval_gt *gt,
                          hv_eval_ann *out) {
    char where[600];
    snprintf(where, sizeof where, "%s: annotations[%zu]", path, i);
    const cJSON *iid = cJSON_GetObjectItemCaseSensitive(a, "image_id");
    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(a, "category_id");
    const cJSON *bb = cJSON_GetObjectItemCaseSensitive(a, "bbox");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(a, "id");
    if (!is_int(iid) || !ev_json_int_in(cid, EV_INT32_MIN, EV_INT32_MAX))
        return hv_error(HV_ERR_SCHEMA, "%s needs integer \"image_id\" and \"category_id\" (32-bit)", where);
    ptrdiff_t im = ev_id_index_find(ix, (int64_t)iid->valuedouble);
    if (im < 0) return hv_error(HV_ERR_SCHEMA, "%s: image_id %lld is not in \"images\"", where, (long long)iid->valuedouble);
    out->image_id = (int64_t)iid->valuedouble;
    out->category_id = (int32_t)cid->valuedouble;
    out->id = is_int(id) ? (int64_t)id->valuedouble : (int64_t)i + 1;
    if (!cJSON_IsArray(bb) || cJSON_GetArraySize(bb) != 4)
        return hv_error(HV_ERR_SCHEMA, "%s: \"bbox\" must be [x, y, width, height]", where);
    for (int k = 0; k < 4; k++) {
        const cJSON *v = cJSON_GetArrayItem(bb, k);
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
            return hv_error(HV_ERR_SCHEMA, "%s: \"bbox\" must hold 4 numbers", where);
        out->bbox[k] = v->valuedouble;
    }
    const cJSON *crowd = cJSON_GetObjectItemCaseSensitive(a, "iscrowd");
    if (crowd && !cJSON_IsNull(crowd)) {
        if (!is_int(crowd) && !cJSON_IsBool(crowd)) return hv_error(HV_ERR_SCHEMA, "%s: \"iscrowd\" must be 0 or 1", where);
        out->iscrowd = cJSON_IsBool(crowd) ? cJSON_IsTrue(crowd) : crowd->valuedouble != 0;
    }
    const cJSON *seg = cJSON_GetObjectItemCaseSensitive(a, "segmentation");
    /* an empty polygon list is how some converters say "no mask" */
    if (seg && !cJSON_IsNull(seg) && !(cJSON_IsArray(seg) && !cJSON_GetArraySize(seg))) {
        const hv_eval_image *img = &gt->images[im];
        hv_status st = ev_parse_rle(seg, (uint32_t)img->height, (uint32_t)img->width, where, &out->segm);
        if (st) return st;
    }
    double area;
    int present;
    if (ev_json_number(a, "area", &area, &present)) return hv_error(HV_ERR_SCHEMA, "%s: \"area\" must be a number", where);
    out->area = present ? area : out->segm.n ? (double)hv_rle_area(&out->segm) : out->bbox[2] * out->bbox[3];
    return HV_OK;
}

static hv_status read_annotations(const cJSON *root, const char *path, hv_eval_gt *gt, const ev_id_index *ix) {
    const cJSON *anns = cJSON_GetObjectItemCaseSensitive(root, "annotations");
    if (!anns || cJSON_IsNull(anns)) return HV_OK;
    if (!cJSON_IsArray(anns)) return hv_error(HV_ERR_SCHEMA, "%s: \"annotations\" must be an array", path);
    size_t n = (size_t)cJSON_GetArraySize(anns), i = 0;
    if (!(gt->anns = calloc(n ? n : 1, sizeof *gt->anns))) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    int32_t unknown[8];
    size_t n_unknown = 0, first_unknown = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, anns) {
        hv_status st = read_ann(a, i, path, ix, gt, &gt->anns[i]);
        gt->n_anns = ++i;
        if (st) return st;
        int32_t c = gt->anns[i - 1].category_id;
        if (!find_category(gt, c)) {
            int seen = 0;
            for (size_t k = 0; k < n_unknown && k < 8; k++) seen |= unknown[k] == c;
            if (!seen) {
                if (!n_unknown) first_unknown = i - 1;
                if (n_unknown < 8) unknown[n_unknown] = c;
                n_unknown++;
            }
        }
    }
    if (n_unknown) {
        char list[160] = "";
        size_t at = 0;
        for (size_t k = 0; k < n_unknown && k < 8; k++)
            at += (size_t)snprintf(list + at, sizeof list - at, "%s%d", k ? ", " : "", (int)unknown[k]);
        return hv_error(HV_ERR_SCHEMA, "%s: unknown category id%s %s%s (first in annotations[%zu]); \"categories\" lists %zu",
                        path, n_unknown > 1 ? "s" : "", list, n_unknown > 8 ? " and more" : "", first_unknown,
                        gt->n_categories);
    }
    return HV_OK;
}

/* Images without a label: with two classes, class 0 (bleeding) when they have an instance. */
static void default_labels(hv_eval_gt *gt, const ev_id_index *ix) {
    uint8_t *has = calloc(gt->n_images ? gt->n_images : 1, 1);
    for (size_t i = 0; has && i < gt->n_anns; i++)
        if (!gt->anns[i].iscrowd) has[ev_id_index_find(ix, gt->anns[i].image_id)] = 1;
    for (size_t i = 0; i < gt->n_images; i++)
        if (gt->images[i].label == -2) gt->images[i].label = (gt->n_classes == 2 && has) ? (has[i] ? 0 : 1) : -1;
    free(has);
}

hv_status hv_eval_gt_read_coco(const char *path, hv_eval_gt *out) {
    if (!path || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_eval_gt_read_coco: NULL argument");
    memset(out, 0, sizeof *out);
    char *text = NULL;
    cJSON *root = NULL;
    ev_id_index ix = {0};
    hv_status st = ev_read_text(path, "ground truth", &text, NULL);
    if (!st) st = ev_json_parse(text, path, 1, &root);
    free(text);
    if (!st && !cJSON_IsObject(root))
        st = hv_error(HV_ERR_SCHEMA, "%s: a COCO ground truth is a JSON object with \"images\"", path);
    if (!st && !(out->source = ev_strdup(path))) st = HV_ERR_OUT_OF_MEMORY;
    if (!st) st = read_classes(root, path, out);
    if (!st) st = read_categories(root, path, out);
    if (!st) st = read_images(root, path, out);
    if (!st) st = ev_id_index_build(out, &ix);
    if (!st) st = check_unique(out, path, &ix);
    if (!st) st = read_annotations(root, path, out, &ix);
    if (!st) default_labels(out, &ix);
    ev_id_index_free(&ix);
    cJSON_Delete(root);
    if (st) hv_eval_gt_free(out);
    return st;
}
