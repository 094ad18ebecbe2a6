/* hemovk/pipeline.h — load a YAML pipeline and run it over a capsule exam.
 *
 *     hv_pipeline *p = NULL;
 *     if (hv_pipeline_load("pipelines/quality.yaml", NULL, &p)) { fputs(hv_last_error(), stderr); ... }
 *     hv_pipeline_run_options o;
 *     hv_pipeline_run_options_init(&o);
 *     o.input = "exam/";  o.output_dir = "out/";  o.resume = 1;
 *     hv_pipeline_summary sum;
 *     hv_status st = hv_pipeline_run(p, &o, &sum);   // HV_OK even when some frames failed: see sum.failed
 *     hv_pipeline_summary_free(&sum);
 *     hv_pipeline_free(p);
 *
 * Loading (hv_pipeline_load), in this order, stopping at the first step that fails:
 *   1. YAML → config tree (every node keeps file:line:col); 2. validation against the pipeline schema
 *   (schemas/pipeline.schema.yaml, all errors reported, defaults filled); 3. plugins loaded from the
 *   search path (HEMOVK_PLUGIN_PATH, the build tree, the install folder); 4. the stage graph: ids unique,
 *   `inputs` name earlier-defined or later stages (any order; cycles are errors naming the cycle),
 *   `when` names a stage that runs before (an input, directly or through others); 5. the device is opened
 *   (YAML `device`, overridden by options and HEMOVK_DEVICE); 6. every stage and output: its component is
 *   looked up (an unknown name lists the ones of that kind), its `params` are validated against the
 *   component's parameter schema (errors keep the pipeline file's line:col) and it is created (a failing
 *   create names the stage id and file:line). Outputs are created by hv_pipeline_run, which knows the
 *   output folder.
 *
 * Running (hv_pipeline_run): frames are listed from the source (YAML `source` or options.input), decoded
 * on a separate thread into a bounded queue of batches (decode overlaps stage work), and each batch goes
 * through the stages in dependency order: `inputs` give explicit edges, otherwise a stage depends on the
 * one listed before it; among stages free to run, list order wins. Routing:
 *   - `when: S.F` — a frame reaches the stage only when stage S set F on it: metadata key "S.F" holding a
 *     true value ("true", "yes", "1"; anything else is false), or, when there is no such key, the
 *     classification S produced has label_name F ('-' and '_' compare equal). "!S.F" negates. A frame
 *     that fails the condition skips that stage and continues to later ones.
 *   - a dropped (or failed) frame skips every later stage; writers still record it as dropped.
 * Outputs (writers) see every frame of a batch after the stages ran (dropped and failed ones included,
 * unless their own `when` excludes them) and write as they go, so a killed run keeps what it wrote.
 *
 * Frame keys: every frame carries its key (hv_frame_list_key: its path relative to the input root,
 * normalised) in metadata HV_FRAME_KEY_META; writers record it and name files by it, so frames with
 * one base name in two folders never collide, and "exam/" and "exam" name the same frames.
 *
 * The output folder: a run holds an exclusive lock on OUT/.hemovk.lock (pid, host, start time in it)
 * from start to end; a second run on the same folder fails with HV_ERR_BUSY naming the holder. It writes
 * OUT/.hemovk-run.json, the run fingerprint: the pipeline after defaults (canonical), the sha256 of every
 * weight file its stages opened, the hemovk version.
 *
 * Resume: with options.resume the scheduler first compares the fingerprint with the stored one and
 * refuses (HV_ERR_INVALID_ARGUMENT, listing what changed) when they differ; then it reads the JSONL file
 * of the pipeline's first writer.jsonl output (one without `when`), cuts a torn last line left by a kill
 * (that frame is redone), and skips every frame whose key is already recorded, so a kill followed by
 * --resume does every frame exactly once. A pipeline without such an output cannot resume
 * (HV_ERR_INVALID_ARGUMENT says so).
 *
 * A frame that cannot be decoded is logged as a warning naming the file and the reason, recorded by the
 * writers with its error, counted in summary.failed, and the run goes on. Only errors that make every
 * later frame pointless (a stage's process() returning an error, a writer that cannot write) stop it.
 *
 * Progress goes to stderr: a bar redrawn in place (frames done/total, frames/s, ETA) when stderr is a
 * terminal, else a plain line every 10% of the frames or every 5 seconds, whichever comes first. The
 * summary is logged at the end and written as summary.json in the output folder. */
