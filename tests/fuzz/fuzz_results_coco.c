/* Fuzz target: COCO results as `hemovk eval` reads them (hv_eval_results_read_coco, core/eval/
 * results_coco.c): a JSON list of {image_id, category_id, bbox, score, segmentation} and, when the input
 * holds a NUL byte, what follows it as writer.coco's <prefix>.images.json beside <prefix>.bbox.json (its
 * own image ids mapped to the ground truth through file names). Any byte string must give results or an
 * error with a message, never a crash. */
#include "fuzz_eval_gt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    if (!ready) fz_init_common(), fz_gt_load(), ready = 1;
    const uint8_t *nul = memchr(data, 0, size);
    const char *path;
    if (nul) {
        fz_write("r.images.json", nul + 1, size - (size_t)(nul + 1 - data));
        path = fz_write("r.bbox.json", data, (size_t)(nul - data));
    } else {
        fz_remove("r.images.json");
        path = fz_write("r.json", data, size);
    }
    hv_eval_results r;
    hv_status st = hv_eval_results_read_coco(path, &fz_gt, NULL, &r);
    if (st) {
        if (!hv_last_error()[0]) abort();
        return 0;
    }
    fz_check_results(&r);
    hv_eval_results_free(&r);
    return 0;
}
