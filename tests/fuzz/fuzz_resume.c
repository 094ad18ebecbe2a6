/* Fuzz target: `hemovk run --resume` reading the results.jsonl an earlier, possibly killed, run left
 * (pl_resume_scan, core/pipeline/resume.c): lines of JSON records whose key or path names a finished
 * frame, a torn last line cut off the file, damaged lines in the middle skipped. A disk full or a kill
 * leaves any bytes there: they must give a set of frames or an error, never a crash — and the file must
 * be left as a prefix of itself, ending at a line's end. */
#include "fuzz_util.h"

#include "pipeline/resume.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    if (!ready) fz_init_common(), ready = 1;
    const char *path = fz_write("results.jsonl", data, size);
    pl_path_set done = {0};
    int torn = 0;
    hv_status st = pl_resume_scan(path, &done, &torn);
    if (st && !hv_last_error()[0]) abort();
    struct stat sb;
    if (stat(path, &sb) != 0 || (uint64_t)sb.st_size > size) abort();
    if (torn && sb.st_size > 0 && data[sb.st_size - 1] != '\n') abort(); /* cut at a line's end */
    if (!torn && (size_t)sb.st_size != size) abort();                     /* left alone */
    for (size_t i = 0; i < done.cap; i++)
        if (done.slots[i] && !pl_path_set_has(&done, done.slots[i])) abort();
    pl_path_set_free(&done);
    return 0;
}
