/* What an encoded frame is, read from its first bytes and its header alone (hemovk/image.h,
 * hv_image_probe_memory): the format by magic bytes — never by file name, so a GIF or PSD renamed
 * .png is named for what it is and refused — and, for PNG and JPEG, the size and what decoding it
 * will cost, so limits and the decode budget are checked before a decoder allocates anything. */
#include "hemovk/image.h"

#include <stdio.h>
#include <string.h>

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }

/* Formats that are refused, named so the message says what the file really is. */
static const char *foreign_format(const uint8_t *p, size_t n) {
    if (n >= 6 && (!memcmp(p, "GIF87a", 6) || !memcmp(p, "GIF89a", 6))) return "a GIF image";
    if (n >= 4 && !memcmp(p, "8BPS", 4)) return "a Photoshop (PSD) image";
    if (n >= 10 && (!memcmp(p, "#?RADIANCE", 10) || (n >= 6 && !memcmp(p, "#?RGBE", 6)))) return "a Radiance HDR image";
    if (n >= 2 && p[0] == 'P' && p[1] >= '1' && p[1] <= '7') return "a PNM (PBM/PGM/PPM/PAM) image";
    if (n >= 2 && !memcmp(p, "BM", 2)) return "a BMP image";
    if (n >= 12 && !memcmp(p, "RIFF", 4) && !memcmp(p + 8, "WEBP", 4)) return "a WebP image";
    if (n >= 4 && (!memcmp(p, "II*\0", 4) || !memcmp(p, "MM\0*", 4))) return "a TIFF image";
    if (n >= 4 && !memcmp(p, "\x53\x80\xF6\x34", 4)) return "a Softimage PIC image";
    if (n >= 12 && !memcmp(p + 4, "ftyp", 4)) return "an ISO media file (HEIC/AVIF/MP4)";
    if (n >= 8 && !memcmp(p, "\0\0\0\x0CjP  ", 8)) return "a JPEG 2000 image";
    return NULL;
}

static hv_status bad_dims(const char *name, const char *fmt, uint32_t w, uint32_t h) {
    if (w == 0 || h == 0)
        return hv_error(HV_ERR_DECODE, "%s: %s header claims %u×%u pixels: the image is empty or the header corrupt", name,
                        fmt, w, h);
    if (w > HV_IMAGE_MAX_SIDE || h > HV_IMAGE_MAX_SIDE || (uint64_t)w * h > HV_IMAGE_MAX_PIXELS)
        return hv_error(HV_ERR_DECODE,
                        "%s: %s header claims %u×%u pixels, past the limit of %d pixels a side and %u pixels in all: "
                        "the file is corrupt or hostile, not a capsule frame (refused before decoding)",
                        name, fmt, w, h, HV_IMAGE_MAX_SIDE, HV_IMAGE_MAX_PIXELS);
    return HV_OK;
}

/* PNG: signature, then IHDR must be the first chunk (length 13). */
static hv_status probe_png(const uint8_t *p, size_t n, const char *name, hv_image_header *h) {
    if (n < 33) return hv_error(HV_ERR_DECODE, "%s: PNG cut short: %zu bytes, its header alone needs 33", name, n);
    if (be32(p + 8) != 13 || memcmp(p + 12, "IHDR", 4))
        return hv_error(HV_ERR_DECODE, "%s: PNG without an IHDR chunk first: corrupt file", name);
    uint32_t w = be32(p + 16), ht = be32(p + 20);
    unsigned depth = p[24], color = p[25];
    static const int channels[7] = {1, 0, 3, 1, 2, 0, 4};
    if (color > 6 || !channels[color])
        return hv_error(HV_ERR_DECODE, "%s: PNG header names colour type %u, which PNG does not define: corrupt file", name, color);
    if (!(depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16))
        return hv_error(HV_ERR_DECODE, "%s: PNG header names bit depth %u, which PNG does not define: corrupt file", name, depth);
    hv_status st = bad_dims(name, "PNG", w, ht);
    if (st) return st;
    h->format = HV_IMAGE_PNG;
    h->width = (int)w;
    h->height = (int)ht;
    h->channels = color == 3 ? 3 : channels[color]; /* a palette expands to RGB */
    h->bit_depth = (int)depth;
    /* stb's PNG path holds, at its peak: the compressed data, the inflated scanlines, the unfiltered
     * image at its own channel count and depth, and the RGB8 copy handed back. */
    uint64_t px = (uint64_t)w * ht, bytes_per_px = (uint64_t)(channels[color] > 3 ? 4 : 3) * (depth == 16 ? 2 : 1);
    uint64_t raw = ((uint64_t)w * channels[color] * depth + 7) / 8 * ht + ht;
    h->decode_bytes = (uint64_t)n + raw + px * bytes_per_px + px * 3;
    return HV_OK;
}

