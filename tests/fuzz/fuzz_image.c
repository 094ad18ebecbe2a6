/* Fuzz target: frame decoding (hemovk/image.h) — the header probe (hv_image_probe_memory: format by
 * magic bytes, PNG IHDR, JPEG markers up to the frame header, the limits) and the decoders behind it
 * (stb_image built PNG-only, libjpeg-turbo) through hv_image_decode_memory. Frames are untrusted: any
 * byte string must be an image of the size its header gave or an HV_ERR_DECODE with a message. The decode
 * budget is small (8 MiB) so the fuzzer spends its time on parsing, not on allocating huge frames; the
 * limits themselves are checked by the probe on every input. */
#include "fuzz_util.h"

#include "hemovk/image.h"

#define FZ_BUDGET (8u << 20)

static void fail(const char *what) {
    fprintf(stderr, "fuzz_image: %s (%s)\n", what, hv_last_error());
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    if (!ready) fz_init_common(), ready = 1;
    hv_image_header h;
    hv_status probed = hv_image_probe_memory(data, size, "fuzz", &h);
    if (probed) {
        if (probed != HV_ERR_DECODE || !hv_last_error()[0]) fail("probe refused without HV_ERR_DECODE and a message");
    } else {
        if ((h.format != HV_IMAGE_PNG && h.format != HV_IMAGE_JPEG) || h.width <= 0 || h.height <= 0 ||
            h.width > HV_IMAGE_MAX_SIDE || h.height > HV_IMAGE_MAX_SIDE ||
            (uint64_t)h.width * (uint64_t)h.height > HV_IMAGE_MAX_PIXELS || !h.decode_bytes)
            fail("probe accepted a header past the limits");
    }
    hv_image img;
    hv_status st = hv_image_decode_memory(data, size, "fuzz", FZ_BUDGET, &img);
    if (st) {
        if (st != HV_ERR_DECODE || !hv_last_error()[0]) fail("decode failed without HV_ERR_DECODE and a message");
        if (img.rgb || img.width || img.height) fail("a failed decode left an image");
        return 0;
    }
    if (probed) fail("decoded what the probe refused");
    if (img.width != h.width || img.height != h.height || !img.rgb) fail("decoded size differs from the header's");
    /* every pixel readable (ASan checks the whole buffer is the decoder's) */
    unsigned sum = 0;
    size_t n = (size_t)img.width * (size_t)img.height * 3;
    for (size_t i = 0; i < n; i += 61) sum += img.rgb[i];
    sum += img.rgb[n - 1];
    volatile unsigned sink = sum;
    (void)sink;
    hv_image_free(&img);
    return 0;
}
