/* PNG decoding with stb_image compiled here, PNG only (STBI_ONLY_PNG). Debian's libstb.so holds every
 * stb loader (GIF, PSD, HDR, PNM, ... and a JPEG decoder a fuzzer broke: see decode_jpeg.c), and
 * stbi_load picks one by content, so frames never go through it: this private copy (STB_IMAGE_STATIC,
 * nothing exported) can reach no other format. Callers have checked the header (image_format.c)
 * against the size limits before calling. */
#include "io/decoders.h"

#include <stdlib.h>

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

hv_status hv_io_decode_png(const uint8_t *data, size_t size, const char *name, hv_image *out) {
    if (size > (size_t)INT32_MAX) return hv_error(HV_ERR_DECODE, "%s: file too large (%zu bytes)", name, size);
    int w = 0, h = 0, comp = 0;
    unsigned char *px = stbi_load_from_memory(data, (int)size, &w, &h, &comp, 3);
    if (!px)
        return hv_error(HV_ERR_DECODE, "%s: PNG decoding failed (%s): the file is corrupt or cut short", name,
                        stbi_failure_reason());
    out->width = w;
    out->height = h;
    out->rgb = px; /* stb allocates with malloc: hv_image_free's free() matches */
    return HV_OK;
}