/* JPEG: walk the markers up to the first start-of-frame (SOFn comes before any scan). */
static hv_status probe_jpeg(const uint8_t *p, size_t n, const char *name, hv_image_header *h) {
    size_t i = 2;
    while (i + 4 <= n) {
        if (p[i] != 0xFF) return hv_error(HV_ERR_DECODE, "%s: JPEG marker expected at byte %zu: corrupt file", name, i);
        uint8_t m = p[i + 1];
        if (m == 0xFF) { /* fill byte */
            i++;
            continue;
        }
        if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) { /* markers without a length */
            i += 2;
            continue;
        }
        if (m == 0xDA || m == 0xD9) break; /* a scan or the end before any frame header */
        uint32_t len = be16(p + i + 2);
        if (len < 2 || i + 2 + len > n) return hv_error(HV_ERR_DECODE, "%s: JPEG cut short inside its header (byte %zu)", name, i);
        int sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
        if (sof) {
            if (len < 8) return hv_error(HV_ERR_DECODE, "%s: JPEG frame header too short: corrupt file", name);
            uint32_t ht = be16(p + i + 5), w = be16(p + i + 7), comps = p[i + 9];
            if (m != 0xC0 && m != 0xC1 && m != 0xC2)
                return hv_error(HV_ERR_DECODE, "%s: JPEG of a kind frames never use (SOF%d: lossless or arithmetic-coded): "
                                "not decoded", name, m - 0xC0);
            if (comps != 1 && comps != 3)
                return hv_error(HV_ERR_DECODE, "%s: JPEG with %u colour components (1 or 3 expected)", name, comps);
            if (ht == 0)
                return hv_error(HV_ERR_DECODE, "%s: JPEG header gives height 0 (defined later by a DNL marker): not supported",
                                name);
            hv_status st = bad_dims(name, "JPEG", w, ht);
            if (st) return st;
            h->format = HV_IMAGE_JPEG;
            h->width = (int)w;
            h->height = (int)ht;
            h->channels = (int)comps;
            h->bit_depth = p[i + 4];
            h->progressive = m == 0xC2;
            uint64_t px = (uint64_t)w * ht;
            /* libjpeg: the RGB8 output, plus for a progressive file the whole image's DCT coefficients
             * (2 bytes per sample, with block padding) held across scans. */
            h->decode_bytes = px * 3 + (h->progressive ? (px + 64 * (uint64_t)(w + ht + 64)) * 2 * comps : (uint64_t)w * 48 * comps);
            return HV_OK;
        }
        i += 2 + len;
    }
    return hv_error(HV_ERR_DECODE, "%s: JPEG without a frame header before its first scan: corrupt or cut short", name);
}

hv_status hv_image_probe_memory(const void *data, size_t size, const char *name, hv_image_header *out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_image_probe_memory: out is NULL");
    memset(out, 0, sizeof *out);
    if (!name) name = "image";
    if (!data || size == 0) return hv_error(HV_ERR_DECODE, "%s: empty file (0 bytes)", name);
    if (size > HV_IMAGE_MAX_FILE_BYTES)
        return hv_error(HV_ERR_DECODE, "%s: %zu bytes, past the %u-byte limit of a frame file", name, size,
                        (unsigned)HV_IMAGE_MAX_FILE_BYTES);
    const uint8_t *p = data;
    if (size >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8)) return probe_png(p, size, name, out);
    if (size >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return probe_jpeg(p, size, name, out);
    const char *what = foreign_format(p, size);
    if (what)
        return hv_error(HV_ERR_DECODE, "%s: the file holds %s, not PNG or JPEG: hemovk decodes only PNG and JPEG frames "
                        "(convert it first)", name, what);
    char hex[3 * 8 + 1] = "";
    for (size_t i = 0; i < size && i < 8; i++) snprintf(hex + 3 * i, 4, "%02x ", p[i]);
    return hv_error(HV_ERR_DECODE, "%s: not a PNG or JPEG file (it starts with bytes %s): hemovk decodes only PNG and "
                    "JPEG frames", name, hex);
}
