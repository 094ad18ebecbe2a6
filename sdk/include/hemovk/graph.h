/* hemovk/graph.h — build a static graph of ops, plan it once for a device, run it many times.
 *
 * A plugin (or a model builder) describes a network for a fixed input shape and batch size:
 *
 *     hv_graph *g; hv_graph_create(&g);
 *     hv_tensor_desc xd = hv_desc_make(HV_F16, HV_LAYOUT_ANY, 2, (int64_t[]){8, 768});  // N = 8
 *     hv_tensor *x = hv_graph_input(g, "features", &xd);
 *     hv_tensor_desc wd = hv_desc_make(HV_F16, HV_LAYOUT_ANY, 2, (int64_t[]){1000, 768});
 *     hv_tensor *w = hv_graph_weight(g, "head.weight", &wd, w_f32, HV_F32);   // copied, rounded to f16
 *     hv_tensor *y = hv_linear(g, x, w, NULL, HV_ACT_NONE, "head");          // ops_basic.h
 *     hv_graph_output(g, y, "logits");
 *     if (hv_graph_status(g)) ...                  // the first error, with op name and shapes
 *
 *     hv_plan *p; hv_plan_create(g, dev, NULL, &p);          // dev NULL: CPU reference backend
 *     hv_plan_set_input(p, "features", feats, HV_F32, 8 * 768); // per batch
 *     hv_plan_run(p);
 *     hv_plan_get_output(p, "logits", out, 8 * 1000);        // as f32
 *     hv_plan_free(p); hv_graph_free(g);
 *
 * Builder calls never need individual checks: on error they return NULL and the graph keeps the FIRST
 * error message; any later call given a NULL input returns NULL too (ggml-style). hv_graph_status()
 * reports it once at the end.
 *
 * hv_plan_create() then plans the graph for a device: topological order, fusion (conv/linear + a
 * following activation, + a residual add), buffer lifetimes with memory aliasing in one device arena,
 * weights uploaded once, and ONE command buffer recorded with every dispatch and barrier. Each
 * hv_plan_run() copies the inputs in, replays that command buffer, and waits once. With device NULL
 * the same graph runs on the CPU reference backend (the ops' double-accumulating references) — the
 * oracle for tests.
 *
 * Precision: each tensor has a storage dtype (f32 or f16); arithmetic is always f32 in shaders. f16
 * stores saturate at ±65504 (never a silent Inf; NaN stays NaN). The CPU backend computes in double/f32
 * and rounds every f16 tensor (weights, inputs, op outputs) through the same saturating f16 store, so
 * it emulates the device's storage and serves as the model-level oracle.
 *
 * Ownership: the graph owns its nodes and a host copy of every weight; a plan borrows the graph (free
 * plans first) and owns its device memory and recording. Nothing here is thread-safe: one thread per
 * graph / plan at a time. */
#ifndef HEMOVK_GRAPH_H
#define HEMOVK_GRAPH_H

#include "hemovk/export.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hemovk/device.h"
#include "hemovk/status.h"
#include "hemovk/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hv_graph hv_graph;
typedef struct hv_tensor hv_tensor; /**< a node of the graph: an input, a weight or an op's output */
typedef struct hv_plan hv_plan;

/* ---- building ----------------------------------------------------------------------------------- */

/** Create an empty graph. */
HV_API hv_status hv_graph_create(hv_graph **out);

/** Free a graph and its weights' host copies. Plans made from it must be freed first. NULL: no-op. */
HV_API void hv_graph_free(hv_graph *g);

/** A descriptor from parts: unused trailing dims are set to 1. */
HV_API hv_tensor_desc hv_desc_make(hv_dtype dtype, hv_layout layout, uint32_t rank, const int64_t *dims);

/** Declare an input fed at run time by name. `desc` gives its storage dtype (f32/f16), layout and dims;
 *  the batch N is part of the dims (a plan is built for one shape and batch). */
HV_API hv_tensor *hv_graph_input(hv_graph *g, const char *name, const hv_tensor_desc *desc);

/** Declare a constant (a weight). `data` holds numel(desc) values of `data_type` (f32 or f16) and is
 *  COPIED (the caller may free it right after the call). It is stored as desc->dtype: f32 data for an
 *  f16 weight is rounded to nearest even and saturated at ±65504 (NaN stays NaN). With desc->dtype f32
 *  and data_type HV_F32 this is how an f32 constant is made from host memory. `name` is used in
 *  messages. The host copy is kept (as f32) until the graph is freed: the CPU backend runs from it. */
HV_API hv_tensor *hv_graph_weight(hv_graph *g, const char *name, const hv_tensor_desc *desc, const void *data,
                           hv_dtype data_type);

/** Mark `t` as an output readable by `name` after each run. A tensor may carry one output name. */
HV_API hv_status hv_graph_output(hv_graph *g, hv_tensor *t, const char *name);

/** The first error recorded while building (HV_OK if none); also re-sets hv_last_error() to it. */
HV_API hv_status hv_graph_status(const hv_graph *g);

/** Shape, dtype and layout of a node (NULL for a NULL tensor). */
HV_API const hv_tensor_desc *hv_tensor_get_desc(const hv_tensor *t);

/** Name given when the node was made ("" if none). */
HV_API const char *hv_tensor_name(const hv_tensor *t);

/** Number of nodes (inputs, weights and ops) in the graph. */
HV_API uint32_t hv_graph_node_count(const hv_graph *g);

/** Record a builder error on the graph (first one wins) and return NULL: for op builders and models
 *  that detect a problem themselves, e.g. a missing weight. */