#ifndef HEMOVK_PIPELINE_H
#define HEMOVK_PIPELINE_H

#include "hemovk/device.h"
#include "hemovk/export.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "hemovk/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A loaded pipeline: its configuration, plugins, device and stage instances (opaque). */
typedef struct hv_pipeline hv_pipeline;

/** How loading behaves. Zero-initialise (or pass NULL) for the defaults. */
typedef struct hv_pipeline_load_options {
    const char *device;     /**< device selector overriding YAML `device` (NULL: YAML, then HEMOVK_DEVICE,
                                 then the best device) */
    int no_device;          /**< non-zero: open no Vulkan device (stages then get host->device() == NULL;
                                 for pipelines of host-only stages and for tools that only check) */
    int batch;              /**< > 0 overrides YAML `batch` (stages are told this size at create) */
    int check_only;         /**< non-zero: validate the file, the stage graph and every component's params
                                 against its schema, then stop — no device is opened and no stage is created
                                 (what `hemovk validate` does); *out is then a pipeline that cannot run */
    int allow_outside_output; /**< non-zero: an output `path` may be absolute or climb out of the output
                                 folder with ".." (otherwise an HV_ERR_SCHEMA at load; two outputs writing
                                 one path are always an error) */
} hv_pipeline_load_options;

/** Load, validate and instantiate a pipeline file (see the top of this file). On failure *out is NULL
 *  and the message names file:line:col of the offending node. Errors: HV_ERR_IO, HV_ERR_PARSE,
 *  HV_ERR_SCHEMA (pipeline or params schema: every error of every stage and output, one per line),
 *  HV_ERR_NOT_FOUND (unknown component, listing those available; HV_ERR_ABI when a plugin on the search
 *  path was rejected, as the component may be in it), the stage's own error from create, device errors
 *  (HV_ERR_UNSUPPORTED when the selector names no device: the message says whether it came from
 *  options.device, HEMOVK_DEVICE or the YAML's `device:`). */
HV_API hv_status hv_pipeline_load(const char *path, const hv_pipeline_load_options *options, hv_pipeline **out);

/** Release the stages (destroy in reverse order), the device, the plugins. NULL is a no-op. */
HV_API void hv_pipeline_free(hv_pipeline *pipeline);

/** The pipeline's `name` (or the file's base name), its effective batch size, its stage count and
 *  stage `i`'s id (NULL when out of range). */
HV_API const char *hv_pipeline_name(const hv_pipeline *pipeline);
HV_API int hv_pipeline_batch(const hv_pipeline *pipeline);
HV_API size_t hv_pipeline_stage_count(const hv_pipeline *pipeline);
HV_API const char *hv_pipeline_stage_id(const hv_pipeline *pipeline, size_t i);

/** Where progress goes. */
typedef enum hv_progress_mode {
    HV_PROGRESS_AUTO = 0,   /**< a bar when stderr is a terminal, plain lines otherwise */
    HV_PROGRESS_BAR = 1,    /**< always the bar (\r redraws) */
    HV_PROGRESS_LINES = 2,  /**< always plain lines */
    HV_PROGRESS_NONE = 3    /**< nothing (the summary is still logged) */
} hv_progress_mode;

/** Options of one run. Initialise with hv_pipeline_run_options_init. */
typedef struct hv_pipeline_run_options {
    const char *input;      /**< source override: folder, glob, list file, image, or a video file (read by
                                 the `video` SOURCE component, see plugin.h) (NULL: YAML `source`) */
    const char *output_dir; /**< folder for outputs and summary.json, created if missing (required) */
    int resume;             /**< non-zero: skip frames already in the JSONL output (see the top) */
    int64_t limit;          /**< > 0: only the first N frames of the source (overrides YAML source.limit) */
    hv_progress_mode progress;
    double progress_interval_s; /**< seconds between plain progress lines (default 5) */
    int queue_batches;      /**< decoded batches the decode thread may run ahead (default 2) */
    uint64_t decode_budget_bytes; /**< memory one batch may spend decoding frames, estimated from their
                                 headers before decoding; a frame that does not fit fails with a message
                                 (0: HV_IMAGE_DEFAULT_DECODE_BUDGET, 512 MiB) */
    const volatile sig_atomic_t *stop; /**< when not NULL and *stop becomes non-zero (a signal handler sets
                                 it to the signal number), the run finishes the batch in hand, writes the
                                 summary and returns HV_ERR_CANCELLED with summary.stop_signal = *stop.
                                 Writers are not finalised (COCO keeps its .partial), so --resume goes on */
} hv_pipeline_run_options;

