/* hemovk/weights.h — named weight tensors: safetensors files, in-memory sets, SWA averaging.
 *
 * An hv_weights is a set of named tensors. It is either
 *   - mapped from one safetensors file (hv_weights_open): zero-copy, read-only pages of the file; or
 *   - owned in memory (hv_weights_create + hv_weights_add, or the result of hv_weights_swa*).
 * Model builders read both kinds through the same calls, so an SWA-averaged set is used exactly like
 * a file.
 *
 * Tensor names are the checkpoint names of the framework the paper used (mmpretrain / MMDetection:
 * "backbone.layers.0.conv.weight", "neck.lateral_convs.0.conv.weight", "head.fc.weight", ...). PyTorch
 * checkpoints become safetensors with tools/convert_checkpoint.py.
 *
 * safetensors layout (https://github.com/huggingface/safetensors): an 8-byte little-endian header
 * length N, N bytes of UTF-8 JSON {"name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]},
 * ..., "__metadata__": {"k": "v"}}, then the data section; offsets are relative to its start.
 * hv_weights_open validates ALL of it before returning a set: header length bounded (≤ 100 MB and ≤ file
 * size − 8), valid UTF-8 JSON object, known dtypes, shapes of non-negative integers whose byte size does
 * not overflow, offsets inside the data section with e − b == byte size, no two tensors overlapping,
 * metadata values strings. A violation is HV_ERR_PARSE naming the file, the tensor and the problem.
 *
 * Thread safety: reading one set from several threads is safe; changing it (add, set, close) is not. */
#ifndef HEMOVK_WEIGHTS_H
#define HEMOVK_WEIGHTS_H

#include "hemovk/export.h"

#include <stddef.h>
#include <stdint.h>

#include "hemovk/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A set of named tensors (opaque). */
typedef struct hv_weights hv_weights;

/** Element type as stored in the file. Float types convert to f32 with hv_weights_read_f32(); the
 *  integer/bool types are loadable (e.g. BatchNorm's I64 num_batches_tracked) but models skip them. */
typedef enum hv_weight_dtype {
    HV_WDT_F32 = 0,
    HV_WDT_F16 = 1,
    HV_WDT_BF16 = 2,
    HV_WDT_F64 = 3,
    HV_WDT_I64 = 4,
    HV_WDT_I32 = 5,
    HV_WDT_U8 = 6,
    HV_WDT_BOOL = 7
} hv_weight_dtype;

/** Most dims a stored tensor may have (safetensors allows more; no model here needs them). */
#define HV_WEIGHTS_MAX_DIMS 8

/** Description of one stored tensor. `name` points into the set and lives as long as it. */
typedef struct hv_weight_info {
    const char *name;
    hv_weight_dtype dtype;
    uint32_t rank;                          /**< 0 (scalar) .. HV_WEIGHTS_MAX_DIMS */
    int64_t dims[HV_WEIGHTS_MAX_DIMS];      /**< row-major, outermost first; unused entries are 1 */
    int64_t numel;                          /**< product of dims (1 for a scalar) */
    size_t nbytes;                          /**< numel × element size */
} hv_weight_info;

/** The safetensors name of a dtype ("F32", "BF16", ...); "?" for an invalid value. */
HV_API const char *hv_weight_dtype_name(hv_weight_dtype t);

/** Bytes per element (8, 4, 2 or 1); 0 for an invalid value. */
HV_API size_t hv_weight_dtype_size(hv_weight_dtype t);

/** 1 for F32/F16/BF16/F64 (averaged by SWA, converted by read_f32 without loss of meaning), else 0. */
HV_API int hv_weight_dtype_is_float(hv_weight_dtype t);

/* ---- opening, creating, closing -------------------------------------------------------------- */

/** Memory-map and validate the safetensors file at `path` (see the file comment for the checks).
 *  Errors: HV_ERR_IO (cannot open/map; names the path and the OS reason), HV_ERR_PARSE (malformed;
 *  names the path, the tensor and the problem), HV_ERR_OUT_OF_MEMORY. Never crashes on bad input.
 *  On success *out must be released with hv_weights_free(). */
