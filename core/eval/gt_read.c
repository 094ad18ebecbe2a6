/* hv_eval_gt_read: one entry point for "ground truth" on the command line — the release folder or a
 * COCO file — and hv_eval_gt_filter, which the split uses. */
#include "gt_internal.h"

#include <stdlib.h>
#include <string.h>

hv_status hv_eval_gt_read(const char *path, hv_eval_gt *out, hv_eval_warnings *warnings) {
    if (!path || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_eval_gt_read: NULL argument");
    if (ev_is_dir(path)) return hv_eval_gt_read_wcebleedgen(path, NULL, out, warnings);
    memset(out, 0, sizeof *out);
    if (!ev_is_file(path)) return hv_error(HV_ERR_NOT_FOUND, "ground truth %s: no such file or folder", path);
    return hv_eval_gt_read_coco(path, out);
}

hv_status hv_eval_gt_filter(hv_eval_gt *gt, const uint8_t *keep) {
    if (!gt || !keep) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_eval_gt_filter: NULL argument");
    ev_id_index ix;
    hv_status st = ev_id_index_build(gt, &ix);
    if (st) return st;
    size_t k = 0;
    for (size_t i = 0; i < gt->n_anns; i++) {
        ptrdiff_t im = ev_id_index_find(&ix, gt->anns[i].image_id);
        if (im >= 0 && keep[im]) gt->anns[k++] = gt->anns[i];
        else hv_rle_free(&gt->anns[i].segm);
    }
    gt->n_anns = k;
    ev_id_index_free(&ix);
    k = 0;
    for (size_t i = 0; i < gt->n_images; i++) {
        if (keep[i]) gt->images[k++] = gt->images[i];
        else free(gt->images[i].file_name);
    }
    gt->n_images = k;
    return HV_OK;
}

hv_status hv_eval_gt_load(const char *path, const char *split, const char *split_file, int verify,
                          const hv_eval_layout_options *options, hv_eval_gt *out, hv_eval_warnings *warnings) {
    if (!path || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_eval_gt_load: NULL argument");
    memset(out, 0, sizeof *out);
    const int folder = ev_is_dir(path);
    if (verify && !folder)
        return hv_error(HV_ERR_INVALID_ARGUMENT,
                        "--verify needs the WCEBleedGen folder as ground truth (a COCO file does not say where its frames "
                        "are)");
    if (verify && !split) return hv_error(HV_ERR_INVALID_ARGUMENT, "--verify checks the frames of a split: give --split");
    hv_status st = folder ? hv_eval_gt_read_wcebleedgen(path, options, out, warnings) : hv_eval_gt_read(path, out, warnings);
    if (st || !split) return st;
    char def[4096];
    if (!split_file) {
        if ((st = hv_eval_split_default_path(def, sizeof def))) {
            hv_eval_gt_free(out);
            return st;
        }
        split_file = def;
    }
    hv_eval_split sp;
    st = hv_eval_split_read(split_file, &sp);
    if (!st) st = hv_eval_gt_apply_split(out, &sp, split, verify ? path : NULL);
    if (!st) st = hv_eval_warnings_restrict(warnings, out);
    hv_eval_split_free(&sp);
    if (st) hv_eval_gt_free(out);
    return st;
}
