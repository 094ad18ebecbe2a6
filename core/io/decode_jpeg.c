/* JPEG decoding with libjpeg-turbo. stb_image's JPEG decoder (Debian libstb 2022-09) was broken by
 * a fuzzer twice: a heap-buffer-overflow read in its progressive Huffman decoder and an out-of-bounds
 * write in stbi__build_huffman (reproducers in ../shared/data/fuzz-repro/); libjpeg-turbo is the
 * decoder distributions fuzz continuously (OSS-Fuzz). Its errors longjmp back here and become
 * HV_ERR_DECODE; its memory is capped (max_memory_to_use) and a progressive file may not have more
 * than HV_IO_JPEG_MAX_SCANS scans (libjpeg-turbo's advice against scan-count denial of service). */
#include "io/decoders.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#define HV_IO_JPEG_MAX_SCANS 256

typedef struct jpeg_ctx {
    struct jpeg_error_mgr err; /* first: libjpeg hands us &err */
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    uint8_t *pixels;
} jpeg_ctx;

static void on_error(j_common_ptr cinfo) {
    jpeg_ctx *c = (jpeg_ctx *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, c->message);
    longjmp(c->jump, 1);
}

/* Warnings (corrupt data that libjpeg would paper over with grey) are errors for a frame. */
static void on_message(j_common_ptr cinfo, int level) {
    if (level < 0) on_error(cinfo);
}

static void on_progress(j_common_ptr cinfo) {
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (cinfo->is_decompressor && d->input_scan_number > HV_IO_JPEG_MAX_SCANS) {
        jpeg_ctx *c = (jpeg_ctx *)cinfo->err;
        snprintf(c->message, sizeof c->message, "more than %d progressive scans (a frame has about 10)", HV_IO_JPEG_MAX_SCANS);
        longjmp(c->jump, 1);
    }
}

hv_status hv_io_decode_jpeg(const uint8_t *data, size_t size, const char *name, uint64_t max_memory, hv_image *out) {
    struct jpeg_decompress_struct cinfo;
    jpeg_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&ctx.err);
    ctx.err.error_exit = on_error;
    ctx.err.emit_message = on_message;
    if (setjmp(ctx.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(ctx.pixels);
        return hv_error(HV_ERR_DECODE, "%s: JPEG decoding failed (%s): the file is corrupt or cut short", name, ctx.message);
    }
    jpeg_create_decompress(&cinfo);
    ctx.progress.progress_monitor = on_progress;
    cinfo.progress = &ctx.progress;
    if (max_memory) cinfo.mem->max_memory_to_use = (long)(max_memory > (uint64_t)0x7fffffff ? 0x7fffffff : max_memory);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    /* The header was probed already; libjpeg's reading of it must agree before anything big is allocated. */
    if (cinfo.image_width == 0 || cinfo.image_height == 0 || cinfo.image_width > HV_IMAGE_MAX_SIDE ||
        cinfo.image_height > HV_IMAGE_MAX_SIDE ||
        (uint64_t)cinfo.image_width * cinfo.image_height > HV_IMAGE_MAX_PIXELS) {
        snprintf(ctx.message, sizeof ctx.message, "header claims %u×%u pixels", cinfo.image_width, cinfo.image_height);
        longjmp(ctx.jump, 1);
    }
    cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_components != 3) {
        snprintf(ctx.message, sizeof ctx.message, "%d output components, RGB expected", cinfo.output_components);
        longjmp(ctx.jump, 1);
    }
    const size_t row = (size_t)cinfo.output_width * 3;
    if (!(ctx.pixels = malloc(row * cinfo.output_height))) {
        snprintf(ctx.message, sizeof ctx.message, "out of memory for %u×%u pixels", cinfo.output_width, cinfo.output_height);
        longjmp(ctx.jump, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW r = ctx.pixels + (size_t)cinfo.output_scanline * row;
        jpeg_read_scanlines(&cinfo, &r, 1);
    }
    jpeg_finish_decompress(&cinfo);
    out->width = (int)cinfo.output_width;
    out->height = (int)cinfo.output_height;
    out->rgb = ctx.pixels;
    jpeg_destroy_decompress(&cinfo);
    return HV_OK;
}