HV_API hv_status hv_weights_open(const char *path, hv_weights **out);

/** A new empty in-memory set. `source` names it in messages ("swa(3 files)"); NULL → "(memory)". */
HV_API hv_status hv_weights_create(const char *source, hv_weights **out);

/** Release a set (unmaps the file, frees owned data). NULL is ignored. */
HV_API void hv_weights_free(hv_weights *w);

/** The file path or the name given to hv_weights_create(); for messages. */
HV_API const char *hv_weights_source(const hv_weights *w);

/* ---- reading --------------------------------------------------------------------------------- */

/** Number of tensors. */
HV_API size_t hv_weights_count(const hv_weights *w);

/** Describe the tensor at `index` (0 ≤ index < count). Iteration order is byte-wise name order
 *  (strcmp), for files and in-memory sets alike. HV_ERR_INVALID_ARGUMENT if out of range. */
HV_API hv_status hv_weights_info_at(const hv_weights *w, size_t index, hv_weight_info *info);

/** 1 if a tensor called `name` exists, else 0. Does not touch the error message. */
HV_API int hv_weights_has(const hv_weights *w, const char *name);

/** Describe the tensor `name`. HV_ERR_NOT_FOUND names the missing tensor and the source and, when
 *  there are close names (same suffix, a prefix added/missing, small edit distance), suggests them:
 *  "weights.safetensors: no tensor 'backbone.layers.0.conv.weigth' (did you mean
 *  'backbone.layers.0.conv.weight'?)". `info` may be NULL to test for presence with a message. */
HV_API hv_status hv_weights_find(const hv_weights *w, const char *name, hv_weight_info *info);

/** Raw stored bytes of `name` (dtype/shape as in *info if non-NULL), little-endian, valid while the
 *  set is open and until that tensor is replaced. Always aligned to the element size (a misaligned
 *  tensor in a file is copied once at open). Errors as hv_weights_find(). */
HV_API hv_status hv_weights_data(const hv_weights *w, const char *name, const void **data, hv_weight_info *info);

/** Copy tensor `name` into `dst` as f32, converting F16/BF16/F64/I64/I32/U8/BOOL. `dst_count` must
 *  equal the tensor's numel (HV_ERR_SHAPE otherwise, naming tensor, its shape and dst_count), which
 *  catches a model reading the wrong tensor. F64 values beyond f32 range become ±Inf. */
HV_API hv_status hv_weights_read_f32(const hv_weights *w, const char *name, float *dst, size_t dst_count);

/** Like hv_weights_read_f32() but for a model's parameters: the shape must match exactly, else
 *  HV_ERR_SHAPE "tensor 'x': expected [64, 3, 3, 3], file has [32, 3, 3, 3]", and the stored dtype must
 *  be a float type (F32/F16/BF16/F64), else HV_ERR_SCHEMA naming the tensor and its dtype (an F32
 *  tensor relabelled I32 is a broken file, not integers to convert). */
HV_API hv_status hv_weights_read_f32_shape(const hv_weights *w, const char *name, uint32_t rank,
                                    const int64_t *dims, float *dst);

/* ---- which tensors a model used ---------------------------------------------------------------------
 * Every read of a tensor's values (hv_weights_data, hv_weights_read_f32, hv_weights_read_f32_shape)
 * marks it used; hv_weights_has/find do not (a builder may probe for optional parts). After building a
 * model once, hv_weights_check_used() refuses a set with tensors the model never read: a checkpoint of
 * another variant (InternImage-H's center_feature_scale, a different head) would otherwise load with
 * parts silently ignored and give wrong outputs. */

/** Forget which tensors were read (before building a model whose use is then checked). */
HV_API void hv_weights_reset_used(hv_weights *w);

/** 1 when tensor `name` was read since the set was opened or last reset, else 0. */
HV_API int hv_weights_was_used(const hv_weights *w, const char *name);

/** HV_OK when every tensor was read, except those matching one of the `ignore` glob patterns (fnmatch(3),
 *  e.g. "aux_head.*") and integer "*.num_batches_tracked" (BatchNorm's step counter, never read at
 *  inference). Otherwise HV_ERR_SCHEMA "<who>: 3 tensors of <source> are not used by the model: 'a', ..."
 *  listing the first eight and telling how to ignore them. `who` names the component for the message. */
