/* hemovk/plugin.h — the plugin ABI: what a plugin shared object exports and what the host gives it.
 *
 * A plugin is a shared object named hemovk-<name>.so that exports exactly ONE symbol the host looks
 * for, `hemovk_plugin_entry`. Write it with the HV_PLUGIN_ENTRY macro:
 *
 *     static const hv_component_desc k_components[] = {
 *         {.struct_size = sizeof(hv_component_desc), .kind = HV_COMPONENT_STAGE, .name = "filter.quality",
 *          .description = "...", .param_schema = k_schema_yaml,
 *          .vtable = &k_quality_vtable, .vtable_size = sizeof k_quality_vtable},
 *     };
 *     static const hv_plugin_descriptor k_plugin = {
 *         .struct_size = sizeof(hv_plugin_descriptor), .abi_major = HV_ABI_MAJOR, .abi_minor = HV_ABI_MINOR,
 *         .name = "core", .version = "0.1.0", .description = "...",
 *         .n_components = 1, .components = k_components, .init = NULL, .fini = NULL};
 *     HV_PLUGIN_ENTRY { return &k_plugin; }
 *
 * How the host loads a plugin (core/plugin/loader.c), in this order:
 *   1. dlopen(RTLD_NOW | RTLD_LOCAL): a plugin's symbols never leak into another plugin.
 *   2. dlsym("hemovk_plugin_entry") and call it. The entry MUST only return a pointer to static,
 *      constant data: no allocation, no I/O, no calls into the host — the host has not checked the ABI yet.
 *   3. Check, before anything else is read or called: the pointer is not NULL; struct_size is at least
 *      the v1.0 descriptor size; abi_major == HV_ABI_MAJOR of the host; abi_minor <= the host's minor.
 *      The host then reads only the first struct_size bytes (fields added by later minors are read only
 *      when the plugin's struct_size covers them), and the same for every component and vtable.
 *   4. Validate the components: known kind, non-empty name of [a-z0-9._-], a vtable large enough for the
 *      kind, a param_schema that parses and is a schema the validator understands.
 *   5. Call init(host, &state). A failure rejects the plugin with the message the plugin set through
 *      host->error() (hv_error). fini(state) is called when the host unloads the plugin.
 * Any failed step rejects the plugin (reported with its path and the reason; `hemovk plugins` lists the
 * rejections) and the host carries on with the others. Component names are unique per kind across all
 * plugins: the first plugin found wins and the later duplicate is reported.
 *
 * Search order: every folder of HEMOVK_PLUGIN_PATH (colon-separated), then the build tree's plugins/
 * folder when libhemovk runs from its build tree, else <libdir>/hemovk/plugins beside the running
 * libhemovk, then the install folder configured at build time.
 * Within a folder files load in name order.
 *
 * Versioning: a minor version only ADDS (fields at the end of structs, new kinds, new host functions at
 * the end of hv_host_api); anything else bumps the major. Every struct here begins with struct_size.
 *
 * Plugins link libhemovk (CMake: hemovk::hemovk; pkg-config: hemovk) and may call its public functions
 * (hv_config_*, hv_frame_*, hv_error, hv_log, ...). hv_host_api carries what depends on the running host:
 * its registry of components, the open device, the search path. */
#ifndef HEMOVK_PLUGIN_H
#define HEMOVK_PLUGIN_H

#include "hemovk/export.h"

#include <stddef.h>
#include <stdint.h>

