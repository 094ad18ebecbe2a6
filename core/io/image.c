/* Frame decoding (hemovk/image.h): read the file (regular files only, opened without blocking, size
 * capped), probe what it is from its bytes (image_format.c), check the header's size against the
 * limits and the caller's memory allowance, then decode with the one decoder for that format
 * (decode_png.c, decode_jpeg.c). Nothing in a frame file reaches a decoder before its header passed. */
#include "hemovk/image.h"

#include "io/decoders.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static hv_status check_dims(const char *name, int w, int h) {
    if (w <= 0 || h <= 0)
        return hv_error(HV_ERR_DECODE, "%s: image has no pixels (%dx%d)", name, w, h);
    if (w > HV_IMAGE_MAX_SIDE || h > HV_IMAGE_MAX_SIDE || (uint64_t)w * (uint64_t)h > HV_IMAGE_MAX_PIXELS)
        return hv_error(HV_ERR_DECODE,
                        "%s: %dx%d pixels, past the %d-pixel side / %u-pixel limit", name, w, h, HV_IMAGE_MAX_SIDE,
                        HV_IMAGE_MAX_PIXELS);
    return HV_OK;
}

hv_status hv_image_decode_memory(const void *data, size_t size, const char *name, uint64_t max_decode_bytes,
                                 hv_image *out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_image_decode_memory: out is NULL");
    memset(out, 0, sizeof *out);
    if (!name) name = "image";
    hv_image_header hdr;
    hv_status st = hv_image_probe_memory(data, size, name, &hdr);
    if (st) return st;
    if (max_decode_bytes && hdr.decode_bytes > max_decode_bytes)
        return hv_error(HV_ERR_DECODE,
                        "%s: decoding this %dx%d %s would take about %llu MiB, more than the %llu MiB allowed (the batch's "
                        "decode budget): the file is hostile or not a capsule frame",
                        name, hdr.width, hdr.height, hdr.format == HV_IMAGE_PNG ? "PNG" : "JPEG",
                        (unsigned long long)(hdr.decode_bytes >> 20), (unsigned long long)(max_decode_bytes >> 20));
    if (hdr.format == HV_IMAGE_PNG) st = hv_io_decode_png(data, size, name, out);
    else st = hv_io_decode_jpeg(data, size, name, max_decode_bytes ? max_decode_bytes : HV_IMAGE_DEFAULT_DECODE_BUDGET, out);
    if (!st && (out->width != hdr.width || out->height != hdr.height)) {
        hv_image_free(out);
        st = hv_error(HV_ERR_DECODE, "%s: decoded %dx%d pixels where the header says %dx%d: corrupt file", name,
                      out->width, out->height, hdr.width, hdr.height);
    }
    return st;
}

hv_status hv_image_load_memory(const void *data, size_t size, const char *name, hv_image *out) {
    return hv_image_decode_memory(data, size, name, HV_IMAGE_DEFAULT_DECODE_BUDGET, out);
}

hv_status hv_image_read_file(const char *path, void **data, size_t *size) {
    if (!path || !data || !size) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_image_read_file: NULL argument");
    *data = NULL;
    *size = 0;
    /* O_NONBLOCK: a FIFO (or a device) named as a frame must not block open() forever; fstat then
     * refuses anything that is not a regular file before a byte is read. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return hv_error(HV_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return hv_error(HV_ERR_IO, "%s: cannot stat (%s)", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return hv_error(HV_ERR_IO, "%s: not a regular file (%s): refused", path,
                        S_ISFIFO(sb.st_mode) ? "a FIFO" : S_ISDIR(sb.st_mode) ? "a folder"
                        : S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode) ? "a device" : S_ISSOCK(sb.st_mode) ? "a socket" : "special");
    }
    if (sb.st_size == 0) {
        close(fd);
        return hv_error(HV_ERR_DECODE, "%s: empty file (0 bytes)", path);
    }
    if ((uint64_t)sb.st_size > HV_IMAGE_MAX_FILE_BYTES) {
        close(fd);
        return hv_error(HV_ERR_DECODE, "%s: %lld bytes, past the %u-byte limit of a frame file", path, (long long)sb.st_size,
                        (unsigned)HV_IMAGE_MAX_FILE_BYTES);
    }
    size_t n = (size_t)sb.st_size;
    uint8_t *buf = malloc(n);
    if (!buf) {
        close(fd);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu bytes", path, n);
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    int e = errno;
    close(fd);
    if (got != n) {
        free(buf);
        return hv_error(HV_ERR_IO, "%s: short read (%zu of %zu bytes%s%s)", path, got, n, got < n ? ": " : "",
                        got < n ? strerror(e) : "");
    }
    *data = buf;
    *size = n;
    return HV_OK;
}

hv_status hv_image_load(const char *path, hv_image *out) {
    if (!path || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_image_load: path or out is NULL");
    memset(out, 0, sizeof *out);
    void *buf = NULL;
    size_t n = 0;
    hv_status st = hv_image_read_file(path, &buf, &n);
    if (!st) st = hv_image_load_memory(buf, n, path, out);
    free(buf);
    return st;
}

hv_status hv_image_alloc(int width, int height, hv_image *out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_image_alloc: out is NULL");
    memset(out, 0, sizeof *out);
    hv_status st = check_dims("hv_image_alloc", width, height);
    if (st) return st;
    out->rgb = calloc((size_t)width * (size_t)height, 3);
    if (!out->rgb) return hv_error(HV_ERR_OUT_OF_MEMORY, "cannot allocate a %dx%d image", width, height);
    out->width = width;
    out->height = height;
    return HV_OK;
}

void hv_image_free(hv_image *img) {
    if (!img) return;
    free(img->rgb); /* every decoder and hv_image_alloc allocate with malloc/calloc */
    memset(img, 0, sizeof *img);
}
