/* hv_eval_results_read_coco: a COCO results list (writer.coco's <prefix>.bbox.json / .segm.json, or any
 * pycocotools loadRes input) against a ground truth. Image ids are the ground truth's unless writer.coco
 * wrote its own numbering, which it then lists in <prefix>.images.json: those ids go through file names. */
#include "results_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* <prefix>.images.json for <prefix>.bbox.json / <prefix>.segm.json, when it exists; NULL otherwise. */
static char *images_sidecar(const char *path) {
    size_t n = strlen(path);
    const char *sfx[] = {".bbox.json", ".segm.json"};
    for (int i = 0; i < 2; i++) {
        size_t k = strlen(sfx[i]);
        if (n > k && !strcmp(path + n - k, sfx[i])) {
            char *p = ev_printf("%.*s.images.json", (int)(n - k), path);
            if (p && ev_is_file(p)) return p;
            free(p);
        }
    }
    return NULL;
}

/* Map the sidecar's ids to GT images: id_map pairs (their id → GT image index). */
static hv_status read_sidecar(const char *side, const hv_eval_gt *gt, const hv_eval_results_options *opt, ev_id_index *map) {
    char *text = NULL;
    cJSON *root = NULL;
    hv_eval_name_index *names = NULL;
    ev_namelist missing = {0};
    memset(map, 0, sizeof *map);
    hv_status st = ev_read_text(side, "results image list", &text, NULL);
    if (!st) st = ev_json_parse(text, side, 1, &root);
    free(text);
    if (!st && !cJSON_IsArray(root)) st = hv_error(HV_ERR_SCHEMA, "%s: expected a list of {id, file_name}", side);
    if (!st) st = hv_eval_name_index_create(gt, opt ? opt->root : NULL, &names);
    size_t n = root ? (size_t)cJSON_GetArraySize(root) : 0, i = 0;
    if (!st && !(map->pairs = malloc((n ? n : 1) * sizeof *map->pairs)))
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", side);
    const cJSON *e, *items = st ? NULL : root;
    cJSON_ArrayForEach(e, items) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(e, "file_name");
        if (!ev_json_int_in(id, -EV_ID_MAX, EV_ID_MAX) || !cJSON_IsString(fn)) {
            st = hv_error(HV_ERR_SCHEMA, "%s: [%zu] needs an integer \"id\" and a \"file_name\"", side, i);
            break;
        }
        ptrdiff_t k = hv_eval_name_index_find(names, fn->valuestring);
        if (k < 0 && (st = ev_namelist_add(&missing, fn->valuestring))) break;
        if (k >= 0) map->pairs[map->n++] = (ev_id_pair){(int64_t)id->valuedouble, (size_t)k};
        i++;
    }
    if (!st && missing.n) {
        char *list = ev_namelist_text(&missing);
        st = hv_error(HV_ERR_NOT_FOUND, "%s: %zu result frames are not in the ground truth %s: %s", side, missing.n,
                      gt->source ? gt->source : "", list ? list : "?");
        free(list);
    }
    /* sort the pairs by id for ev_id_index_find */
    for (size_t a = 1; !st && a < map->n; a++)
        for (size_t b = a; b > 0 && map->pairs[b - 1].id > map->pairs[b].id; b--) {
            ev_id_pair t = map->pairs[b];
            map->pairs[b] = map->pairs[b - 1];
            map->pairs[b - 1] = t;
        }
    ev_namelist_free(&missing);
    hv_eval_name_index_free(names);
    cJSON_Delete(root);
    if (st) ev_id_index_free(map);
    return st;
}

static int known_category(const hv_eval_gt *gt, int32_t c) {
    for (size_t k = 0; k < gt->n_categories; k++)
        if (gt->category_ids[k] == c) return 1;
    return 0;
}