#include "hemovk/frame.h"
#include "hemovk/log.h"
#include "hemovk/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** ABI version of these headers (kept equal to HEMOVK_ABI_MAJOR/MINOR in the top CMakeLists.txt). A minor
 *  adds and never changes: 1.1 added hv_config_need_* (schema-filled params), the read-only registry
 *  catalog (hemovk/registry.h), hv_device_transfer_stats and hv_pipeline_summary.transfers (at its end);
 *  1.2 added the CPU backend's device (hv_device_info.host and .threads, at its end), the run's device in
 *  hv_pipeline_summary.device, and custom operators (hemovk/custom_op.h); 1.3 added plan-to-plan links
 *  (hv_plan_link_input, hv_plan_set_output_readback) and hv_maskrcnn_detect_batch; 1.4 added anchor scales
 *  (hv_maskrcnn_params.n_anchor_scales/anchor_scales and hv_rpn_params.n_scales/scales, at their ends). A plugin built for
 *  an older minor loads unchanged; one built for a newer minor needs a host at least that new. */
#define HV_ABI_MAJOR 1
#define HV_ABI_MINOR 4

/** Name of the one symbol the host looks up. */
#define HV_PLUGIN_ENTRY_SYMBOL "hemovk_plugin_entry"

#if defined(__GNUC__) || defined(__clang__)
#define HV_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define HV_PLUGIN_EXPORT
#endif

struct hv_config_node; /* hemovk/config.h */
struct hv_device;      /* hemovk/device.h */
typedef struct hv_plugin_descriptor hv_plugin_descriptor;

#ifdef __cplusplus
#define HV_PLUGIN_EXTERN_C extern "C"
#else
#define HV_PLUGIN_EXTERN_C
#endif

/** Declares (and begins the definition of) the entry function: `HV_PLUGIN_ENTRY { return &k_plugin; }`. */
#define HV_PLUGIN_ENTRY HV_PLUGIN_EXTERN_C HV_PLUGIN_EXPORT const hv_plugin_descriptor *hemovk_plugin_entry(void)

/** Type of the entry function. */
typedef const hv_plugin_descriptor *(*hv_plugin_entry_fn)(void);

/** What a component is; decides which vtable type `vtable` points to. Values are part of the ABI. */
typedef enum hv_component_kind {
    HV_COMPONENT_STAGE = 1,         /**< a pipeline stage: hv_stage_vtable */
    HV_COMPONENT_BACKBONE = 2,      /**< builds a feature extractor graph: hv_backbone_vtable */
    HV_COMPONENT_NECK = 3,          /**< builds a neck (FPN, ...) */
    HV_COMPONENT_HEAD = 4,          /**< builds a head (classification, RPN, RoI, mask) */
    HV_COMPONENT_WEIGHT_LOADER = 5, /**< produces a weight set (safetensors, SWA average, ...): hv_weight_loader_vtable */
    HV_COMPONENT_SOURCE = 6,        /**< a stage that produces frames (hv_stage_vtable) */
    HV_COMPONENT_WRITER = 7         /**< a stage that writes results (hv_stage_vtable) */
} hv_component_kind;
/** Highest kind value this ABI minor knows; a component with another kind is rejected. */
#define HV_COMPONENT_KIND_LAST HV_COMPONENT_WRITER

/* ---- host API: given to init() and to every create() ---------------------------------------------- */

typedef struct hv_host_api hv_host_api;

/** A component found by hv_host_api.find_component: its descriptor as the host normalised it (all
 *  fields present, struct_size == the host's), the state its plugin's init() returned, and the plugin. */
typedef struct hv_component_ref {
    uint32_t struct_size;
    const struct hv_component_desc *desc;
    void *plugin_state;
    const char *plugin_name;
} hv_component_ref;

