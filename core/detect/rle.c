/* COCO run-length encoding with pycocotools' conventions (maskApi.c rleEncode / rleToString /
 * rleFrString): column-major pixel order, alternating runs starting with zeros, and the compressed
 * "counts" string that mmdet writes into segm results (MODEL_SPEC §5.10 step 5). */
#include <stdlib.h>
#include <string.h>

#include "hemovk/detect.h"

void hv_rle_free(hv_rle *rle) {
    if (!rle) return;
    free(rle->counts);
    memset(rle, 0, sizeof *rle);
}

hv_status hv_rle_encode(const uint8_t *mask, uint32_t h, uint32_t w, hv_rle *out) {
    if (!out || (!mask && (uint64_t)h * w > 0)) return hv_error(HV_ERR_INVALID_ARGUMENT, "RLE encode: NULL argument");
    memset(out, 0, sizeof *out);
    const uint64_t n = (uint64_t)h * w;
    if (n > UINT32_MAX) return hv_error(HV_ERR_INVALID_ARGUMENT, "RLE encode: %ux%u mask is too large for 32-bit runs", h, w);
    out->counts = malloc((size_t)(n + 1) * sizeof *out->counts);
    if (!out->counts) return hv_error(HV_ERR_OUT_OF_MEMORY, "RLE encode: out of memory for a %ux%u mask", h, w);
    out->h = h;
    out->w = w;
    uint8_t prev = 0;
    uint32_t run = 0;
    size_t k = 0;
    for (uint32_t x = 0; x < w; ++x)
        for (uint32_t y = 0; y < h; ++y) {
            const uint8_t v = mask[(size_t)y * w + x] ? 1 : 0;
            if (v != prev) {
                out->counts[k++] = run;
                run = 0;
                prev = v;
            }
            ++run;
        }
    out->counts[k++] = run; /* pycocotools always writes the last run (an empty mask is [h·w]; 0×0 is [0]) */
    out->n = k;
    return HV_OK;
}

hv_status hv_rle_decode(const hv_rle *rle, uint8_t *mask) {
    if (!rle || (!rle->counts && rle->n) || (!mask && (uint64_t)rle->h * rle->w > 0))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "RLE decode: NULL argument");
    const uint64_t total = (uint64_t)rle->h * rle->w;
    uint64_t sum = 0;
    for (size_t i = 0; i < rle->n; ++i) sum += rle->counts[i];
    if (sum != total)
        return hv_error(HV_ERR_PARSE, "RLE decode: runs sum to %llu but the mask is %ux%u = %llu pixels",
                        (unsigned long long)sum, rle->h, rle->w, (unsigned long long)total);
    uint64_t p = 0;
    for (size_t i = 0; i < rle->n; ++i)
        for (uint32_t j = 0; j < rle->counts[i]; ++j, ++p) {
            const uint64_t x = p / rle->h, y = p % rle->h;
            mask[y * rle->w + x] = (uint8_t)(i & 1);
        }
    return HV_OK;
}

uint64_t hv_rle_area(const hv_rle *rle) {
    uint64_t a = 0;
    if (!rle || !rle->counts) return 0;
    for (size_t i = 1; i < rle->n; i += 2) a += rle->counts[i];
    return a;
}

hv_status hv_rle_to_string(const hv_rle *rle, char **out) {
    if (!rle || !out || (!rle->counts && rle->n)) return hv_error(HV_ERR_INVALID_ARGUMENT, "RLE to string: NULL argument");
    *out = NULL;
    /* each count takes at most 7 characters of 5 bits (a 34-bit signed difference) */
    char *s = malloc(rle->n * 7 + 1);
    if (!s) return hv_error(HV_ERR_OUT_OF_MEMORY, "RLE to string: out of memory for %zu runs", rle->n);
    size_t p = 0;
    for (size_t i = 0; i < rle->n; ++i) {
        long long x = (long long)rle->counts[i];
        if (i > 2) x -= (long long)rle->counts[i - 2];
        int more = 1;
        while (more) {
            long long c = x & 0x1f;
            x >>= 5; /* arithmetic shift, as in maskApi.c (x is signed there too) */
            more = (c & 0x10) ? x != -1 : x != 0;
            if (more) c |= 0x20;
            s[p++] = (char)(c + 48);
        }
    }
    s[p] = 0;
    *out = s;
    return HV_OK;
}

hv_status hv_rle_from_string(const char *s, uint32_t h, uint32_t w, hv_rle *out) {
    if (!s || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "RLE from string: NULL argument");
    memset(out, 0, sizeof *out);
    const size_t len = strlen(s);
    uint32_t *cnts = malloc((len + 1) * sizeof *cnts);
    if (!cnts) return hv_error(HV_ERR_OUT_OF_MEMORY, "RLE from string: out of memory");
    size_t m = 0, p = 0;
    uint64_t sum = 0;
    while (p < len) {
        long long x = 0;
        int k = 0, more = 1;
        while (more) {
            if (p >= len) {
                free(cnts);
                return hv_error(HV_ERR_PARSE, "RLE from string: counts string ends inside a number (run %zu)", m);
            }
            const int ch = (unsigned char)s[p];
            if (ch < 48 || ch > 48 + 63 || k > 6) {
                free(cnts);
                return hv_error(HV_ERR_PARSE, "RLE from string: bad character '%c' at offset %zu", s[p], p);
            }
            const long long c = ch - 48;
            x |= (c & 0x1f) << (5 * k);
            more = (int)(c & 0x20);
            ++p;
            ++k;
            if (!more && (c & 0x10)) x |= (long long)(~0ULL << (5 * k)); /* sign-extend */
        }
        if (m > 2) x += (long long)cnts[m - 2];
        if (x < 0 || x > UINT32_MAX) {
            free(cnts);
            return hv_error(HV_ERR_PARSE, "RLE from string: run %zu decodes to %lld (out of range)", m, x);
        }
        cnts[m++] = (uint32_t)x;
        sum += (uint64_t)x;
    }
    if (sum != (uint64_t)h * w) {
        free(cnts);
        return hv_error(HV_ERR_PARSE, "RLE from string: runs sum to %llu, a %ux%u mask has %llu pixels",
                        (unsigned long long)sum, h, w, (unsigned long long)h * w);
    }
    out->h = h;
    out->w = w;
    out->n = m;
    out->counts = cnts;
    return HV_OK;
}
