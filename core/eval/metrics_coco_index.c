/* Grouping of ground truth and detections into COCOeval's (category, image) cells, with the input
 * checks the evaluation relies on. pycocotools keeps the cells in dicts; a counting sort over
 * k·I + image rank gives the same per-cell lists (input order kept) in O(n) and one allocation each. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/metrics_internal.h"

long hvm_find_i32(const int32_t *v, size_t n, int32_t id) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && v[lo] == id ? (long)lo : -1;
}

typedef struct id_at {
    int64_t id;
    size_t at;
} id_at;

static int cmp_id_at(const void *a, const void *b) {
    const id_at *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* Rank of image id `id` among the sorted ids, or −1. */
static long find_image(const id_at *ids, size_t n, int64_t id) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (ids[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && ids[lo].id == id ? (long)lo : -1;
}

void hvm_cells_free(hvm_cells *c) {
    if (!c) return;
    free(c->img_of_rank);
    free(c->rank_of_img);
    free(c->gt_off);
    free(c->gt_idx);
    free(c->dt_off);
    free(c->dt_idx);
    memset(c, 0, sizeof *c);
}

static int finite4(const double *b) { return isfinite(b[0]) && isfinite(b[1]) && isfinite(b[2]) && isfinite(b[3]); }

/* Counting sort of n entries by key[i] (SIZE_MAX: skipped) into off[C+1] / idx. */
static void group(const size_t *key, size_t n, size_t C, size_t *off, size_t *idx) {
    memset(off, 0, (C + 1) * sizeof *off);
    for (size_t i = 0; i < n; ++i)
        if (key[i] != SIZE_MAX) ++off[key[i] + 1];
    for (size_t c = 0; c < C; ++c) off[c + 1] += off[c];
    for (size_t i = 0; i < n; ++i)
        if (key[i] != SIZE_MAX) idx[off[key[i]]++] = i;
    for (size_t c = C; c > 0; --c) off[c] = off[c - 1]; /* the fill advanced each start to the next one's */
    off[0] = 0;
}

hv_status hvm_cells_build(const hv_eval_gt *gt, const hv_eval_results *res, const int32_t *cat_ids, size_t K,
                          int need_gt_masks, int need_dt_masks, hvm_cells *out) {
    memset(out, 0, sizeof *out);
    const size_t I = gt->n_images, na = gt->n_anns, nd = res->n_dets;
    out->K = K;
    out->I = I;
    out->C = K * I;
    out->cat_ids = cat_ids;
    hv_status st = HV_OK;
    id_at *ids = malloc((I ? I : 1) * sizeof *ids);
    size_t *akey = malloc((na ? na : 1) * sizeof *akey), *dkey = malloc((nd ? nd : 1) * sizeof *dkey);
    out->img_of_rank = malloc((I ? I : 1) * sizeof *out->img_of_rank);
    out->rank_of_img = malloc((I ? I : 1) * sizeof *out->rank_of_img);
    out->gt_off = malloc((out->C + 1) * sizeof *out->gt_off);
    out->dt_off = malloc((out->C + 1) * sizeof *out->dt_off);
    out->gt_idx = malloc((na ? na : 1) * sizeof *out->gt_idx);
    out->dt_idx = malloc((nd ? nd : 1) * sizeof *out->dt_idx);
    if (!ids || !akey || !dkey || !out->img_of_rank || !out->rank_of_img || !out->gt_off || !out->dt_off ||
        !out->gt_idx || !out->dt_idx) {
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "COCO eval: out of memory indexing %zu images, %zu annotations, %zu detections",
                      I, na, nd);
        goto done;
    }
    for (size_t i = 0; i < I; ++i) ids[i] = (id_at){gt->images[i].id, i};
    qsort(ids, I, sizeof *ids, cmp_id_at);
    for (size_t i = 0; i < I; ++i) {
        if (i > 0 && ids[i].id == ids[i - 1].id) {
            st = hv_error(HV_ERR_INVALID_ARGUMENT, "COCO eval: image id %lld appears twice in the ground truth (images %zu and %zu)",
                          (long long)ids[i].id, ids[i - 1].at, ids[i].at);
            goto done;
        }
        out->img_of_rank[i] = ids[i].at;
        out->rank_of_img[ids[i].at] = i;
    }
    char what[96];
    /* Annotations of images or categories outside the lists are not evaluated (getAnnIds filters them). */
    for (size_t i = 0; i < na; ++i) {
        const hv_eval_ann *a = &gt->anns[i];
        const long r = find_image(ids, I, a->image_id), k = hvm_find_i32(cat_ids, K, a->category_id);
        akey[i] = r < 0 || k < 0 ? SIZE_MAX : (size_t)k * I + (size_t)r;
        if (akey[i] == SIZE_MAX) continue;
        if (!finite4(a->bbox) || isnan(a->area)) {
            st = hv_error(HV_ERR_INVALID_ARGUMENT, "COCO eval: annotation %zu (id %lld) has a non-finite bbox or a NaN area",
                          i, (long long)a->id);
            goto done;
        }
        if (need_gt_masks) {
            snprintf(what, sizeof what, "COCO eval: annotation %zu (id %lld)", i, (long long)a->id);
            if ((st = hvm_rle_check(&a->segm, what))) goto done;
        }
    }
    /* A detection on an unknown image is an error (loadRes asserts); an unknown category is skipped. */
    for (size_t i = 0; i < nd; ++i) {
        const hv_eval_det *d = &res->dets[i];
        const long r = find_image(ids, I, d->image_id);
        if (r < 0) {
            st = hv_error(HV_ERR_INVALID_ARGUMENT,
                          "COCO eval: detection %zu is on image id %lld, which is not in the ground truth (%s)", i,
                          (long long)d->image_id, gt->source ? gt->source : "in memory");
            goto done;
        }
        const long k = hvm_find_i32(cat_ids, K, d->category_id);
        dkey[i] = k < 0 ? SIZE_MAX : (size_t)k * I + (size_t)r;
        if (dkey[i] == SIZE_MAX) continue;
        if (isnan(d->score) || !finite4(d->bbox)) {
            st = hv_error(HV_ERR_INVALID_ARGUMENT, "COCO eval: detection %zu (image id %lld) has a NaN score or a non-finite bbox",
                          i, (long long)d->image_id);
            goto done;
        }
        if (need_dt_masks) {
            snprintf(what, sizeof what, "COCO eval: detection %zu (image id %lld)", i, (long long)d->image_id);
            if ((st = hvm_rle_check(&d->segm, what))) goto done;
        }
    }
    group(akey, na, out->C, out->gt_off, out->gt_idx);
    group(dkey, nd, out->C, out->dt_off, out->dt_idx);
done:
    free(ids);
    free(akey);
    free(dkey);
    if (st) hvm_cells_free(out);
    return st;
}