/** The host's function table. Functions that need to know which host take `self` first. */
struct hv_host_api {
    uint32_t struct_size;           /**< sizeof(hv_host_api) of the host: check before using later fields */
    uint16_t abi_major, abi_minor;  /**< the host's ABI version */
    const char *host_version;       /**< hemovk's version string ("0.1.0") */
    /** Log a message (same as hv_log). */
    void (*log)(hv_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
    /** Record this thread's error message and return `status` (same as hv_error). */
    hv_status (*error)(hv_status status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
    /** This thread's last error message (same as hv_last_error). */
    const char *(*last_error)(void);
    /** The device the host opened for this run, or NULL when none is open yet (plugins must not open one). */
    struct hv_device *(*device)(const hv_host_api *self);
    /** Look up a component by kind and name among everything loaded (any plugin, this one included).
     *  HV_ERR_NOT_FOUND with a message listing the components of that kind when there is none.
     *  The classifier stage uses it to build the backbone named in its params. */
    hv_status (*find_component)(const hv_host_api *self, hv_component_kind kind, const char *name,
                                hv_component_ref *out);
    /** Number of plugin search folders, and folder `i` (NULL when out of range), in search order. */
    size_t (*plugin_path_count)(const hv_host_api *self);
    const char *(*plugin_path)(const hv_host_api *self, size_t i);
    /* New functions are added here, at the end. */
};

/* ---- components ------------------------------------------------------------------------------------ */

/** One component a plugin provides. The `components` array of a descriptor is read with a stride of
 *  components[0].struct_size, so every entry must have the same struct_size (= sizeof the plugin saw). */
typedef struct hv_component_desc {
    uint32_t struct_size;           /**< sizeof(hv_component_desc) the plugin was built with */
    uint32_t kind;                  /**< an hv_component_kind */
    const char *name;               /**< unique per kind: "classifier", "efficientnet", "writer.jsonl";
                                         [a-z0-9._-], at most 63 characters */
    const char *description;        /**< one line for `hemovk plugins` (may be NULL) */
    const char *param_schema;       /**< JSON Schema (2020-12 subset, see config.h) of the component's
                                         `params`, as YAML or JSON text. The host checks it at load time and
                                         validates every instance's params against it (filling defaults)
                                         before create(). NULL: the component takes no params. */
    const void *vtable;             /**< kind-specific function table: hv_stage_vtable for STAGE, SOURCE and
                                         WRITER; the others are defined with the graph/weights APIs */
    uint32_t vtable_size;           /**< sizeof the vtable the plugin filled in (first field is struct_size too) */
    uint32_t reserved0;             /**< zero */
} hv_component_desc;

/** The smallest component descriptor the v1.0 host accepts. */
#define HV_COMPONENT_DESC_MIN_SIZE ((uint32_t)(offsetof(hv_component_desc, vtable_size) + sizeof(uint32_t)))

/* ---- the plugin descriptor ------------------------------------------------------------------------ */

struct hv_plugin_descriptor {
    uint32_t struct_size;           /**< sizeof(hv_plugin_descriptor) the plugin was built with */
    uint16_t abi_major;             /**< HV_ABI_MAJOR the plugin was built with: must equal the host's */
    uint16_t abi_minor;             /**< HV_ABI_MINOR the plugin was built with: must be <= the host's */
    const char *name;               /**< plugin name ("core"), [a-z0-9._-], non-empty, unique among plugins */
    const char *version;            /**< the plugin's own version ("1.2.0") */
    const char *description;        /**< one line (may be NULL) */
    uint32_t n_components;          /**< entries in `components` (at most 4096) */
    uint32_t reserved0;             /**< zero */
    const hv_component_desc *components; /**< static array, see hv_component_desc about the stride */
    /** Called once after the ABI and components were checked, before any component is used. Store
     *  whatever the plugin needs in *plugin_state (it is handed back to fini and to every create).
     *  `host` stays valid until fini. On failure return an hv_error(...) code with a message saying
     *  what is wrong and what to do; the plugin is then rejected and fini is NOT called. May be NULL. */
    hv_status (*init)(const hv_host_api *host, void **plugin_state);
    /** Called once when the host unloads the plugin, after every instance was destroyed. May be NULL. */
    void (*fini)(void *plugin_state);
};

/** The smallest descriptor the v1.0 host accepts (everything up to and including fini). */
#define HV_PLUGIN_DESCRIPTOR_MIN_SIZE ((uint32_t)(offsetof(hv_plugin_descriptor, fini) + sizeof(void (*)(void *))))

/* ---- stages ---------------------------------------------------------------------------------------- */

/** What create() receives. */
typedef struct hv_create_info {
    uint32_t struct_size;           /**< sizeof(hv_create_info) of the host */
    const hv_host_api *host;        /**< the host table (same as init got) */
    void *plugin_state;             /**< what this plugin's init stored (NULL without init) */
    const char *instance_id;        /**< the stage's id in the pipeline ("classify"): use it in messages */
    const struct hv_config_node *params; /**< the params mapping, already validated against param_schema
                                         with defaults filled in; read with hv_config_get_*(). Never NULL
                                         (an empty mapping when the pipeline gave none). Valid until destroy. */
    /* ---- run context (added for the pipeline scheduler; read only when HV_CREATE_INFO_HAS says so).
     * A stage created outside a pipeline run (a test, a tool) gets NULL / 0 here. Strings are valid
     * until destroy. */
    const char *output_dir;         /**< the run's output folder (`hemovk run --output`), NULL outside a run */
    const char *output_path;        /**< WRITER components: the output's `path` joined to output_dir, or
                                         NULL when the pipeline gave none (pick a default name inside
                                         output_dir). NULL for other stages. */
    int32_t resume;                 /**< non-zero when the run continues an earlier one (--resume): writers
                                         append to what is there instead of starting the file afresh */
    int32_t batch;                  /**< the most frames one process() call gets (0 when unknown) */
    const char *precision;          /**< effective precision of this stage, "f32" or "f16" (NULL: unknown) */
} hv_create_info;

/** Non-zero when `info` (an hv_create_info pointer) is large enough to hold `field`: plugins built
 *  against these headers use it before reading the run-context fields, so they also work with a host
 *  that fills only the first five fields. */
#define HV_CREATE_INFO_HAS(info, field) \
    ((info)->struct_size >= offsetof(hv_create_info, field) + sizeof(((hv_create_info *)0)->field))

/** Function table of a STAGE, SOURCE or WRITER component.
 *
 * Threading: the host calls one instance from one thread at a time; different instances may run at once.
 * WRITER instances run on the host's writer thread: they write batch k while the STAGE instances work on
 * batch k+1, always one batch at a time and in source order (HEMOVK_WRITER_THREAD=0 runs them inline). A
 * writer must not share unguarded state with a stage instance; everything it needs is on the frames.
 * Batches: process() gets up to the pipeline's batch size of frames. The host does not pass frames that
 * are already dropped to STAGE components; WRITER components get every frame, dropped and failed ones
 * included, so they can record why. A problem with ONE frame (cannot decode, NaN output) is recorded with
 * hv_frame_fail() and process() still returns HV_OK; an error return fails the whole run. */
typedef struct hv_stage_vtable {
    uint32_t struct_size;           /**< sizeof(hv_stage_vtable) the plugin was built with */
    uint32_t reserved0;             /**< zero */
    /** Build an instance from validated params (load weights, build graphs, open files). Set *instance
     *  (may be NULL for a stateless stage). Fail with an hv_error naming the param and what to do. */
    hv_status (*create)(const hv_create_info *info, void **instance);
    /** Process `n` frames in place: read pixels/results, add results, drop frames. */
    hv_status (*process)(void *instance, hv_frame *const *frames, size_t n);
    /** End of input: finish buffered work (write a summary, close a COCO file). May be NULL. */
    hv_status (*flush)(void *instance);
    /** Release the instance (after flush, or after a failure anywhere). Must accept what create set. */
    void (*destroy)(void *instance);
} hv_stage_vtable;

/** The smallest stage vtable the v1.0 host accepts (create, process, flush, destroy). */
#define HV_STAGE_VTABLE_MIN_SIZE ((uint32_t)(offsetof(hv_stage_vtable, destroy) + sizeof(void (*)(void *))))

/* ---- sources (HV_COMPONENT_SOURCE) -----------------------------------------------------------------
 *
 * A pipeline names a source component in `source: {component: NAME, path: ...}`; a run whose input is
 * a video file gets the `video` source without naming it. Sources use hv_stage_vtable as follows:
 *   create()  params are {path: <the pipeline's source.path or --input>} (validated against the
 *             component's schema): open it. A file the source cannot read is an error naming it.
 *   process() the host hands frames it made, in increasing `id`: each frame's id is the stream frame
 *             number it wants (the host itself skips for `source.every` and for frames a resumed run
 *             already wrote, so numbers can jump: seek when that is cheaper than decoding on), with
 *             `path` and HV_FRAME_KEY_META ("<file name>#<number, 6 digits or more>") already set. Fill
 *             each with its pixels (hv_frame_set_pixels) and, when the stream has timestamps, its time
 *             (HV_FRAME_TIME_META); optionally the frame count the container declares
 *             (HV_SOURCE_FRAMES_META: the host's progress total). A frame past the end gets metadata
 *             HV_SOURCE_END_META and nothing else; when the stream broke off (a cut-short or damaged
 *             file) that frame is also failed (hv_frame_fail) with a message naming the file and the
 *             last good frame and time. The host stops at the first such frame: a failed one is handed to
 *             the stages and writers as a failed frame (the run ends partly failed), a plain end is
 *             discarded. Return an error only for what stops the run (out of memory).
 *   flush(), destroy() as for stages. One thread calls the instance (the host's decode thread). */
#define HV_SOURCE_END_META "source.end"       /**< "end" (the stream ended) or "broken" (it broke off) */
#define HV_SOURCE_FRAMES_META "source.frames" /**< frames the container declares (a progress estimate) */

/* ---- backbones and weight loaders (HV_COMPONENT_BACKBONE, HV_COMPONENT_WEIGHT_LOADER) ---------------
 *
 * A model stage (the classifier) does not know any network: it reads `backbone: {component: NAME,
 * params: {...}}` and `weights: {loader: NAME, params: {...}}` from its own params, finds the components
 * with host->find_component(), validates the nested `params` against the component's param_schema
 * (hv_schema_validate, defaults filled, errors keep the pipeline file's line:col) and calls the vtables
 * below. So a third-party plugin can add a backbone or a weight format, and a pipeline swaps them by
 * editing YAML. Types used here come from hemovk/graph.h, hemovk/models.h and hemovk/weights.h. */

struct hv_graph;            /* hemovk/graph.h */
struct hv_tensor;           /* hemovk/graph.h */
struct hv_weights;          /* hemovk/weights.h */
struct hv_backbone_outputs; /* hemovk/models.h */
struct hv_cls_head_params;  /* hemovk/models.h */

/** What a backbone or weight-loader call receives (the sub-component's counterpart of hv_create_info). */
typedef struct hv_component_info {
    uint32_t struct_size;           /**< sizeof(hv_component_info) of the caller */
    uint32_t reserved0;             /**< zero */
    const hv_host_api *host;        /**< the host table */
    void *plugin_state;             /**< what the component's plugin init() stored (hv_component_ref.plugin_state) */
    const char *instance_id;        /**< who uses it, for messages ("classify.backbone") */
    const struct hv_config_node *params; /**< validated against the component's param_schema, defaults
                                         filled in; never NULL. Relative file paths in it are resolved
                                         against the folder of hv_config_file(params) (the YAML that
                                         named them). Valid during the call only. */
} hv_component_info;

/** Function table of a BACKBONE component: adds a feature extractor to a graph. */
typedef struct hv_backbone_vtable {
    uint32_t struct_size;           /**< sizeof(hv_backbone_vtable) the plugin was built with */
    uint32_t reserved0;             /**< zero */
    /** Add the network to `g` on the NCHW float image `x` {N, 3, H, W} (already normalised as the
     *  caller's preprocessing says; its dtype is the network's storage dtype), reading its tensors from
     *  `w`, and fill `out` (hv_backbone_outputs: feature maps and `last`, the map a classification head
     *  pools). Errors (a bad param, a missing or misshapen tensor) return an hv_error code whose message
     *  names the param or tensor and the weights' source. Must not keep `w`: weights are copied into `g`. */
    hv_status (*build)(const hv_component_info *info, struct hv_graph *g, struct hv_tensor *x,
                       const struct hv_weights *w, struct hv_backbone_outputs *out);
    /** Optional (NULL: mmpretrain LinearClsHead "head.fc", no norm). Describe the classification head the
     *  checkpoints of this backbone carry in `w` (ConvNeXt: LayerNorm "backbone.norm3" after pooling when
     *  the weights hold it). *head arrives zeroed; strings set in it must be static, live in info->params,
     *  or be written into `names` (names_size ≥ 256 bytes, owned by the caller). */
    hv_status (*cls_head)(const hv_component_info *info, const struct hv_weights *w, struct hv_cls_head_params *head,
                          char *names, size_t names_size);
    /** Optional (NULL: the backbone has no BatchNorm, nothing to do). SWA BatchNorm recalibration
     *  (hemovk/weights.h HV_SWA_BN_RECALIBRATE): recompute the BN statistics of `w` by running the network
     *  over n_images float NCHW images {3, height, width} (preprocessed as the network is fed), in batches
     *  of `batch`, write them into `w` and clear its needs-recalibration flag. */
    hv_status (*recalibrate_bn)(const hv_component_info *info, struct hv_weights *w, const float *images,
                                int32_t n_images, int32_t batch, int32_t height, int32_t width);
} hv_backbone_vtable;

/** The smallest backbone vtable the v1.0 host accepts (struct_size through build). */
#define HV_BACKBONE_VTABLE_MIN_SIZE ((uint32_t)(offsetof(hv_backbone_vtable, build) + sizeof(void (*)(void))))

/** Function table of a WEIGHT_LOADER component: produces a named weight set. */
typedef struct hv_weight_loader_vtable {
    uint32_t struct_size;           /**< sizeof(hv_weight_loader_vtable) the plugin was built with */
    uint32_t reserved0;             /**< zero */
    /** Produce the weight set described by info->params (files, globs, averaging options). The caller
     *  releases *out with hv_weights_free(). Errors name the file (and tensor) and what to do. */
    hv_status (*load)(const hv_component_info *info, struct hv_weights **out);
} hv_weight_loader_vtable;

/** The smallest weight-loader vtable the v1.0 host accepts. */
#define HV_WEIGHT_LOADER_VTABLE_MIN_SIZE ((uint32_t)(offsetof(hv_weight_loader_vtable, load) + sizeof(void (*)(void))))

/** For WRITER components: the file or folder to write — the output's `path` from the pipeline when it
 *  gave one (already resolved by the host), else `default_name` inside the run's output folder. *out is
 *  malloc'ed (free it). HV_ERR_INVALID_ARGUMENT, naming `component` and the instance, when the writer
 *  was created outside a run (no output folder). */
HV_API hv_status hv_writer_output_path(const hv_create_info *info, const char *component, const char *default_name,
                                char **out);

/** For stages that use other components (a classifier's backbone and weight loader): find the
 *  component of `kind` named by `spec.<key>` through `info->host`, check its vtable is at least
 *  `min_vtable` bytes (HV_ERR_ABI otherwise), and return in *params a validated copy of `spec.params`
 *  (defaults filled; `{}` when absent) that the caller frees with hv_config_free. Errors carry the
 *  pipeline's file:line:col and the instance id. */
HV_API hv_status hv_component_resolve(const hv_create_info *info, hv_component_kind kind, const struct hv_config_node *spec,
                               const char *key, uint32_t min_vtable, hv_component_ref *ref,
                               struct hv_config_node **params);

#ifdef __cplusplus
}
#endif
#endif
