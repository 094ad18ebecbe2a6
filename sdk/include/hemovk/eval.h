/* hemovk/eval.h — measuring accuracy: the paper's metrics on ground truth, from hemovk's own outputs.
 *
 * Three parts, each usable alone by a plugin or tool:
 *   1. data   — a ground-truth set (images, categories, annotations) and a result set (per-frame
 *               classifications and detections), in COCO terms; readers for the WCEBleedGen release
 *               layout, COCO instances JSON, hemovk's results.jsonl and the committed split file.
 *   2. metrics — COCOeval (pycocotools semantics exactly: bbox and segm, 101-point interpolation,
 *               maxDets 1/10/100, area ranges, iscrowd, RLE mask IoU, stable score ties), the paper's
 *               Table 2 "AP" variant (MODEL_SPEC §9.2), classification (Table 1, MODEL_SPEC §9.1) with
 *               ROC/PR AUC and a threshold sweep, and a frame-level localisation rate.
 *   3. report — metrics.json, a Markdown table and a per-frame JSONL of errors (tools/hemovk/cmd_eval.c).
 *
 * Conventions: COCO boxes are [x, y, w, h] in pixels (hemovk detections are x1,y1,x2,y2 exclusive and
 * convert as w = x2 − x1). Masks are hv_rle (detect.h): uncompressed COCO RLE, column-major. Image ids
 * are int64; category ids int32. Every function validates its arguments and returns an hv_status with a
 * message (hv_last_error()). Objects are created by one function and freed by its *_free twin (NULL-safe). */
#ifndef HEMOVK_EVAL_H
#define HEMOVK_EVAL_H

#include "hemovk/export.h"

#include <stddef.h>
#include <stdint.h>

#include "hemovk/detect.h"
#include "hemovk/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==== 1. data ======================================================================================== */

/** One ground-truth image. `file_name` is the frame's key: its path relative to the dataset root
 *  (e.g. "bleeding/Images/img- (12).png"), the key results are matched on. `label` is the image-level
 *  class for classification (index into hv_eval_gt.class_names; −1 when unknown). */
typedef struct hv_eval_image {
    int64_t id;
    char *file_name;
    int32_t width, height;
    int32_t label;
} hv_eval_image;

/** One ground-truth instance (COCO annotation). `segm.n == 0` when the annotation has no mask. `area` is
 *  COCO's `area` field (for masks: the mask's pixel count), which COCOeval's area ranges use. */
typedef struct hv_eval_ann {
    int64_t id;
    int64_t image_id;
    int32_t category_id;
    double bbox[4]; /**< x, y, w, h */
    double area;
    int32_t iscrowd;
    hv_rle segm;
} hv_eval_ann;

/** A ground-truth set. Owned arrays; free with hv_eval_gt_free(). */
typedef struct hv_eval_gt {
    hv_eval_image *images;
    size_t n_images;
    hv_eval_ann *anns;
    size_t n_anns;
    int32_t *category_ids; /**< detection categories (COCO "categories"), e.g. {1} = bleeding */
    char **category_names;
    size_t n_categories;
    char **class_names;    /**< classification labels, index = hv_eval_image.label, e.g. {"bleeding","non-bleeding"} */
    size_t n_classes;
    char *source;          /**< where it was read from, for messages */
} hv_eval_gt;

/** One detection result (COCO results entry). `segm.n == 0` when there is no mask. */
typedef struct hv_eval_det {
    int64_t image_id;
    int32_t category_id;
    double bbox[4]; /**< x, y, w, h */
    double score;
    hv_rle segm;
} hv_eval_det;

/** One frame's classification result, aligned with an image of the ground truth. `probs` has
 *  n_classes entries in the ground truth's class order (−1 label / NULL probs: not classified). */
typedef struct hv_eval_cls {
    int64_t image_id;
    int32_t predicted;
    double *probs;
} hv_eval_cls;

