/* Internal layout of a loaded pipeline, shared by the loader (pipeline_load.c), the graph checks
 * (pipeline_graph.c), the conditions (condition.c), the scheduler (scheduler.c) and its helpers. */
#ifndef HEMOVK_PIPELINE_INTERNAL_H
#define HEMOVK_PIPELINE_INTERNAL_H

#include "hemovk/config.h"
#include "hemovk/frame.h"
#include "hemovk/pipeline.h"
#include "plugin/registry.h"
#include "plugin/stage.h"

#include <stddef.h>
#include <stdint.h>

struct hv_device;

/* A parsed `when:` condition "!S.F": stage index S (into hv_pipeline.stages), field F. */
typedef struct pl_condition {
    int present;            /* 0: no condition, every frame passes */
    int negate;             /* leading '!' */
    size_t stage;           /* index of the stage S */
    char *stage_id;         /* S, owned */
    char *field;            /* F, owned */
    char *meta_key;         /* "S.F", owned: the metadata key looked up first */
} pl_condition;

/* One stage or output of the pipeline file. */
typedef struct pl_node {
    char *id;                       /* stage id / output id ("output[2]" when none) */
    char *component;                /* component name */
    hv_component_kind kind;         /* STAGE for stages, WRITER for outputs */
    const hv_config_node *node;     /* the stage/output mapping (its location) */
    hv_config_node *params;         /* the params mapping inside the pipeline tree (defaults filled) */
    const hv_component *comp;       /* registry entry */
    int enabled;
    pl_condition when;
    size_t *inputs;                 /* stages only: indices of the stages it depends on */
    size_t n_inputs;
    char *precision;                /* effective precision ("f32"/"f16") */
    char *rel_path;                 /* outputs: `path` as written, or NULL */
    char *abs_path;                 /* outputs: rel_path joined to the output dir (set by run) */
    hv_stage *stage;                /* the instance (outputs: created by run) */
    hv_pipeline_stage_stats stats;  /* counters of the current run (strings borrowed, copied at the end) */
} pl_node;

struct hv_pipeline {
    char *file;                     /* path as given */
    char *name;
    hv_config_node *doc;            /* the validated tree; params live inside it */
    int batch;
    char *precision;
    char *source;                   /* YAML source path, or NULL */
    int recursive;
    int64_t limit;
    double fps;                     /* YAML source.fps: frame time = index / fps (0: unknown) */
    char *source_component;         /* YAML source.component (a SOURCE such as "video"), or NULL: a frame list */
    int64_t every;                  /* YAML source.every: keep frames 0, N, 2N, ... (1: all) */
    hv_registry *reg;
    int own_reg;                    /* free reg with the pipeline */
    struct hv_device *device;
    pl_node *stages;
    size_t n_stages;
    size_t *order;                  /* run order of the stages (indices), enabled ones only */
    size_t n_order;
    pl_node *outputs;
    size_t n_outputs;
    int ran;
    size_t weights_first, weights_end; /* the weight files its stages opened (weights/opened.h indices) */
};

/* Load with an already filled registry (tests pass their own; NULL loads the search path). */
hv_status pl_pipeline_load_with(const char *path, const hv_pipeline_load_options *options, hv_registry *reg,
                                hv_pipeline **out);

/* ---- graph (pipeline_graph.c) ------------------------------------------------------------------ */

/* Resolve `inputs` (default: the stage listed before), check ids, find the run order (topological,
 * ties by list order), report cycles, parse and check every `when` (its stage must run before). */
hv_status pl_graph_build(hv_pipeline *p);

/* ---- outputs (output_paths.c) ------------------------------------------------------------------ */

/* No two enabled outputs write one path; no output path leaves the output folder (absolute, "..")
 * unless allow_outside. HV_ERR_SCHEMA with the pipeline file's line:col. */
hv_status pl_outputs_check(hv_pipeline *p, int allow_outside);

/* ---- conditions (condition.c) ------------------------------------------------------------------ */

/* Parse "!S.F" located at `node`; `self` is the stage's index in the stage list (SIZE_MAX for an
 * output). Resolves S among the stages; HV_ERR_SCHEMA with file:line:col when S is unknown. */
hv_status pl_condition_parse(hv_pipeline *p, const hv_config_node *node, pl_condition *out);

/* Does `frame` meet the condition? `cls_owner` is the index of the stage whose classification the
 * frame carries (SIZE_MAX: none). */
int pl_condition_eval(const pl_condition *c, const hv_frame *frame, size_t cls_owner);

void pl_condition_free(pl_condition *c);

/* ---- helpers ----------------------------------------------------------------------------------- */

/* Monotonic seconds. */
double pl_now(void);

/* strdup returning NULL for NULL. */
char *pl_strdup(const char *s);

#endif
