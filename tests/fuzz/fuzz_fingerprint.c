/* Fuzz target: the run fingerprint `--resume` reads back (OUT/.hemovk-run.json, core/pipeline/
 * fingerprint.c): the stored JSON is compared with the current run's (hemovk version, the pipeline's
 * canonical lines, the weight files and their sha256) and every difference listed; then the current one
 * is written. Whatever an earlier run, a disk error or a user left in that file must give "same run",
 * a refusal listing what changed, or an error — never a crash. */
#include "fuzz_util.h"

#include "hemovk/config.h"
#include "pipeline/fingerprint.h"

static hv_pipeline g_pipeline;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    if (!ready) {
        fz_init_common();
        static const char doc[] = "version: 1\nname: fuzz\nbatch: 2\nstages:\n  - id: q\n    component: quality\n"
                                  "    params: {min_brightness: 0.1, labels: [a, b]}\noutputs: []\n";
        if (hv_config_load_string(doc, sizeof doc - 1, "fuzz.yaml", &g_pipeline.doc)) abort();
        ready = 1;
    }
    const char *dir = fz_tmpdir();
    fz_write(".hemovk-run.json", data, size);
    hv_status st = pl_fingerprint_apply(&g_pipeline, dir, 1);
    if (st && !hv_last_error()[0]) abort();
    return 0;
}