/** A result set matched to a ground truth. Owned arrays; free with hv_eval_results_free(). */
typedef struct hv_eval_results {
    hv_eval_det *dets;
    size_t n_dets;
    hv_eval_cls *cls;
    size_t n_cls;
    char *source;
} hv_eval_results;

/* ---- disagreements found while reading ground truth ------------------------------------------------ */

/** What kind of disagreement a ground-truth reader found. None stops the reader: each is recorded, with
 *  the frame and the numbers, so a user sees every doubtful annotation instead of a silent choice. */
typedef enum hv_eval_warning_kind {
    HV_EVAL_WARN_COMPONENT_WITHOUT_BOX = 0, /**< a mask component no TXT box matches at IoU ≥ match_iou */
    HV_EVAL_WARN_BOX_WITHOUT_COMPONENT = 1, /**< a TXT box no mask component matches at IoU ≥ match_iou */
    HV_EVAL_WARN_MASK_SIZE = 2,             /**< mask size ≠ image size: the frame keeps its label, no instances */
    HV_EVAL_WARN_XML_TXT = 3,               /**< the XML boxes disagree with the TXT boxes (count, or IoU < 0.5) */
    HV_EVAL_WARN_MISSING_FILE = 4,          /**< an annotation file the layout expects is missing or unreadable */
    HV_EVAL_WARN_SMALL_COMPONENT = 5,       /**< a component below min_area, left out */
    HV_EVAL_WARN_KIND_COUNT = 6
} hv_eval_warning_kind;

/** One disagreement: its kind, the frame (file_name, as in hv_eval_image) and a sentence with the numbers. */
typedef struct hv_eval_warning {
    hv_eval_warning_kind kind;
    char *file_name;
    char *detail;
} hv_eval_warning;

/** A list of disagreements, in reading order (frames in natural order). `xml_txt_not_identical` counts the
 *  frames whose XML boxes differ from their TXT boxes at all (shifted by a pixel or two, which the
 *  release has many of) — information, not a warning. Free with hv_eval_warnings_free(). */
typedef struct hv_eval_warnings {
    hv_eval_warning *items;
    size_t n, cap;
    size_t xml_txt_not_identical; /**< over every frame read (a split does not lower it) */
} hv_eval_warnings;

/** Stable snake_case name of a kind ("component_without_box"), used in JSON; never NULL. */
HV_API const char *hv_eval_warning_kind_name(hv_eval_warning_kind kind);

/** Number of warnings of one kind. */
HV_API size_t hv_eval_warnings_count(const hv_eval_warnings *w, hv_eval_warning_kind kind);

/** Release the list's contents and zero it (NULL-safe). */
HV_API void hv_eval_warnings_free(hv_eval_warnings *w);

/** Keep the warnings of frames `gt` still has (after hv_eval_gt_apply_split): the others go with their
 *  frames. xml_txt_not_identical is a count over the whole read and stays as it is. NULL `w`: no-op. */
HV_API hv_status hv_eval_warnings_restrict(hv_eval_warnings *w, const hv_eval_gt *gt);

/* ---- ground-truth readers and writer --------------------------------------------------------------- */

/** Options of the WCEBleedGen reader; NULL or zeroed fields mean the defaults. */
typedef struct hv_eval_layout_options {
    double match_iou;  /**< IoU at which a component and a TXT box agree; 0 → 0.5 */
    uint32_t min_area; /**< components with fewer pixels are left out (and reported); 0 → keep all */
} hv_eval_layout_options;

