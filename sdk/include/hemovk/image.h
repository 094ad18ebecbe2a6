/* hemovk/image.h — decoding frames and listing the frames of an exam.
 *
 * Frames are 8-bit RGB, row-major, 3 bytes per pixel (HWC). Decoding uses stb_image (PNG, JPEG, BMP,
 * TGA...). A corrupt, truncated, zero-byte or absurdly large image is an HV_ERR_DECODE with a message
 * naming the file and what is wrong; it never crashes, so a run can report it and go on. */
#ifndef HEMOVK_IMAGE_H
#define HEMOVK_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "hemovk/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest width or height accepted, and largest pixel count: a capsule frame is ~ 576×576, so anything
 *  past these is a corrupt header or a hostile file, not an exam frame. */
#define HV_IMAGE_MAX_SIDE 16384
#define HV_IMAGE_MAX_PIXELS (64u * 1024u * 1024u)

typedef struct hv_image {
    int width;
    int height;
    uint8_t *rgb; /**< width*height*3 bytes, owned (free with hv_image_free) */
} hv_image;

/** Decode `path` into RGB8. Checks the header (stbi_info) against the limits above before decoding. */
hv_status hv_image_load(const char *path, hv_image *out);

/** Decode an in-memory encoded image; `name` is used in messages. */
hv_status hv_image_load_memory(const void *data, size_t size, const char *name, hv_image *out);

/** Allocate a zeroed image. */
hv_status hv_image_alloc(int width, int height, hv_image *out);

/** Write RGB8 as PNG (stb_image_write); the file is written to a temporary name then renamed, so a
 *  killed process never leaves a half-written PNG under the final name. */
hv_status hv_image_save_png(const char *path, const hv_image *img);

/** Release pixels; the struct is zeroed. NULL or an empty image is a no-op. */
void hv_image_free(hv_image *img);

/* ---- output folders ------------------------------------------------------------------------------ */

/** Create folder `dir` and its missing parents (like `mkdir -p`); an existing folder is fine, an
 *  existing non-folder is an HV_ERR_IO naming it. Writers use it for their outputs. */
hv_status hv_mkdirs(const char *dir);

/** Create the folder that will hold file `path` (everything before its last '/'). */
hv_status hv_mkdirs_for(const char *path);

/* ---- frame lists --------------------------------------------------------------------------------- */

typedef struct hv_frame_list hv_frame_list;

/** Build the list of frames named by `spec`:
 *  - a folder: every *.png, *.jpg, *.jpeg, *.bmp in it (not recursive unless `recursive`);
 *  - a glob pattern, such as exam/frame-0*.png (quote it in the shell);
 *  - a list file (*.txt or *.lst): one path per line, relative paths relative to the list's folder,
 *    blank lines and lines starting with '#' ignored;
 *  - a single image file.
 *  Paths with spaces and parentheses ("img- (12).png") are fine. The order is "natural": digit runs
 *  compare as numbers, so "img- (2).png" comes before "img- (10).png" (list files keep their order).
 *  An empty result is an error naming the spec. */
hv_status hv_frame_list_open(const char *spec, int recursive, hv_frame_list **out);

/** Number of frames. */
size_t hv_frame_list_count(const hv_frame_list *list);

/** Path of frame `i` (< count); valid until the list is freed. */
const char *hv_frame_list_path(const hv_frame_list *list, size_t i);

/** Free the list. NULL is a no-op. */
void hv_frame_list_free(hv_frame_list *list);

/** Natural-order comparison used by the list (strcmp-like). */
int hv_natural_compare(const char *a, const char *b);

#ifdef __cplusplus
}
#endif
#endif