HV_API hv_tensor *hv_graph_fail(hv_graph *g, hv_status status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- planning and running ------------------------------------------------------------------------- */

typedef struct hv_plan_options {
    int no_fusion;          /**< keep every op as its own dispatch (debugging, tests) */
    int no_aliasing;        /**< give every intermediate its own memory (debugging, tests) */
    int profile;            /**< per-dispatch GPU timestamps + table on stderr; also on with HEMOVK_PROFILE=1 */
} hv_plan_options;          /* zero-initialised (or a NULL pointer) = the defaults */

/** Plan `g` for `dev` (NULL: the CPU reference backend). `opts` may be NULL. The graph must have no
 *  recorded error, at least one output, and must outlive the plan. Uploads the weights once and
 *  records the single command buffer. A device allocation failure is HV_ERR_DEVICE_OUT_OF_MEMORY
 *  naming the arena size. */
HV_API hv_status hv_plan_create(hv_graph *g, hv_device *dev, const hv_plan_options *opts, hv_plan **out);

/** Copy input `name` from host memory: `n` values of `data_type` (HV_F32 or HV_F16), `n` must equal the
 *  input's element count. Converted to the input's storage dtype now (f32→f16 saturates at ±65504).
 *  Unknown names are HV_ERR_NOT_FOUND listing the inputs. The data is used by every later run. */
HV_API hv_status hv_plan_set_input(hv_plan *p, const char *name, const void *data, hv_dtype data_type, size_t n);

/** Run once: inputs copied in, the recorded command buffer replayed, outputs copied back, ONE fence
 *  wait. Every input must have been set. With profiling on, prints GPU time per op type to stderr. */
HV_API hv_status hv_plan_run(hv_plan *p);

/** Copy output `name` of the last run to `dst` as f32 (`n` must equal its element count). */
HV_API hv_status hv_plan_get_output(hv_plan *p, const char *name, float *dst, size_t n);

/** Feed input `input` of `dst` from output `output` of `src` without the host: every later
 *  hv_plan_run(dst) first copies that output of src's most recent run device-to-device (on the Vulkan
 *  backend a copy recorded in dst's command buffer; on the CPU backends a memory copy), so a network split
 *  over several plans (a detector's backbone and its RoI heads) keeps its feature maps on the device.
 *  Both plans must belong to the same device and the two tensors must have the same dtype and dims
 *  (HV_ERR_SHAPE naming both otherwise). src must outlive dst, or be unlinked first: `src` NULL unlinks,
 *  after which the input must be set with hv_plan_set_input again. hv_plan_run(dst) refuses to run while
 *  src has never run; hv_plan_set_input on a linked input is an error. Linking re-records dst's command
 *  buffer once, at its next run. */
HV_API hv_status hv_plan_link_input(hv_plan *dst, const char *input, hv_plan *src, const char *output);

/** Whether each run copies output `name` back for the host (the default, true). An output only other
 *  plans read (hv_plan_link_input) set to false costs no device→host transfer; hv_plan_get_output then
 *  refuses it with an error saying so. Takes effect at the next run (one re-recording). */
HV_API hv_status hv_plan_set_output_readback(hv_plan *p, const char *name, bool readback);

/** Descriptor of output `name`, or NULL when there is none. */
HV_API const hv_tensor_desc *hv_plan_output_desc(const hv_plan *p, const char *name);

/** Peak bytes of the intermediate arena after aliasing (every op output, graph inputs' device copies,
 *  outputs and scratch; weights excluded). */
HV_API uint64_t hv_plan_peak_bytes(const hv_plan *p);

/** What the same tensors would need without aliasing: the sum of their sizes. */
HV_API uint64_t hv_plan_sum_intermediate_bytes(const hv_plan *p);

/** Bytes of weights held by the plan (device memory, or host for the CPU backend). */
HV_API uint64_t hv_plan_weight_bytes(const hv_plan *p);

/** Number of op nodes executed after fusion (one or more dispatches each). */
HV_API uint32_t hv_plan_node_count(const hv_plan *p);

/** Number of op nodes removed by fusion (activations and residual adds folded into their producer). */
HV_API uint32_t hv_plan_fused_count(const hv_plan *p);

/** Number of dependency levels (= barriers between op levels) in the recording. */
HV_API uint32_t hv_plan_level_count(const hv_plan *p);

/** Barriers the Vulkan recording places between op steps (0 for the CPU backend). A barrier is
 *  placed only before a step that reads or overwrites memory written or read since the last one, so
 *  this is at most hv_plan_level_count() − 1 (the copy-in and copy-out barriers are not counted). */
HV_API uint32_t hv_plan_barrier_count(const hv_plan *p);

/** Name of the op at execution position i (< hv_plan_node_count), e.g. "linear"; NULL past the end. */
HV_API const char *hv_plan_node_op(const hv_plan *p, uint32_t i);

/** GPU time per op type of the last profiled run; returns entries written (≤ cap), sorted by time. */
typedef struct hv_op_time {
    const char *op;     /**< op name ("conv2d"); valid while the plan lives */
    uint32_t count;     /**< dispatches of that op */
    double ns;          /**< total GPU time */
} hv_op_time;
HV_API uint32_t hv_plan_profile(const hv_plan *p, hv_op_time *out, uint32_t cap);

/** Free a plan (its device memory and recording). NULL: no-op. */
HV_API void hv_plan_free(hv_plan *p);

#ifdef __cplusplus
}
#endif

/* The op builders, one header per op family. */
#include "hemovk/ops_basic.h"
#include "hemovk/ops_conv.h"
#include "hemovk/ops_dcn.h"

#endif