/** Read the WCEBleedGen release as it ships: `root` is the folder holding bleeding/Images (img- (N).png),
 *  bleeding/Annotations (ann- (N).png), bleeding/Bounding boxes/TXT|XML (img- (N).txt|.xml) and
 *  non-bleeding/images.
 *
 *  Images: every frame of bleeding/Images (label 0 "bleeding") and non-bleeding/images (label 1
 *  "non-bleeding"); file_name = the path relative to `root`; width/height from the PNG header; ids 1, 2, …
 *  in natural order of file_name (hv_natural_compare), so ids are the same on every machine.
 *  Instances (category 1 "bleeding"): the 8-connected components of the frame's mask, a pixel being
 *  foreground when its gray value is > 127 (1-bit gray or palette, 8-bit gray or palette and RGB masks all
 *  decode to gray; colour as stb_image's luminance). Each instance's bbox is the component's own tight box
 *  [x, y, w, h] (w = columns spanned), area its pixel count, segm its RLE, iscrowd 0; annotation ids
 *  1, 2, … in image order, then component order (first pixel in row-major order).
 *  Boxes: the TXT file ("xmin ymin xmax ymax" repeated on one line, read as exclusive x2/y2 like the
 *  component boxes, which matches them best on the release) is matched to the components greedily by IoU:
 *  all (component, box) pairs with IoU ≥ match_iou, highest IoU first (ties: lower component index, then
 *  lower box index), each component and box used once. Unmatched components and boxes, a mask whose size
 *  differs from its image, XML boxes disagreeing with TXT boxes and missing mask/TXT/XML files are appended
 *  to `warnings` (may be NULL to ignore them); the boxes never change the instances.
 *  Errors: `root` missing or not this layout, an image that does not decode (HV_ERR_DECODE naming it). */
HV_API hv_status hv_eval_gt_read_wcebleedgen(const char *root, const hv_eval_layout_options *options, hv_eval_gt *out,
                                      hv_eval_warnings *warnings);

/** Read COCO instances JSON: "images" ({id, file_name, width, height}), "annotations" ({id, image_id,
 *  category_id, bbox, area, iscrowd, segmentation}), "categories" ({id, name}). segmentation: RLE with
 *  "counts" a compressed string or an uncompressed array, "size" [h, w] equal to the image's; polygons are
 *  an HV_ERR_SCHEMA (convert them to RLE with pycocotools first). Missing area: the mask's pixel count,
 *  else w·h of the bbox; missing iscrowd: 0; missing annotation id: its position + 1.
 *  Classes: top-level "classes" (a hemovk extension, as hv_eval_gt_write_coco writes it), default
 *  {"bleeding", "non-bleeding"}. Image label: the image's "label" or "class" field (a class name or an
 *  index), else — with exactly two classes — class 0 when the image has any non-crowd annotation and
 *  class 1 when it has none. Images are kept in file order. Errors (HV_ERR_PARSE with file:line:column,
 *  HV_ERR_SCHEMA naming the entry): malformed JSON, missing or mistyped fields, duplicate ids, an
 *  annotation of an unknown image or category, a label not among the classes. */
HV_API hv_status hv_eval_gt_read_coco(const char *path, hv_eval_gt *out);

/** Read ground truth from `path`: a folder is the WCEBleedGen layout (default options), a file COCO JSON. */
HV_API hv_status hv_eval_gt_read(const char *path, hv_eval_gt *out, hv_eval_warnings *warnings);

/** Write `gt` as COCO instances JSON that hv_eval_gt_read_coco and pycocotools read: masks as compressed
 *  RLE strings (hv_rle_to_string), plus "classes" and each image's "label" (class name), and, when
 *  `warnings` is given, a "disagreements" list [{kind, file_name, detail}] (pycocotools ignores both).
 *  Written to a temporary name and renamed. */
HV_API hv_status hv_eval_gt_write_coco(const hv_eval_gt *gt, const hv_eval_warnings *warnings, const char *path);

/** Keep only the images whose keep[i] (i indexes gt->images) is non-zero, and their annotations; ids are
 *  kept as they are. */
HV_API hv_status hv_eval_gt_filter(hv_eval_gt *gt, const uint8_t *keep);

/* ---- matching frame paths to ground-truth file names ---------------------------------------------- */

/** A lookup table from paths to ground-truth images. */
typedef struct hv_eval_name_index hv_eval_name_index;

/** Build the table over gt's file_names. `root` (may be NULL): a prefix results' paths carry, stripped
 *  before the look-up, which then must match a file_name exactly. */