HV_API hv_status hv_weights_check_used(const hv_weights *w, const char *const *ignore, size_t n_ignore, const char *who);

/** Value of metadata `key` ("__metadata__" in the file) or NULL. */
HV_API const char *hv_weights_metadata(const hv_weights *w, const char *key);

/* ---- changing (any set: a mapped file's tensor becomes an owned copy when replaced) ------------- */

/** Add a tensor, copying `data` (numel × element size bytes; may be NULL for zeros). Names must be
 *  unique (HV_ERR_INVALID_ARGUMENT names the duplicate) and non-empty; rank ≤ HV_WEIGHTS_MAX_DIMS. */
HV_API hv_status hv_weights_add(hv_weights *w, const char *name, hv_weight_dtype dtype, uint32_t rank,
                         const int64_t *dims, const void *data);

/** Overwrite the values of existing tensor `name` from f32 (converted to its stored dtype, F16 rounded
 *  to nearest even; integer dtypes are refused). `count` must equal its numel. This is how the model
 *  layer writes recalibrated BatchNorm statistics into an SWA set (HV_SWA_BN_RECALIBRATE). */
HV_API hv_status hv_weights_set_tensor_f32(hv_weights *w, const char *name, const float *src, size_t count);

/** Set (or replace) metadata `key` = `value` (both copied). */
HV_API hv_status hv_weights_set_metadata(hv_weights *w, const char *key, const char *value);

/** Write the set to `path` as safetensors (written to "<path>.tmp" then renamed, so a crash never
 *  leaves a half file under the real name). Header padded with spaces to 8 bytes; tensors laid out
 *  largest element size first so every tensor stays aligned to its element size when mapped. */
HV_API hv_status hv_weights_save(const hv_weights *w, const char *path);

/* ---- synthetic tensors (plumbing demos with random weights) ------------------------------------ */

/** Fills `dst` (the product of dims values) for tensor `name` of shape rank/dims. */
typedef hv_status (*hv_weights_synth_fn)(void *user, const char *name, uint32_t rank, const int64_t *dims,
                                         float *dst);

/** Make `w` synthetic: hv_weights_read_f32_shape() of a tensor the set does NOT hold then calls `fn`
 *  (with the shape the reader expects) instead of failing, so a model builder can be run on a set
 *  without knowing its tensor list in advance — how the classifier's `random` weights mode works.
 *  Tensors the set holds are read as usual; hv_weights_has/find/data and hv_weights_read_f32 (no shape)
 *  still report absent tensors as absent (so optional parts of a model stay off). Nothing is stored:
 *  `fn` must be deterministic in (name, shape) when the same tensor may be read twice. fn NULL turns it
 *  off. `user` must outlive the set's use. */
HV_API hv_status hv_weights_set_synthesizer(hv_weights *w, hv_weights_synth_fn fn, void *user);

/** 1 when a synthesizer is set on `w` (its values are made up, not trained). */
HV_API int hv_weights_is_synthetic(const hv_weights *w);

/** A synthesizer (hv_weights_synth_fn) of made-up, NOT trained weights for plumbing demos and tests —
 *  the stages' `weights: {random: {seed}}`. `user` points to a uint64_t seed. Values depend only on
 *  (seed, name, shape) and are scaled like a fresh PyTorch init so deep networks stay finite: rank ≥ 2
 *  tensors uniform in ±√(6/fan_in) with fan_in = numel/dims[0]; names ending "running_var" in
 *  [0.5, 1.5]; other rank-1 ".weight" or "gamma" tensors (norm and layer scales) in [0.9, 1.1]; the rest
 *  (biases, running_mean) in [−0.01, 0.01]. Use: hv_weights_set_synthesizer(w, hv_weights_random_init,
 *  &seed). */
HV_API hv_status hv_weights_random_init(void *user, const char *name, uint32_t rank, const int64_t *dims, float *dst);

/* ---- SWA: stochastic weight averaging at load time (MODEL_SPEC §6.3) ---------------------------- */

