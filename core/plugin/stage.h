/* Host side of a stage instance: look up the component, validate its params against the component's
 * schema (filling defaults), create it, and call it through its vtable. The scheduler builds a pipeline
 * from these; tests use them to run one stage on hand-made frames. */
#ifndef HEMOVK_PLUGIN_STAGE_H
#define HEMOVK_PLUGIN_STAGE_H

#include "plugin/registry.h"

struct hv_config_node;

typedef struct hv_stage hv_stage;

/** Create an instance of the `kind` component `name` (STAGE, SOURCE or WRITER) named `instance_id` in
 *  messages. `params` (a mapping, or NULL for none) is validated against the component's param_schema
 *  and defaults are written into it, so it is modified; it must outlive the stage (the stage reads it).
 *  Errors: HV_ERR_NOT_FOUND (no such component: the message lists those loaded), HV_ERR_SCHEMA (params,
 *  "file:line:col: PATH: what" prefixed with the stage id), or whatever the component's create returns
 *  (prefixed with the stage id). */
hv_status hv_stage_create(const hv_registry *reg, hv_component_kind kind, const char *name, const char *instance_id,
                          struct hv_config_node *params, hv_stage **out);

/** Run-context fields hv_stage_create_ex copies into the component's hv_create_info (see plugin.h). */
typedef struct hv_stage_context {
    const char *output_dir;   /**< the run's output folder, or NULL */
    const char *output_path;  /**< writers: the output's resolved path, or NULL */
    int32_t resume;           /**< non-zero on --resume */
    int32_t batch;            /**< largest batch process() gets, 0 when unknown */
    const char *precision;    /**< "f32" / "f16", or NULL */
} hv_stage_context;

/** hv_stage_create with a run context (NULL: none, as hv_stage_create). The strings must outlive the stage. */
hv_status hv_stage_create_ex(const hv_registry *reg, hv_component_kind kind, const char *name, const char *instance_id,
                             struct hv_config_node *params, const hv_stage_context *ctx, hv_stage **out);

/** Run the stage on `n` frames (already dropped frames are skipped here, so stages never see them).
 *  A stage error is returned with the stage id prefixed. */
hv_status hv_stage_process(hv_stage *stage, hv_frame *const *frames, size_t n);

/** Run the stage on all `n` frames, dropped and failed ones included (the scheduler calls writers so). */
hv_status hv_stage_process_all(hv_stage *stage, hv_frame *const *frames, size_t n);

/** End of input (no-op when the component has no flush). */
hv_status hv_stage_flush(hv_stage *stage);

/** Destroy the instance. NULL is a no-op. */
void hv_stage_destroy(hv_stage *stage);

/** The instance id and the component it runs. */
const char *hv_stage_id(const hv_stage *stage);
const hv_component *hv_stage_component(const hv_stage *stage);

#endif