/** Fill `options` with the defaults (AUTO progress, 5 s lines, 2 batches ahead, everything else 0). */
HV_API void hv_pipeline_run_options_init(hv_pipeline_run_options *options);

/** What one stage or output did in a run. */
typedef struct hv_pipeline_stage_stats {
    char *id;               /**< the stage id (outputs: their id, or "output[i]") */
    char *component;        /**< the component it runs */
    int is_output;          /**< non-zero for an output (writer) */
    uint64_t ran;           /**< frames given to it */
    uint64_t skipped_when;  /**< frames that did not meet its `when` condition */
    uint64_t dropped;       /**< frames it dropped (failures excluded) */
    uint64_t failed;        /**< frames it marked failed */
    double seconds;         /**< wall time spent in its process() calls */
} hv_pipeline_stage_stats;

/** A frame that failed (decode error or a stage's per-frame error). */
typedef struct hv_pipeline_failure {
    uint64_t id;
    char *path;
    char *error;
} hv_pipeline_failure;

/** The outcome of a run. Free with hv_pipeline_summary_free (also after a failed run: it holds what
 *  was done until the failure). */
typedef struct hv_pipeline_summary {
    uint64_t frames_in;         /**< frames in the source (after any limit) */
    uint64_t frames_done;       /**< frames finished and written in this run (dropped and failed included) */
    uint64_t skipped_resume;    /**< frames skipped because an earlier run already wrote them */
    uint64_t dropped;           /**< frames a stage dropped (not failures) */
    uint64_t failed;            /**< frames that failed (decode or a stage's per-frame error) */
    double wall_seconds;        /**< from the first decode to the last write */
    double frames_per_second;   /**< frames_done / wall_seconds */
    size_t n_stages;            /**< stages then outputs, in run order */
    hv_pipeline_stage_stats *stages;
    size_t n_failures;
    hv_pipeline_failure *failures; /**< every failed frame, in frame order */
    int interrupted;            /**< non-zero when the run stopped early (an error, or a stop request) */
    int stop_signal;            /**< the value of *options.stop that stopped the run (the signal), else 0 */
    hv_transfer_stats transfers; /**< host <-> device traffic of this run's plans (zeros without a device) */
    char device[256];           /**< the device the run's plans ran on, as hemovk devices names it (ABI 1.2) */
} hv_pipeline_summary;

/** Run the pipeline over its source and fill *summary (always initialised, even on failure). Returns
 *  HV_OK when every frame went through — check summary->failed for frames that could not be decoded
 *  or that a stage failed (the CLI exits 1 then). Errors: HV_ERR_INVALID_ARGUMENT (no source, no
 *  output folder, --resume without a JSONL output or with a different fingerprint), HV_ERR_BUSY (another
 *  run holds the output folder), HV_ERR_OUTPUT (an output could not be written — disk full...: the run
 *  stops), HV_ERR_CANCELLED (options.stop), HV_ERR_NOT_FOUND (empty source), or the error of a stage or
 *  writer that stopped the run. Once the run has started, summary.json is written whatever happened; when
 *  even that fails the returned error's message says so. A pipeline can be run once. */
HV_API hv_status hv_pipeline_run(hv_pipeline *pipeline, const hv_pipeline_run_options *options, hv_pipeline_summary *summary);

/** Write the summary as JSON (the summary.json format) to `path`, atomically (temporary file + rename). */
HV_API hv_status hv_pipeline_summary_write_json(const hv_pipeline_summary *summary, const char *path);

/** Release what the summary owns and zero it. */
HV_API void hv_pipeline_summary_free(hv_pipeline_summary *summary);

#ifdef __cplusplus
}
#endif
#endif
