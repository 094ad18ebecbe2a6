/* Fuzz target: results.jsonl as `hemovk eval` reads it (hv_eval_results_read_jsonl, core/eval/
 * results_jsonl.c and results_labels.c): one JSON object a line, frames matched to the ground truth by
 * path suffix, classifications with label names and probabilities, detections with boxes, model tags and
 * RLE masks. Read twice: with the defaults (label order inferred, the ensemble's detections) and with
 * --model and --labels given. Results folders are shared and edited by hand: any byte string must give
 * results or an error with a message, never a crash. */
#include "fuzz_eval_gt.h"

static void read_once(const char *path, const hv_eval_results_options *opt) {
    hv_eval_results r;
    hv_status st = hv_eval_results_read_jsonl(path, &fz_gt, opt, &r);
    if (st) {
        if (!hv_last_error()[0]) abort();
        return;
    }
    fz_check_results(&r);
    (void)hv_eval_results_check_coverage(&r, &fz_gt);
    hv_eval_results_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    if (!ready) fz_init_common(), fz_gt_load(), ready = 1;
    const char *path = fz_write("results.jsonl", data, size);
    read_once(path, NULL);
    hv_eval_results_options opt = {.model = "seg_a", .labels = "non-bleeding,bleeding", .root = "data"};
    read_once(path, &opt);
    return 0;
}
