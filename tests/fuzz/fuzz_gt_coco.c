/* Fuzz target: a COCO instances ground truth (hv_eval_gt_read_coco, core/eval/gt_coco_read.c): images
 * with labels, categories, annotations with boxes, crowd flags and RLE or polygon segmentations. What
 * reads is then used as `hemovk eval` uses it — the path-suffix index over its file names — and written
 * back (hv_eval_gt_write_coco) and read again to the same counts. Ground truth is downloaded and
 * converted by other tools: any byte string must give a ground truth or an error with a message. */
#include "fuzz_util.h"

#include "hemovk/eval.h"

static void fail(const char *what) {
    fprintf(stderr, "fuzz_gt_coco: %s (%s)\n", what, hv_last_error());
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    if (!ready) fz_init_common(), ready = 1;
    hv_eval_gt gt;
    hv_status st = hv_eval_gt_read_coco(fz_write("gt.json", data, size), &gt);
    if (st) {
        if (!hv_last_error()[0]) fail("refused without a message");
        return 0;
    }
    for (size_t i = 0; i < gt.n_anns; i++) {
        const hv_eval_ann *a = &gt.anns[i];
        size_t k = 0;
        while (k < gt.n_images && gt.images[k].id != a->image_id) k++;
        if (k == gt.n_images) fail("an annotation of an image that is not listed");
        if (a->segm.n && (a->segm.h != (uint32_t)gt.images[k].height || a->segm.w != (uint32_t)gt.images[k].width))
            fail("a mask of another size than its image");
    }
    hv_eval_name_index *ix = NULL;
    if (!hv_eval_name_index_create(&gt, NULL, &ix)) {
        /* (a name with empty or "." components is not found by itself: components are normalised) */
        for (size_t i = 0; i < gt.n_images; i++) {
            ptrdiff_t k = hv_eval_name_index_find(ix, gt.images[i].file_name);
            if (k >= (ptrdiff_t)gt.n_images) fail("the name index answered past the images");
        }
        hv_eval_name_index_free(ix);
    }
    const char *out = fz_path("written.json");
    if (!hv_eval_gt_write_coco(&gt, NULL, out)) {
        hv_eval_gt again;
        if (hv_eval_gt_read_coco(out, &again)) fail("what hv_eval_gt_write_coco wrote does not read back");
        if (again.n_images != gt.n_images || again.n_anns != gt.n_anns || again.n_categories != gt.n_categories)
            fail("the round trip changed the counts");
        hv_eval_gt_free(&again);
    }
    hv_eval_gt_free(&gt);
    return 0;
}
