/* Frame decoding and PNG writing (stb_image / stb_image_write from Debian's libstb). */
#include "hemovk/image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stb_image.h>
#include <stb_image_write.h>

static hv_status check_dims(const char *name, int w, int h) {
    if (w <= 0 || h <= 0)
        return hv_error(HV_ERR_DECODE, "%s: image has no pixels (%dx%d)", name, w, h);
    if (w > HV_IMAGE_MAX_SIDE || h > HV_IMAGE_MAX_SIDE || (uint64_t)w * (uint64_t)h > HV_IMAGE_MAX_PIXELS)
        return hv_error(HV_ERR_DECODE,
                        "%s: header says %dx%d pixels, past the %d-pixel side / %u-pixel limit: the file is corrupt "
                        "or not a capsule frame",
                        name, w, h, HV_IMAGE_MAX_SIDE, HV_IMAGE_MAX_PIXELS);
    return HV_OK;
}

hv_status hv_image_load_memory(const void *data, size_t size, const char *name, hv_image *out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_image_load_memory: out is NULL");
    memset(out, 0, sizeof *out);
    if (!data || size == 0) return hv_error(HV_ERR_DECODE, "%s: empty file (0 bytes)", name);
    if (size > (size_t)INT32_MAX) return hv_error(HV_ERR_DECODE, "%s: file too large (%zu bytes)", name, size);
    int w = 0, h = 0, comp = 0;
    if (!stbi_info_from_memory(data, (int)size, &w, &h, &comp))
        return hv_error(HV_ERR_DECODE, "%s: not a decodable image (%s)", name, stbi_failure_reason());
    hv_status st = check_dims(name, w, h);
    if (st) return st;
    unsigned char *px = stbi_load_from_memory(data, (int)size, &w, &h, &comp, 3);
    if (!px)
        return hv_error(HV_ERR_DECODE, "%s: decoding failed (%s): the file is corrupt or truncated", name,
                        stbi_failure_reason());
    out->width = w;
    out->height = h;
    out->rgb = px;
    return HV_OK;
}

hv_status hv_image_load(const char *path, hv_image *out) {
    if (!path || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_image_load: path or out is NULL");
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return hv_error(HV_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return hv_error(HV_ERR_IO, "%s: cannot seek (%s)", path, strerror(errno));
    }
    long n = ftell(f);
    rewind(f);
    if (n < 0) {
        fclose(f);
        return hv_error(HV_ERR_IO, "%s: cannot size (%s)", path, strerror(errno));
    }
    if (n == 0) {
        fclose(f);
        return hv_error(HV_ERR_DECODE, "%s: empty file (0 bytes)", path);
    }
    void *buf = malloc((size_t)n);
    if (!buf) {
        fclose(f);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: cannot allocate %ld bytes", path, n);
    }
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    if (got != (size_t)n) {
        free(buf);
        return hv_error(HV_ERR_IO, "%s: short read (%zu of %ld bytes)", path, got, n);
    }
    hv_status st = hv_image_load_memory(buf, (size_t)n, path, out);
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

hv_status hv_image_save_png(const char *path, const hv_image *img) {
    if (!path || !img || !img->rgb) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_image_save_png: bad arguments");
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp) return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: path too long", path);
    if (!stbi_write_png(tmp, img->width, img->height, 3, img->rgb, img->width * 3)) {
        unlink(tmp);
        return hv_error(HV_ERR_IO, "%s: cannot write PNG (disk full or folder missing?)", path);
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return hv_error(HV_ERR_IO, "%s: cannot rename the finished PNG into place (%s)", path, strerror(e));
    }
    return HV_OK;
}

void hv_image_free(hv_image *img) {
    if (!img) return;
    if (img->rgb) stbi_image_free(img->rgb);
    memset(img, 0, sizeof *img);
}
