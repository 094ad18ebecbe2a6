/* PNG decoding with stb_image compiled here, PNG only (STBI_ONLY_PNG). Debian's libstb.so holds every
 * stb loader (GIF, PSD, HDR, PNM, ... and a JPEG decoder a fuzzer broke: see decode_jpeg.c), and
 * stbi_load picks one by content, so frames never go through it: this private copy (STB_IMAGE_STATIC,
 * nothing exported) can reach no other format. Callers have checked the header (image_format.c)
 * against the size limits before calling. */
#include "io/decoders.h"

#include <stdlib.h>
#include <string.h>

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_MAX_DIMENSIONS HV_IMAGE_MAX_SIDE
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#include <stb_image.h>
#pragma GCC diagnostic pop
/* STBI_ONLY_PNG leaves stb's GIF entry point declared static but never defined; that warning comes at
 * the end of the file, so it stays off for the whole (small) file. */
#pragma GCC diagnostic ignored "-Wunused-function"

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* The chunk list, walked before stb sees the file, up to IEND (bytes after it are ignored, as stb does):
 *  - a chunk whose length runs past the end of the file is refused: stb grows its IDAT buffer to the
 *    length a chunk *claims* before reading it, so a 100-byte file could make it allocate 2 GiB, past
 *    any decode budget (found by tests/fuzz/fuzz_image.c). Every IDAT then fits in the file, and stb's
 *    buffer of them in twice its size;
 *  - stb appends each IDAT with `idata + ioff`, which for an empty IDAT before any data is arithmetic on
 *    a NULL pointer: undefined behaviour (UBSan stops there; also found by the fuzzer). An empty IDAT is
 *    legal and carries nothing, so such a file is decoded from a copy without it (*copy, *copy_n).
 * A list that ends, whole, without IEND is left for stb to refuse ("outofdata"). */
static hv_status check_chunks(const uint8_t *p, size_t size, const char *name, uint8_t **copy, size_t *copy_n) {
    *copy = NULL;
    int empty_idat = 0;
    size_t i = 8;
    while (size - i >= 8) { /* a chunk's length and type: stb reads on from there */
        uint32_t len = be32(p + i);
        if (size - i < 12 || len > size - i - 12) /* its data and CRC must be in the file */
            return hv_error(HV_ERR_DECODE, "%s: PNG chunk '%.4s' at byte %zu claims %u bytes, past the end of the %zu-byte "
                            "file: corrupt or cut short", name, (const char *)(p + i + 4), i, len, size);
        if (!memcmp(p + i + 4, "IEND", 4)) break;
        if (len == 0 && !memcmp(p + i + 4, "IDAT", 4)) empty_idat = 1;
        i += 12 + (size_t)len;
    }
    if (!empty_idat) return HV_OK;
    uint8_t *c = malloc(size);
    if (!c) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory (%zu bytes)", name, size);
    memcpy(c, p, 8);
    size_t o = 8;
    for (i = 8; size - i >= 12;) {
        size_t n = 12 + (size_t)be32(p + i); /* within the file: checked above, up to IEND */
        int iend = !memcmp(p + i + 4, "IEND", 4);
        if (!(n == 12 && !memcmp(p + i + 4, "IDAT", 4))) memcpy(c + o, p + i, n), o += n;
        i += n;
        if (iend) break;
    }
    memcpy(c + o, p + i, size - i); /* whatever follows, as it was */
    *copy = c;
    *copy_n = o + (size - i);
    return HV_OK;
}

hv_status hv_io_decode_png(const uint8_t *data, size_t size, const char *name, hv_image *out) {
    if (size > (size_t)INT32_MAX) return hv_error(HV_ERR_DECODE, "%s: file too large (%zu bytes)", name, size);
    if (size < 8) return hv_error(HV_ERR_DECODE, "%s: PNG cut short (%zu bytes)", name, size);
    size_t clean_n = 0;
    uint8_t *clean = NULL;
    hv_status st = check_chunks(data, size, name, &clean, &clean_n);
    if (st) return st;
    if (clean) data = clean, size = clean_n;
    int w = 0, h = 0, comp = 0;
    unsigned char *px = stbi_load_from_memory(data, (int)size, &w, &h, &comp, 3);
    free(clean);
    if (!px)
        return hv_error(HV_ERR_DECODE, "%s: PNG decoding failed (%s): the file is corrupt or cut short", name,
                        stbi_failure_reason());
    out->width = w;
    out->height = h;
    out->rgb = px; /* stb allocates with malloc: hv_image_free's free() matches */
    return HV_OK;
}
