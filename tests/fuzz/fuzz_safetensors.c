/* Fuzz target: the safetensors reader (core/weights/safetensors.c) — header length, UTF-8, the JSON
 * header (cJSON), dtypes, shapes, offsets, overlaps — on the bytes as a file would hold them
 * (hv_safetensors_parse_memory: hv_weights_open's checks without the mmap). What it accepts is then
 * used as a model would use it: every tensor found by name and converted to f32, the metadata looked
 * up, and the set written back out (hv_weights_save) and read again with the same tensors. Weight files
 * come from the internet: any byte string must be a set or an error with a message, never a crash. */
#include "fuzz_util.h"

#include "hemovk/weights.h"
#include "weights/safetensors_mem.h"

static void fail(const char *what) {
    fprintf(stderr, "fuzz_safetensors: %s (%s)\n", what, hv_last_error());
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    if (!ready) fz_init_common(), ready = 1;
    hv_weights *w = NULL;
    hv_status st = hv_safetensors_parse_memory("fuzz.safetensors", data, size, &w);
    if (st) {
        if (!hv_last_error()[0]) fail("refused without a message");
        return 0;
    }
    size_t n = hv_weights_count(w);
    for (size_t i = 0; i < n; i++) {
        hv_weight_info info;
        if (hv_weights_info_at(w, i, &info)) fail("info_at of a listed tensor");
        hv_weight_info again;
        if (hv_weights_find(w, info.name, &again) || again.nbytes != info.nbytes) fail("find of a listed tensor");
        if (info.numel > 0 && info.numel <= (1 << 16)) {
            float *dst = malloc((size_t)info.numel * sizeof *dst);
            if (!dst) abort();
            if (hv_weights_read_f32(w, info.name, dst, (size_t)info.numel)) fail("read_f32 at the right count");
            free(dst);
        }
    }
    (void)hv_weights_metadata(w, "format");
    (void)hv_weights_find(w, "no.such.tensor", NULL);
    /* round trip: what was accepted is written out and read back with the same tensors */
    const char *path = fz_path("out.safetensors");
    if (n && !hv_weights_save(w, path)) {
        FILE *f = fopen(path, "rb");
        if (!f) fail("reopen the saved file");
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
        if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) abort();
        fclose(f);
        hv_weights *w2 = NULL;
        if (hv_safetensors_parse_memory("saved.safetensors", buf, (size_t)len, &w2)) fail("read back what was saved");
        if (hv_weights_count(w2) != n) fail("saved set has another tensor count");
        hv_weights_free(w2);
        free(buf);
    }
    hv_weights_free(w);
    return 0;
}
