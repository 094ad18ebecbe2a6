/* hemovk/frame.h — the unit of work that stages exchange: one capsule frame and everything found in it.
 *
 * A source stage creates frames (id, path, pixels); later stages read the pixels and add results: a
 * classification, detections with masks, a heat map, free key/value metadata. A stage can mark a frame
 * `dropped` (a quality filter, a negative classification routed away) — later stages do not see it,
 * writers still record why — or record a per-frame `error` (the run continues; the summary counts it).
 *
 * ABI rules: hv_frame and the structs inside it only grow at the end; `struct_size` is the size the
 * frame was created with (the core creates frames, so it is always the host's size). A plugin built
 * against an older minor version reads only the fields it knows. Everything a frame points to is owned
 * by the frame and released by hv_frame_clear()/hv_frame_free(); stages change pointers and counts only
 * through the hv_frame_* helpers below (they live in libhemovk), so ownership stays in one place.
 * A frame is used by one thread at a time. */
#ifndef HEMOVK_FRAME_H
#define HEMOVK_FRAME_H

#include "hemovk/export.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "hemovk/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest label / model / reason name kept in a fixed field, including the NUL. */
#define HV_FRAME_NAME_MAX 64
/** Longest drop reason kept, including the NUL ("too dark: mean luminance 12.3 < 20"). */
#define HV_FRAME_REASON_MAX 160

/** How a detection's mask is stored. */
typedef enum hv_mask_format {
    HV_MASK_NONE = 0,   /**< no mask (a box-only detector) */
    HV_MASK_BITMAP = 1, /**< `bitmap`: width*height bytes, row-major, 0 = background, 1 = object */
    HV_MASK_RLE = 2     /**< `rle`: COCO uncompressed RLE of a width*height mask, column-major (Fortran)
                              order, alternating runs starting with background: counts sum to w*h
                              (the same runs as hv_rle in hemovk/detect.h, so hv_rle_encode fills it) */
} hv_mask_format;

/** A binary instance mask covering the whole frame (width/height equal the frame's). */
typedef struct hv_mask {
    uint32_t format;      /**< an hv_mask_format */
    uint32_t width;       /**< mask width in pixels (the frame's width) */
    uint32_t height;      /**< mask height in pixels (the frame's height) */
    uint8_t *bitmap;      /**< HV_MASK_BITMAP: width*height bytes, owned */
    uint32_t *rle;        /**< HV_MASK_RLE: run lengths, owned */
    size_t n_rle;         /**< number of runs in `rle` */
} hv_mask;

/** One detected object (a bleeding region). Boxes are in frame pixels, x2/y2 exclusive (MMDetection). */
typedef struct hv_detection {
    float x1, y1, x2, y2;           /**< box corners in pixels of the frame */
    float score;                    /**< confidence in [0, 1] */
    int32_t label;                  /**< class index (0 = bleeding in the paper's models) */
    hv_mask mask;                   /**< instance mask, format HV_MASK_NONE when the model has none */
    char model[HV_FRAME_NAME_MAX];  /**< which model produced it ("maskrcnn-convnext"): ensembles keep track */
} hv_detection;

/** The frame-level classification. `valid` is 0 until a classifier stage fills it. */
typedef struct hv_classification {
    int32_t valid;                  /**< non-zero once set */
    int32_t label;                  /**< index of the predicted class */
    float score;                    /**< probability of `label` (after softmax/sigmoid) */
    char label_name[HV_FRAME_NAME_MAX]; /**< "bleeding" / "non-bleeding" */
    float *probs;                   /**< n_probs class probabilities, owned */
    uint32_t n_probs;
} hv_classification;

/** How a classifier turns probabilities into a label, recorded on the frame with the label so that a
 *  stage merging several classifications (test-time augmentation) decides by the same rule instead of
 *  a second copy of it: the classifier's YAML stays the one place a threshold is set. */
typedef struct hv_class_rule {
    int32_t set;                    /**< non-zero once a classifier recorded its rule */
    int32_t positive;               /**< index of the class `threshold` applies to */
    float threshold;                /**< the positive class wins when its probability is >= this */
} hv_class_rule;

