/* Checked output writes (hemovk/output.h) and PNG writing through them (hemovk/image.h). stb's
 * stbi_write_png ignores fwrite's result, so a full disk left truncated PNGs while the writer said
 * "failed 0": PNGs now go through stbi_write_png_to_func into a callback that checks every write. */
#include "hemovk/image.h"
#include "hemovk/output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stb_image_write.h>

hv_status hv_output_error(const char *path, int err) {
    const char *hint = "";
    switch (err) {
    case ENOSPC: hint = ": the disk is full"; break;
    case EDQUOT: hint = ": the disk quota is used up"; break;
    case EFBIG: hint = ": the file is larger than the system allows (file size limit)"; break;
    case EROFS: hint = ": the file system is read-only"; break;
    case EIO: hint = ": the disk reported an I/O error"; break;
    default: break;
    }
    return hv_error(HV_ERR_OUTPUT, "cannot write %s (%s)%s; the run stops, files already written are complete",
                    path, err ? strerror(err) : "write failed", hint);
}

hv_status hv_output_flush(FILE *f, const char *path, int sync) {
    if (!f) return HV_OK;
    errno = 0;
    if (fflush(f) != 0 || ferror(f)) return hv_output_error(path, errno ? errno : EIO);
    if (sync && fsync(fileno(f)) != 0 && errno != EINVAL) return hv_output_error(path, errno);
    return HV_OK;
}

hv_status hv_output_close(FILE *f, const char *path) {
    if (!f) return HV_OK;
    errno = 0;
    int bad = ferror(f);
    int e = errno;
    if (fclose(f) != 0 || bad) return hv_output_error(path, errno ? errno : (e ? e : EIO));
    return HV_OK;
}

/* "<path>.tmp<pid>": unique per process so two runs never share a temporary (the output lock makes
 * that moot, but a tool using the SDK has no lock). */
static hv_status tmp_name(const char *path, char *buf, size_t size) {
    int n = snprintf(buf, size, "%s.tmp%d", path, (int)getpid());
    if (n < 0 || (size_t)n >= size) return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: path too long", path);
    return HV_OK;
}

static hv_status finish(FILE *f, const char *tmp, const char *path, int failed, int err, int sync) {
    hv_status st = HV_OK;
    if (failed) st = hv_output_error(path, err ? err : EIO);
    if (!st) st = hv_output_flush(f, path, sync);
    if (st) fclose(f); /* already failed: keep that message */
    else st = hv_output_close(f, path);
    if (!st && rename(tmp, path) != 0) st = hv_output_error(path, errno);
    if (st) unlink(tmp);
    return st;
}

hv_status hv_output_write_file(const char *path, const void *data, size_t size, int sync) {
    if (!path || (!data && size)) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_output_write_file: bad arguments");
    char tmp[4200];
    hv_status st = tmp_name(path, tmp, sizeof tmp);
    if (st) return st;
    FILE *f = fopen(tmp, "wb");
    if (!f) return hv_output_error(tmp, errno);
    errno = 0;
    int failed = size && (fwrite(data, 1, size, f) != size || ferror(f));
    return finish(f, tmp, path, failed, errno, sync);
}

typedef struct png_sink {
    FILE *f;
    int failed, err;
} png_sink;

static void png_write_cb(void *context, void *data, int size) {
    png_sink *s = context;
    if (s->failed || size <= 0) return;
    errno = 0;
    /* glibc can report a failed write(2) only through the error flag, fwrite still counting the bytes */
    if (fwrite(data, 1, (size_t)size, s->f) != (size_t)size || ferror(s->f)) {
        s->failed = 1;
        s->err = errno ? errno : EIO;
    }
}

hv_status hv_image_save_png(const char *path, const hv_image *img) {
    if (!path || !img || !img->rgb) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_image_save_png: bad arguments");
    char tmp[4200];
    hv_status st = tmp_name(path, tmp, sizeof tmp);
    if (st) return st;
    FILE *f = fopen(tmp, "wb");
    if (!f) return hv_output_error(tmp, errno);
    png_sink sink = {.f = f};
    if (!stbi_write_png_to_func(png_write_cb, &sink, img->width, img->height, 3, img->rgb, img->width * 3) && !sink.failed) {
        fclose(f);
        unlink(tmp);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory encoding the PNG", path);
    }
    return finish(f, tmp, path, sink.failed, sink.err, 0);
}