/* One entry into *d; *keep = 0 when it names an unknown image or category (collected for one error). */
static hv_status read_entry(const cJSON *e, size_t i, const char *path, const hv_eval_gt *gt, const ev_id_index *ids,
                            hv_eval_det *d, int *keep, ev_namelist *bad_ids, ev_namelist *bad_cats) {
    *keep = 0;
    char where[4200];
    snprintf(where, sizeof where, "%s: [%zu]", path, i);
    const cJSON *iid = cJSON_GetObjectItemCaseSensitive(e, "image_id");
    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(e, "category_id");
    const cJSON *bb = cJSON_GetObjectItemCaseSensitive(e, "bbox");
    const cJSON *score = cJSON_GetObjectItemCaseSensitive(e, "score");
    /* integers in range before they become int64/int32: converting a double outside a type's range is
     * undefined behaviour (found by tests/fuzz/fuzz_results_coco.c with "category_id": 1.3e70) */
    if (!ev_json_int_in(iid, -EV_ID_MAX, EV_ID_MAX) || !ev_json_int_in(cid, EV_INT32_MIN, EV_INT32_MAX) ||
        !cJSON_IsNumber(score) || !isfinite(score->valuedouble))
        return hv_error(HV_ERR_SCHEMA, "%s needs integers \"image_id\" and \"category_id\" (32-bit) and a number \"score\"",
                        where);
    ptrdiff_t im = ev_id_index_find(ids, (int64_t)iid->valuedouble);
    char name[64];
    if (im < 0) {
        snprintf(name, sizeof name, "%lld", (long long)iid->valuedouble);
        return ev_namelist_add(bad_ids, name);
    }
    const hv_eval_image *img = &gt->images[im];
    d->image_id = img->id;
    d->category_id = (int32_t)cid->valuedouble;
    d->score = score->valuedouble;
    if (!known_category(gt, d->category_id)) {
        snprintf(name, sizeof name, "%d", (int)d->category_id);
        /* each unknown category named once. (Counting a repeat used to bump n without storing a name, so a
         * later, different category compared against a NULL slot: found by tests/fuzz/fuzz_results_coco.c.) */
        int seen = 0;
        for (size_t k = 0; k < bad_cats->n && k < 5; k++) seen |= bad_cats->names[k] && !strcmp(bad_cats->names[k], name);
        return seen ? HV_OK : ev_namelist_add(bad_cats, name);
    }
    const cJSON *seg = cJSON_GetObjectItemCaseSensitive(e, "segmentation");
    if (seg && !cJSON_IsNull(seg)) {
        char w2[4400];
        snprintf(w2, sizeof w2, "%s (frame '%s')", where, img->file_name);
        hv_status st = ev_parse_rle(seg, (uint32_t)img->height, (uint32_t)img->width, w2, &d->segm);
        if (st) return st;
    }
    if (cJSON_IsArray(bb) && cJSON_GetArraySize(bb) == 4) {
        for (int k = 0; k < 4; k++) {
            const cJSON *v = cJSON_GetArrayItem(bb, k);
            if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
                return hv_error(HV_ERR_SCHEMA, "%s: \"bbox\" must hold 4 numbers", where);
            d->bbox[k] = v->valuedouble;
        }
    } else if (!d->segm.n) {
        return hv_error(HV_ERR_SCHEMA, "%s: needs \"bbox\" [x, y, w, h] or a \"segmentation\"", where);
    }
    *keep = 1;
    return HV_OK;
}

hv_status hv_eval_results_read_coco(const char *path, const hv_eval_gt *gt, const hv_eval_results_options *options,
                                    hv_eval_results *out) {
    if (!path || !gt || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_eval_results_read_coco: NULL argument");
    memset(out, 0, sizeof *out);
    char *text = NULL, *side = images_sidecar(path);
    cJSON *root = NULL;
    ev_id_index ids = {0};
    ev_namelist bad_ids = {0}, bad_cats = {0};
    hv_status st = ev_read_text(path, "results", &text, NULL);
    if (!st) st = ev_json_parse(text, path, 1, &root);
    free(text);
    if (!st && !cJSON_IsArray(root))
        st = hv_error(HV_ERR_SCHEMA, "%s: COCO results are a JSON list of {image_id, category_id, bbox, score}", path);
    if (!st && !(out->source = ev_strdup(path))) st = HV_ERR_OUT_OF_MEMORY;
    if (!st) st = side ? read_sidecar(side, gt, options, &ids) : ev_id_index_build(gt, &ids);
    size_t n = root ? (size_t)cJSON_GetArraySize(root) : 0, i = 0;
    if (!st && !(out->dets = calloc(n ? n : 1, sizeof *out->dets)))
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    const cJSON *e, *items = st ? NULL : root;
    cJSON_ArrayForEach(e, items) {
        hv_eval_det *d = &out->dets[out->n_dets];
        int keep = 0;
        st = read_entry(e, i++, path, gt, &ids, d, &keep, &bad_ids, &bad_cats);
        if (!st && keep) out->n_dets++;
        else hv_rle_free(&d->segm);
        if (st) break;
    }
    if (!st && bad_ids.n) {
        char *list = ev_namelist_text(&bad_ids);
        st = hv_error(HV_ERR_NOT_FOUND, "%s: %zu results name image ids the ground truth %s does not have: %s%s", path,
                      bad_ids.n, gt->source ? gt->source : "", list ? list : "?",
                      side ? "" : " (no <prefix>.images.json beside the file to map ids through file names)");
        free(list);
    }
    if (!st && bad_cats.n) {
        char *list = ev_namelist_text(&bad_cats);
        st = hv_error(HV_ERR_SCHEMA, "%s: unknown categor%s %s (the ground truth has %zu)", path,
                      bad_cats.n > 1 ? "ies" : "y", list ? list : "?", gt->n_categories);
        free(list);
    }
    ev_namelist_free(&bad_ids);
    ev_namelist_free(&bad_cats);
    ev_id_index_free(&ids);
    free(side);
    cJSON_Delete(root);
    if (st) hv_eval_results_free(out);
    return st;
}