/** What to do with BatchNorm running statistics (tensors named "*.running_mean" / "*.running_var")
 *  when averaging. Why there is a choice: PyTorch's reference (torch.optim.swa_utils.AveragedModel,
 *  use_buffers=False) averages only *parameters*; BN buffers are copied from the current model and
 *  update_bn() then recomputes them with one pass over training data, because the average of N
 *  models' statistics is not the statistics of the averaged model. Which of these the paper's authors
 *  did is unknown. Only the EfficientNet classifier has BN: ConvNeXt, InternImage, FPN and the
 *  Mask R-CNN heads use LayerNorm, so for the detectors every policy gives the same result. */
typedef enum hv_swa_bn_policy {
    /** Average running_mean / running_var like any other tensor: naive state-dict averaging, an
     *  approximation that needs no data (the default). */
    HV_SWA_BN_AVERAGE = 0,
    /** Take running_mean / running_var from the last checkpoint (in sorted order): what
     *  AveragedModel's copy gives before update_bn() runs. */
    HV_SWA_BN_KEEP_LAST = 1,
    /** Average them as a starting point AND mark the set as needing recalibration
     *  (hv_weights_needs_bn_recalibration()); the model layer then runs the averaged network over
     *  calibration frames — the engine-side equivalent of update_bn() — and writes the new
     *  statistics with hv_weights_set_tensor_f32(), then calls hv_weights_mark_bn_recalibrated(). */
    HV_SWA_BN_RECALIBRATE = 2
} hv_swa_bn_policy;

/** Options for hv_weights_swa(); zero-initialised = average BN stats, keep the inputs' dtype. */
typedef struct hv_swa_options {
    hv_swa_bn_policy bn_policy;
    /** 0: averaged float tensors are stored in the inputs' dtype (rounded once, after averaging);
     *  1: stored as F32 (keeps the extra precision of the mean of f16 inputs). */
    int output_f32;
} hv_swa_options;

/** Average N safetensors checkpoints with equal weights: every floating tensor element-wise in f32
 *  (each element's sum is accumulated in double, so the result equals (1/N)·Σθ_k to f32 rounding).
 *  All files must have the same tensor names, dtypes and shapes: otherwise HV_ERR_SCHEMA naming the
 *  tensor and both files. Integer tensors (I64 num_batches_tracked, ...) are not averaged: the last
 *  file's values are kept. N == 1 returns the file as is (an already-averaged checkpoint; nothing is
 *  marked for recalibration). `options` may be NULL (defaults). "Last" is the last path given.
 *  The result is an in-memory set (source "swa(N files: first, ..., last)"), metadata
 *  "hemovk.swa.count" and "hemovk.swa.bn_policy" are set on it. */
HV_API hv_status hv_weights_swa(const char *const *paths, size_t n, const hv_swa_options *options, hv_weights **out);

/** hv_weights_swa() over the files matching a glob(3) pattern ("ckpt/epoch_*.safetensors"), in
 *  natural order (digit runs compare as numbers, so epoch_9 comes before epoch_10 and "last" means the
 *  latest epoch). No match is HV_ERR_NOT_FOUND naming the pattern. */
HV_API hv_status hv_weights_swa_glob(const char *pattern, const hv_swa_options *options, hv_weights **out);

/** 1 if the set came from hv_weights_swa*() with HV_SWA_BN_RECALIBRATE and N > 1 and
 *  hv_weights_mark_bn_recalibrated() has not been called since; else 0. */
HV_API int hv_weights_needs_bn_recalibration(const hv_weights *w);

/** Number of BN statistics tensors (*.running_mean, *.running_var) listed for recalibration. */
HV_API size_t hv_weights_bn_stat_count(const hv_weights *w);

/** Name of the index-th BN statistics tensor for recalibration (name order), or NULL if out of range. */
HV_API const char *hv_weights_bn_stat_name(const hv_weights *w, size_t index);

/** Clear the needs-recalibration flag once the model layer has written the new statistics. */
HV_API void hv_weights_mark_bn_recalibrated(hv_weights *w);

#ifdef __cplusplus
}
#endif
#endif
