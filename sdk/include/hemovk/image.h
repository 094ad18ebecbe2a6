/* hemovk/image.h — decoding frames and listing the frames of an exam.
 *
 * Frames are 8-bit RGB, row-major, 3 bytes per pixel (HWC). Frames are untrusted input: only PNG (stb_image
 * built PNG-only) and JPEG (libjpeg-turbo) are decoded, recognised by their magic bytes, never by the file
 * name — a GIF, PSD, HDR, PNM, BMP... file is refused with a message saying what it is. Size, pixel count
 * and the memory decoding will take are read from the header and checked before any allocation. A
 * corrupt, truncated, zero-byte, absurdly large or foreign image is an HV_ERR_DECODE with a message naming
 * the file and what is wrong; it never crashes, so a run can report it and go on. */
#ifndef HEMOVK_IMAGE_H
#define HEMOVK_IMAGE_H

#include "hemovk/export.h"

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
/** Largest frame file read (bytes): a capsule frame is tens of KB. */
#define HV_IMAGE_MAX_FILE_BYTES (256u * 1024u * 1024u)
/** Memory one hv_image_load may spend decoding (bytes), and the default decode budget of a batch in a
 *  pipeline run (hv_pipeline_run_options.decode_budget_bytes). A frame at the pixel limit would take
 *  ~600 MiB: it is refused with a message instead. */
#define HV_IMAGE_DEFAULT_DECODE_BUDGET ((uint64_t)512u * 1024u * 1024u)

/** Formats decoded. */
typedef enum hv_image_format { HV_IMAGE_UNKNOWN = 0, HV_IMAGE_PNG = 1, HV_IMAGE_JPEG = 2 } hv_image_format;

/** What a file's header says, before any decoding. */
typedef struct hv_image_header {
    int format;             /**< an hv_image_format */
    int width, height;      /**< pixels, within the limits above */
    int channels;           /**< colour channels in the file (a PNG palette counts 3) */
    int bit_depth;          /**< bits per sample */
    int progressive;        /**< JPEG: progressive (needs the whole image's coefficients in memory) */
    uint64_t decode_bytes;  /**< estimate of the peak memory decoding takes, output included */
} hv_image_header;

typedef struct hv_image {
    int width;
    int height;
    uint8_t *rgb; /**< width*height*3 bytes, owned (free with hv_image_free) */
} hv_image;

/** Identify an encoded image from its bytes and read its header: the format by magic bytes (anything but
 *  PNG and JPEG is HV_ERR_DECODE naming what it is: "the file holds a GIF image, not PNG or JPEG"), the
 *  size checked against the limits ("PNG header claims 30000×30000 pixels, past the limit…"), and the
 *  memory decoding would take. Reads only the header; allocates nothing. `name` is used in messages. */
HV_API hv_status hv_image_probe_memory(const void *data, size_t size, const char *name, hv_image_header *out);

/** Decode an in-memory encoded image (PNG or JPEG) into RGB8 after hv_image_probe_memory accepted it and
 *  its decode_bytes is at most `max_decode_bytes` (0: no cap beyond the size limits). */
HV_API hv_status hv_image_decode_memory(const void *data, size_t size, const char *name, uint64_t max_decode_bytes,
                                 hv_image *out);

/** Read a whole frame file into a malloc'ed buffer (free() it). Refuses what is not a regular file (a
 *  FIFO, a device, a folder) without blocking — it is opened O_NONBLOCK and checked with fstat before a
 *  byte is read — and files past HV_IMAGE_MAX_FILE_BYTES. HV_ERR_IO / HV_ERR_DECODE name the file. */
HV_API hv_status hv_image_read_file(const char *path, void **data, size_t *size);

/** Decode `path` into RGB8: hv_image_read_file, then hv_image_decode_memory with the default budget. */
HV_API hv_status hv_image_load(const char *path, hv_image *out);

/** Decode an in-memory encoded image with the default budget; `name` is used in messages. */
HV_API hv_status hv_image_load_memory(const void *data, size_t size, const char *name, hv_image *out);