/** A single-channel map (class activation, Grad-CAM) at its own resolution, values in [0, 1]. */
typedef struct hv_heatmap {
    uint32_t width, height;         /**< 0 when there is no heat map */
    float *data;                    /**< width*height floats, row-major, owned */
} hv_heatmap;

/** A feature map a stage exposes to later stages (a CAM stage reads it): C×H×W floats, channel-major
 *  (NCHW of one image). Named "<stage id>.<layer>" ("segment.fpn.4") so two models' maps stay apart. */
typedef struct hv_feature_map {
    char name[HV_FRAME_NAME_MAX];   /**< "<stage id>.<layer>" */
    uint32_t channels, height, width;
    float *data;                    /**< channels*height*width floats, owned */
} hv_feature_map;

/** One metadata entry: both strings owned by the frame. Keys are dotted ("quality.luminance"). */
typedef struct hv_meta_entry {
    char *key;
    char *value;
} hv_meta_entry;

/** One frame. Create with hv_frame_init() (or let the core do it); fields documented one by one. */
typedef struct hv_frame {
    uint32_t struct_size;           /**< sizeof(hv_frame) of the code that created it (the core) */
    uint32_t reserved0;             /**< zero; keeps the 64-bit fields aligned the same everywhere */
    uint64_t id;                    /**< index of the frame in the run's input list (stable across --resume) */
    char *path;                     /**< source file path, owned (NULL for frames made in memory) */
    int32_t width, height;          /**< pixels; 0 until decoded */
    uint8_t *rgb;                   /**< host RGB8 pixels, HWC, width*height*3 bytes, owned; NULL if not decoded */
    hv_classification cls;          /**< classification result (cls.valid == 0: none) */
    hv_detection *detections;       /**< n_detections detections, owned (hv_frame_add_detection) */
    size_t n_detections;
    size_t cap_detections;          /**< allocated entries (internal to the helpers) */
    hv_heatmap heatmap;             /**< class-activation map (width == 0: none) */
    hv_meta_entry *meta;            /**< n_meta metadata entries in insertion order, owned */
    size_t n_meta;
    size_t cap_meta;                /**< allocated entries (internal to the helpers) */
    int32_t dropped;                /**< non-zero: skip this frame in later stages (not an error) */
    char drop_reason[HV_FRAME_REASON_MAX]; /**< why it was dropped, "" otherwise */
    char drop_stage[HV_FRAME_NAME_MAX];    /**< id of the stage that dropped it */
    char *error;                    /**< per-frame failure message, owned; NULL when fine. A frame with an
                                         error is also dropped and counted as failed in the summary. */
    /* ---- added after v1.0 (read only when frame->struct_size covers them; use the helpers) ---- */
    hv_feature_map *features;       /**< n_features maps stages exposed (hv_frame_set_feature), owned */
    size_t n_features;
    hv_class_rule cls_rule;         /**< the decision rule that chose cls.label (hv_frame_set_class_rule) */
    /* New fields go here, at the end (the scheduler's additions included). */
} hv_frame;

/** Allocate and initialise a frame on the host's side, so that its size is always the host's
 *  sizeof(hv_frame) — a plugin that needs frames of its own (a TTA stage making transformed copies)
 *  must use this rather than a struct of its own compile-time size, which would be too small once
 *  hv_frame grows. Free with hv_frame_free(). */
HV_API hv_status hv_frame_new(uint64_t id, const char *path, hv_frame **out);

/** hv_frame_clear() then free a frame made by hv_frame_new(). NULL is a no-op. */
HV_API void hv_frame_free(hv_frame *frame);

/** Zero `frame`, set struct_size and id, and copy `path` (may be NULL). */
HV_API hv_status hv_frame_init(hv_frame *frame, uint64_t id, const char *path);

/** Release everything the frame owns and zero it (struct_size is kept). NULL is a no-op. */
HV_API void hv_frame_clear(hv_frame *frame);

/** Take ownership of decoded pixels (malloc'ed, width*height*3 bytes), freeing any previous ones. */
HV_API void hv_frame_set_pixels(hv_frame *frame, int32_t width, int32_t height, uint8_t *rgb);

/** The classifier decision rule: the `positive` class when p[positive] >= threshold, else the most
 *  probable OTHER class (lowest index on ties). With two classes and threshold 0.5 this is argmax, except
 *  that an exact 0.5/0.5 tie goes to the positive class. Returns `positive` for a single class and -1 for
 *  bad arguments (k < 1, positive out of range, NULL p). */
