/* The ground truth the results fuzz targets read results against (tests/eval/test_results_read.c's):
 * three frames of the WCEBleedGen layout, two classes, one detection category. */
#ifndef HEMOVK_FUZZ_EVAL_GT_H
#define HEMOVK_FUZZ_EVAL_GT_H

#include "fuzz_util.h"

#include "hemovk/eval.h"

static const char fz_gt_json[] =
    "{\"images\": [{\"id\": 1, \"file_name\": \"bleeding/Images/img- (1).png\", \"width\": 4, \"height\": 3},"
    " {\"id\": 2, \"file_name\": \"non-bleeding/images/img- (1).png\", \"width\": 4, \"height\": 3, \"label\": \"non-bleeding\"},"
    " {\"id\": 3, \"file_name\": \"bleeding/Images/img- (12).png\", \"width\": 4, \"height\": 3}],"
    " \"annotations\": [{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 2, 2]},"
    "  {\"id\": 2, \"image_id\": 3, \"category_id\": 1, \"bbox\": [1, 1, 2, 2]}],"
    " \"categories\": [{\"id\": 1, \"name\": \"bleeding\"}]}";

static hv_eval_gt fz_gt;

static void fz_gt_load(void) {
    if (hv_eval_gt_read_coco(fz_write("gt.json", fz_gt_json, sizeof fz_gt_json - 1), &fz_gt)) {
        fprintf(stderr, "fuzz: the fixed ground truth does not read: %s\n", hv_last_error());
        abort();
    }
}

/* What every reader promises about what it returns: detections and classifications name GT images, and
 * a mask is the frame's size. */
static void fz_check_results(const hv_eval_results *r) {
    for (size_t i = 0; i < r->n_dets; i++) {
        const hv_eval_det *d = &r->dets[i];
        size_t k = 0;
        while (k < fz_gt.n_images && fz_gt.images[k].id != d->image_id) k++;
        if (k == fz_gt.n_images) abort();
        if (d->segm.n && (d->segm.h != (uint32_t)fz_gt.images[k].height || d->segm.w != (uint32_t)fz_gt.images[k].width))
            abort();
        uint64_t sum = 0;
        for (size_t c = 0; c < d->segm.n; c++) sum += d->segm.counts[c];
        if (d->segm.n && sum != (uint64_t)d->segm.h * d->segm.w) abort(); /* runs cover the frame exactly */
        (void)hv_rle_area(&d->segm);
    }
    for (size_t i = 0; i < r->n_cls; i++)
        if (r->cls[i].predicted >= (int32_t)fz_gt.n_classes) abort();
}

#endif