/** Allocate a zeroed image. */
HV_API hv_status hv_image_alloc(int width, int height, hv_image *out);

/** Write RGB8 as PNG (stb_image_write through a callback that checks every write); the file is written
 *  to a temporary name, closed (checked) and renamed, so a killed process or a full disk never leaves a
 *  half-written PNG under the final name. A failed write is HV_ERR_OUTPUT (hemovk/output.h). */
HV_API hv_status hv_image_save_png(const char *path, const hv_image *img);

/** Release pixels; the struct is zeroed. NULL or an empty image is a no-op. */
HV_API void hv_image_free(hv_image *img);

/* ---- output folders ------------------------------------------------------------------------------ */

/** Create folder `dir` and its missing parents (like `mkdir -p`); an existing folder is fine, an
 *  existing non-folder is an HV_ERR_IO naming it. Writers use it for their outputs. */
HV_API hv_status hv_mkdirs(const char *dir);

/** Create the folder that will hold file `path` (everything before its last '/'). */
HV_API hv_status hv_mkdirs_for(const char *path);

/* ---- frame lists --------------------------------------------------------------------------------- */

typedef struct hv_frame_list hv_frame_list;

/** Build the list of frames named by `spec`:
 *  - a folder: every *.png, *.jpg, *.jpeg in it (not recursive unless `recursive`). Each folder is
 *    visited once (by device and inode), so a symbolic link back to a parent cannot loop; a link loop,
 *    a dangling link and a non-regular file (FIFO, device) with an image name are skipped with a warning
 *    naming the path;
 *  - a glob pattern, such as exam/frame-0*.png (quote it in the shell);
 *  - a list file (*.txt or *.lst): one path per line, relative paths relative to the list's folder,
 *    blank lines and lines starting with '#' ignored;
 *  - a single image file.
 *  Paths with spaces and parentheses ("img- (12).png") are fine. The order is "natural": digit runs
 *  compare as numbers, so "img- (2).png" comes before "img- (10).png" (list files keep their order).
 *  An empty result is an error naming the spec. */
HV_API hv_status hv_frame_list_open(const char *spec, int recursive, hv_frame_list **out);

/** Number of frames. */
HV_API size_t hv_frame_list_count(const hv_frame_list *list);

/** Path of frame `i` (< count), as the source gave it (folder + name, the glob's match, the list file's
 *  line joined to its folder); valid until the list is freed. */
HV_API const char *hv_frame_list_path(const hv_frame_list *list, size_t i);

/** Key of frame `i`: its path relative to the input root, normalised (no "./", no duplicate or trailing
 *  slashes, ".." resolved where it can be), so it identifies the frame whatever way the input was spelt
 *  ("exam/", "exam", "./exam//"): `bleeding/Images/img- (1).png` for a run over the WCEBleedGen folder.
 *  The root is the folder given (a folder spec), the folder part of the pattern before its first
 *  wildcard (a glob), the deepest folder holding every entry of a list file (absolute entries into a
 *  dataset get keys such as "bleeding/Images/img- (1).png"), or the image's folder (one image). Unlike the base name, two
 *  frames of one input never share a key. Valid until the list is freed. */
HV_API const char *hv_frame_list_key(const hv_frame_list *list, size_t i);

/** The frame metadata entry holding the frame's key (hv_frame_list_key): the scheduler sets it on every
 *  frame it creates, and writers name files and records by it (hv_frame_get_meta(f, HV_FRAME_KEY_META)). */
#define HV_FRAME_KEY_META "frame.key"

/** Normalise a relative or absolute path in place as keys are: collapse "//", drop "." segments and a
 *  trailing '/', resolve "a/.." (a leading ".." of a relative path is kept); a non-empty path that
 *  normalises to nothing becomes ".", and "" stays "" (the result never needs more room). Returns `path`. */
HV_API char *hv_path_normalize(char *path);

/** Free the list. NULL is a no-op. */
HV_API void hv_frame_list_free(hv_frame_list *list);

/** Natural-order comparison used by the list (strcmp-like). */
HV_API int hv_natural_compare(const char *a, const char *b);

#ifdef __cplusplus
}
#endif
#endif