HV_API int32_t hv_class_decide(const float *p, int32_t k, int32_t positive, float threshold);

/** Record the rule that chose the frame's classification (see hv_class_rule). Frames smaller than this
 *  version's hv_frame (an older plugin's own struct) are left alone. */
HV_API void hv_frame_set_class_rule(hv_frame *frame, int32_t positive, float threshold);

/** The recorded rule: 1 and *out filled when a classifier recorded one, else 0. */
HV_API int hv_frame_class_rule(const hv_frame *frame, hv_class_rule *out);

/** Set the classification: label index, its score, its name (truncated to HV_FRAME_NAME_MAX-1), and
 *  optionally all class probabilities (copied; probs may be NULL when n_probs is 0). */
HV_API hv_status hv_frame_set_class(hv_frame *frame, int32_t label, float score, const char *label_name,
                             const float *probs, uint32_t n_probs);

/** Append a detection (copied; its mask buffers are MOVED into the frame and `det`'s mask pointers
 *  are cleared). Returns a pointer to the stored detection through `out` when not NULL. */
HV_API hv_status hv_frame_add_detection(hv_frame *frame, hv_detection *det, hv_detection **out);

/** Release the detections' masks and empty the list (an ensemble stage replacing inputs with fused boxes). */
HV_API void hv_frame_clear_detections(hv_frame *frame);

/** Take ownership of a heat map (malloc'ed width*height floats in [0, 1]), freeing any previous one. */
HV_API void hv_frame_set_heatmap(hv_frame *frame, uint32_t width, uint32_t height, float *data);

/** Attach a c×h×w float feature map under `name` (truncated to HV_FRAME_NAME_MAX-1), taking ownership
 *  of `data` (malloc'ed c*h*w floats; freed here on failure too); replaces a map of the same name. A
 *  segmenter asked for a CAM layer stores it so, and a later `cam` stage reads it. */
HV_API hv_status hv_frame_set_feature(hv_frame *frame, const char *name, uint32_t c, uint32_t h, uint32_t w, float *data);

/** The feature map named `name`, or NULL (also NULL for a frame created before the field existed). */
HV_API const hv_feature_map *hv_frame_get_feature(const hv_frame *frame, const char *name);

/** Set (or replace) metadata `key` to a printf-formatted value. */
HV_API hv_status hv_frame_set_meta(hv_frame *frame, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** Value of metadata `key`, or NULL. */
HV_API const char *hv_frame_get_meta(const hv_frame *frame, const char *key);

/* ---- where a frame sits in the exam ---------------------------------------------------------------
 * Its index is `id`: the frame's position in the exam (the source's natural order for a folder or glob,
 * the file's order for a list file, the stream's order for a video), stable across --resume.
 * Its time, when known, is metadata HV_FRAME_TIME_META: seconds from the exam's first frame, written
 * "%.3f". The scheduler sets it to id / fps when the pipeline's `source.fps` is given (image folders
 * carry no clock); a source that knows real timestamps (a video) sets it itself. No entry: unknown. */
#define HV_FRAME_TIME_META "frame.time"

/** The frame's time in seconds (HV_FRAME_TIME_META): 1 and *seconds set when known, else 0. */
static inline int hv_frame_time(const hv_frame *frame, double *seconds) {
    const char *v = frame ? hv_frame_get_meta(frame, HV_FRAME_TIME_META) : NULL;
    char *end = NULL;
    double t = v ? strtod(v, &end) : 0.0;
    if (!v || end == v) return 0;
    if (seconds) *seconds = t;
    return 1;
}

/** Mark the frame dropped by stage `stage` (may be NULL) with a printf-formatted reason. The first
 *  drop wins: dropping an already dropped frame keeps the first reason. */
HV_API void hv_frame_drop(hv_frame *frame, const char *stage, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** Record a per-frame failure (copied) and mark the frame dropped. Keeps the first error. Returns HV_OK
 *  so a stage can `return hv_frame_fail(...)` for a bad frame without failing the whole batch. */
HV_API hv_status hv_frame_fail(hv_frame *frame, const char *stage, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
#endif
