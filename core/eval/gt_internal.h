/* Helpers shared by the evaluation library's data side (ground truth, results, split; core/eval/gt_*.c,
 * results_*.c, split*.c): file and JSON reading with file:line:column errors, growable arrays, boxes,
 * connected components, id look-up. Not part of the SDK. */
#ifndef HEMOVK_EVAL_GT_INTERNAL_H
#define HEMOVK_EVAL_GT_INTERNAL_H

#include "hemovk/eval.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* ---- files and JSON --------------------------------------------------------------------------------- */

/** Read a whole file into a NUL-terminated buffer (*len excludes the NUL; len may be NULL). `what` names
 *  the file's role in messages ("results", "COCO ground truth"). */
hv_status ev_read_text(const char *path, const char *what, char **out, size_t *len);

/** Line (1-based) and column (1-based) of byte `offset` in `text`. */
void ev_line_col(const char *text, size_t offset, size_t *line, size_t *col);

/** Parse `text` (the whole content of `path`) as one JSON value; HV_ERR_PARSE "path:line:col: malformed
 *  JSON near '...'" on failure. `first_line` is the line number of text's first line (1 for a whole file,
 *  the line's number for a JSONL line). */
hv_status ev_json_parse(const char *text, const char *path, size_t first_line, cJSON **out);

/** A number field as double; 0 when absent → *present 0. Returns -1 when the field exists but is not a
 *  number. */
int ev_json_number(const cJSON *obj, const char *key, double *value, int *present);

/** 1 when `v` is a JSON number holding an integer in [lo, hi]: what an id must be before it is converted to
 *  an integer type (converting a double outside the type's range is undefined behaviour in C). */
int ev_json_int_in(const cJSON *v, double lo, double hi);

/** Limits for ev_json_int_in: int32 ids (categories, labels) and int64 ids exact in a double (images). */
#define EV_INT32_MIN (-2147483648.0)
#define EV_INT32_MAX 2147483647.0
#define EV_ID_MAX 9007199254740992.0

/** strdup that records HV_ERR_OUT_OF_MEMORY on failure (returns NULL then). */
char *ev_strdup(const char *s);

/** malloc'ed printf. NULL on failure. */
char *ev_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Grow an array of `elem` bytes to hold at least `need` elements (capacity doubling). -1 on failure. */
int ev_grow(void **items, size_t *cap, size_t need, size_t elem);

/** Append a warning (kind, file_name, printf detail). HV_ERR_OUT_OF_MEMORY on failure; `w` NULL: no-op. */
hv_status ev_warn(hv_eval_warnings *w, hv_eval_warning_kind kind, const char *file_name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** Is `path` an existing folder? */
int ev_is_dir(const char *path);

/** Does `path` exist as a regular file? */
int ev_is_file(const char *path);

/* ---- boxes and components --------------------------------------------------------------------------- */

/** An axis-aligned box, x2/y2 exclusive. */
typedef struct ev_box {
    double x1, y1, x2, y2;
} ev_box;

/** IoU without +1 (pycocotools / maskUtils.iou for boxes); 0 when the union is empty. */
double ev_box_iou(const ev_box *a, const ev_box *b);

/** Greedy one-to-one matching: every (i, j) pair with iou(a[i], b[j]) ≥ thr, highest IoU first (ties:
 *  lower i, then lower j). a_to_b[i] / b_to_a[j] get the partner or −1; best_a[i] / best_b[j] (may be
 *  NULL) the best IoU each had with any partner. HV_ERR_OUT_OF_MEMORY on failure. */
hv_status ev_match_greedy(const ev_box *a, size_t na, const ev_box *b, size_t nb, double thr, ptrdiff_t *a_to_b,
                          ptrdiff_t *b_to_a, double *best_a, double *best_b);

/** Boxes of a WCEBleedGen TXT file: integers "xmin ymin xmax ymax", repeated, any whitespace. */
hv_status ev_read_txt_boxes(const char *path, ev_box **out, size_t *n);

/** Boxes of a Pascal VOC XML file: every <object>'s <bndbox> xmin/ymin/xmax/ymax (a small tag scanner:
 *  VOC files are flat and machine-written). */
hv_status ev_read_xml_boxes(const char *path, ev_box **out, size_t *n);

/** One 8-connected component of a binary mask: its box (x2/y2 exclusive), pixel count, and label in the
 *  label image (1-based, in order of each component's first pixel in row-major order). */
typedef struct ev_component {
    int32_t x1, y1, x2, y2;
    uint64_t area;
} ev_component;

/** Label the 8-connected components of `fg` (w×h, row-major, non-zero = foreground): labels[i] = 0 for
 *  background, k+1 for component k. *comps is malloc'ed (NULL when none). */
hv_status ev_components(const uint8_t *fg, int32_t w, int32_t h, int32_t *labels, ev_component **comps, size_t *n);

/** Decode a mask image to a w×h 0/1 foreground map (gray > 127; colour through stb's luminance). */
hv_status ev_load_mask(const char *path, uint8_t **fg, int32_t *w, int32_t *h);

/* ---- masks in JSON --------------------------------------------------------------------------------- */

/** Parse a COCO "segmentation" / hemovk "mask" value: {"size": [h, w], "counts": compressed string or
 *  array of run lengths}. The size must be h×w (the image's; a mismatch is HV_ERR_SCHEMA "<where>: mask is
 *  AxB, the frame CxD"); array counts must sum to h·w. Polygons (a JSON array) are HV_ERR_SCHEMA: not
 *  supported. `where` names the entry in messages ("file:line", "annotation 12"). */
hv_status ev_parse_rle(const cJSON *seg, uint32_t h, uint32_t w, const char *where, hv_rle *out);

/* ---- ids ------------------------------------------------------------------------------------------- */

/** Sorted (id, index) pairs of a GT's images, for look-ups by id. */
typedef struct ev_id_pair {
    int64_t id;
    size_t idx;
} ev_id_pair;

typedef struct ev_id_index {
    ev_id_pair *pairs; /**< sorted by id, then index (a duplicate id finds its first image) */
    size_t n;
} ev_id_index;

hv_status ev_id_index_build(const hv_eval_gt *gt, ev_id_index *out);
ptrdiff_t ev_id_index_find(const ev_id_index *ix, int64_t id);
void ev_id_index_free(ev_id_index *ix);

/** Add a class or category name list entry (copies). */
hv_status ev_gt_add_class(hv_eval_gt *gt, const char *name);
hv_status ev_gt_add_category(hv_eval_gt *gt, int32_t id, const char *name);

/** The default classes {"bleeding", "non-bleeding"} and category {1, "bleeding"}. */
hv_status ev_gt_default_classes(hv_eval_gt *gt);

/** "a, b, c (and N more)" listing of up to `max` names for messages; malloc'ed, NULL on failure. */
char *ev_list_names(const char *const *names, size_t n, size_t max);

#endif