HV_API hv_status hv_eval_name_index_create(const hv_eval_gt *gt, const char *root, hv_eval_name_index **out);

/** Index in gt->images of the frame `path` names, or −1. Without a root: the longest suffix of path
 *  components ("a/b/c.png" → "a/b/c.png", "b/c.png", "c.png"; empty and "." components skipped) equal to
 *  a file_name, so "../data/WCEBleedGen/bleeding/Images/img- (3).png" finds "bleeding/Images/img- (3).png"
 *  and never "non-bleeding/images/img- (3).png". */
HV_API ptrdiff_t hv_eval_name_index_find(const hv_eval_name_index *idx, const char *path);

/** Free the table (NULL-safe). */
HV_API void hv_eval_name_index_free(hv_eval_name_index *idx);

/* ---- the split file ------------------------------------------------------------------------------- */

/** One line of a split file (splits/wcebleedgen.tsv: "split<TAB>class<TAB>path<TAB>sha256" after a
 *  header line; path relative to the WCEBleedGen folder). */
typedef struct hv_eval_split_entry {
    char *split, *class_name, *path, *sha256;
} hv_eval_split_entry;

typedef struct hv_eval_split {
    hv_eval_split_entry *entries;
    size_t n;
    char *source;
} hv_eval_split;

/** The split file hemovk ships: splits/wcebleedgen.tsv in the source tree when this library runs from its
 *  build tree, else share/hemovk/splits beside the library, then the configured install folder. Writes the
 *  path into buf; HV_ERR_NOT_FOUND naming the folders tried. */
HV_API hv_status hv_eval_split_default_path(char *buf, size_t size);

/** Read a split file. Errors (HV_ERR_PARSE, file:line): a wrong header, a line without four fields, a
 *  path listed twice. */
HV_API hv_status hv_eval_split_read(const char *path, hv_eval_split *out);

/** Release a split's contents and zero it (NULL-safe). */
HV_API void hv_eval_split_free(hv_eval_split *split);

/** Keep the images of `gt` that `split` puts in split `name` ("val", "train"): each GT file_name is looked
 *  up among the split's paths by longest suffix of components (so GT names relative to a parent of the
 *  WCEBleedGen folder work too). Errors (HV_ERR_NOT_FOUND/SCHEMA, naming the first few and the counts):
 *  no entry has that split name; GT frames the split file does not list; frames of that split missing from
 *  the GT. With `verify_root` (may be NULL) the kept frames' sha256 are checked against the file's:
 *  verify_root/file_name is read; a mismatch is HV_ERR_SCHEMA naming the frames. */
HV_API hv_status hv_eval_gt_apply_split(hv_eval_gt *gt, const hv_eval_split *split, const char *name,
                                 const char *verify_root);

/** SHA-256 of a file as 64 lowercase hex characters + NUL in hex[65]. */
HV_API hv_status hv_eval_sha256_file(const char *path, char hex[65]);

/** Ground truth as the command line names it: hv_eval_gt_read(`path`), then, when `split` is given, only
 *  the frames of that split of `split_file` (NULL: hv_eval_split_default_path()), their sha256 checked
 *  when `verify` (which needs the release folder: a COCO file does not say where its frames are). The
 *  warnings of frames the split leaves out are dropped with them. */
HV_API hv_status hv_eval_gt_load(const char *path, const char *split, const char *split_file, int verify,
                          const hv_eval_layout_options *options, hv_eval_gt *out, hv_eval_warnings *warnings);

/* ---- result readers -------------------------------------------------------------------------------- */

/** Options of the results readers; NULL or zeroed fields mean the defaults. */
typedef struct hv_eval_results_options {
    const char *model;  /**< results.jsonl: count detections with this `model` tag; NULL: see below */
    const char *labels; /**< results.jsonl: the classifier's label names in its probs order, comma-separated;
                             NULL: inferred from the frames' (index, label) pairs */
    const char *root;   /**< prefix of the results' frame paths to strip (hv_eval_name_index_create) */
} hv_eval_results_options;

/** Read hemovk's results.jsonl (plugins/stages/writer_jsonl.c) against `gt`.
 *
 *  Frames: each line's "path" (as the source listed it; else its "key") is matched to a GT image
 *  (hv_eval_name_index_find). `out->cls` gets one
 *  entry per frame of the file, in file order — predicted −1 and probs NULL when the frame was not
 *  classified (dropped, failed, or no classifier) — so the entries say which frames have results.
 *  Classification: "probs" are in the pipeline's label order; they are reordered into the GT's class order
 *  by label name. The order is `options->labels` when given, else inferred from the (index, label) pairs
 *  the frames carry (every index seen with one name; with one index never predicted and one GT class never
 *  named, those two pair up); an order that cannot be inferred is an HV_ERR_SCHEMA asking for --labels.
 *  Without "probs" and with two classes, probs = {score, 1 − score} by the predicted label (softmax).
 *  Detections: those whose "model" is `options->model`; by default the pipeline's fused output: the tag
 *  "ensemble" when any detection carries it (the ensemble stage's default output_model), else the only tag
 *  in the file; several tags and no "ensemble" is an HV_ERR_SCHEMA listing them. bbox = [x1, y1, x2 − x1,
 *  y2 − y1]; category_id = gt->category_ids[label]; mask RLE as written.
 *  Errors, each HV_ERR_PARSE/SCHEMA/NOT_FOUND with a message naming the thing: malformed JSON
 *  (file:line:column), a frame not in the GT (first few named, with counts), a frame listed twice, a mask
 *  whose size differs from its GT image (naming the frame), a label index with no GT category, class
 *  labels the GT does not have. Frames of the GT without a result are NOT an error here (see
 *  hv_eval_results_check_coverage), since a caller may filter the GT to a split afterwards. */
HV_API hv_status hv_eval_results_read_jsonl(const char *path, const hv_eval_gt *gt, const hv_eval_results_options *options,
                                     hv_eval_results *out);

/** Read a COCO results JSON list [{image_id, category_id, bbox, score, segmentation?}] (writer.coco's
 *  <prefix>.bbox.json or .segm.json). Image ids are the GT's, unless "<prefix>.images.json" lies beside it
 *  (writer.coco writes it when it had no ground truth): then ids are mapped through its file_names.
 *  `out->cls` stays empty (COCO results carry no classification, nor the frames without detections).
 *  Errors as for results.jsonl, plus unknown image ids and categories (named). */
HV_API hv_status hv_eval_results_read_coco(const char *path, const hv_eval_gt *gt, const hv_eval_results_options *options,
                                    hv_eval_results *out);

/** Read results from `path`: a folder (an output folder of `hemovk run`: its results.jsonl), a *.jsonl file,
 *  or a *.json COCO results file. */
HV_API hv_status hv_eval_results_read(const char *path, const hv_eval_gt *gt, const hv_eval_results_options *options,
                               hv_eval_results *out);

/** Keep only the results of images that `gt` has (by image id): use it after filtering the GT to a split. */
HV_API hv_status hv_eval_results_restrict(hv_eval_results *res, const hv_eval_gt *gt);

/** For results that list their frames (n_cls > 0): every GT image must have an entry. HV_ERR_NOT_FOUND
 *  naming the first few missing frames and the count otherwise. Results without frame entries (COCO
 *  results) pass. */
HV_API hv_status hv_eval_results_check_coverage(const hv_eval_results *res, const hv_eval_gt *gt);

/** Release what a ground-truth set owns and zero the struct (NULL-safe; the struct itself is the
 *  caller's, like hv_image_free / hv_rle_free: readers fill a caller-provided hv_eval_gt). */
HV_API void hv_eval_gt_free(hv_eval_gt *gt);

/** Release what a result set owns and zero the struct (NULL-safe; the struct itself is the caller's). */
HV_API void hv_eval_results_free(hv_eval_results *res);

#ifdef __cplusplus
}
#endif

#endif
