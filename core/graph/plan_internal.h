/* core/graph/plan_internal.h — what a plan holds, shared by the planner and the backends (backend.h). */
#ifndef HEMOVK_CORE_GRAPH_PLAN_INTERNAL_H
#define HEMOVK_CORE_GRAPH_PLAN_INTERNAL_H

#include "graph/backend.h"
#include "graph/graph_internal.h"
#include "vulkan/runtime.h"

/** One op to execute, after fusion: its (plan-owned) params and sources by value id. */
typedef struct plan_step {
    hv_tensor *node;               /* the graph node whose value this step produces */
    const hv_op_def *op;
    void *params;                  /* owned copy (fusion edits it) */
    uint32_t src[HV_OP_MAX_SRC];   /* value ids (graph node ids after alias resolution) */
    uint32_t n_src;
    uint64_t scratch_bytes;
    uint64_t scratch_offset;       /* in the arena */
    uint32_t level;                /* dependency level, 1.. (plan_schedule) */
} plan_step;

/** Where a value (graph node id) lives. */
typedef struct plan_value {
    int32_t def;                   /* level of the step that writes it; -1 for inputs and weights */
    int32_t last_use;              /* highest level reading it; n_levels + 1 for outputs */
    uint64_t bytes;                /* storage size rounded up to 16 (f16 tensors of odd length) */
    uint64_t offset;               /* in the arena (inputs, op outputs) or the weight buffer (weights) */
    int needed;                    /* reachable from an output */
} plan_value;

struct hv_plan {
    hv_graph *g;
    hv_device *dev;                /* NULL: the reference backend */
    const plan_backend *be;        /* chosen from dev by hv_plan_create */
    hv_plan_options opts;
    uint32_t n_values;             /* = graph node count */
    uint32_t *alias;               /* value id -> id of the value that really holds it (fusion) */
    plan_value *values;
    plan_step *steps;
    uint32_t n_steps;
    uint32_t fused;                /* op nodes folded into their producer */
    uint32_t n_levels;
    uint64_t arena_bytes, unaliased_bytes, weight_bytes;
    uint32_t *inputs, n_inputs;    /* value ids */
    uint8_t *input_set;            /* per input: hv_plan_set_input called at least once */
    uint32_t *outputs, n_outputs;  /* graph node ids carrying an output name */
    /* plan-to-plan links (hv_plan_link_input) and device-only outputs (hv_plan_set_output_readback) */
    hv_plan **link_src;            /* per input: the plan whose output feeds it, or NULL */
    uint32_t *link_out;            /* per input: that output's index in link_src's outputs[] */
    uint8_t *out_device_only;      /* per output: 1 = never copied back for the host */
    int relink_pending;            /* links or readback changed since the backend last saw them */
    uint64_t runs;                 /* completed hv_plan_run calls */
    /* reference and host backends */
    float **host;                  /* per value id: f32 data (weights point into the graph) */
    /* host backend (exec_host.c) */
    float *host_arena;             /* every input and op output, laid out by plan_assign_memory */
    void **host_state;             /* per step: what its host kernel prepared (NULL: runs the reference) */
    const struct hv_host_kernel **host_kernel; /* per step: the kernel that prepared host_state */
    void *host_scratch;            /* kernels' scratch, shared by every step (host_kernel.h) */
    size_t host_scratch_bytes;
    /* Vulkan backend */
    hv_buffer arena, weights;
    hv_buffer *in_stage;           /* per input (index in inputs[]) */
    hv_buffer *out_stage;          /* per output (index in outputs[]) */
    hv_cmd *cmd;
    uint32_t dispatches;
    uint32_t barriers;             /* recorded between op steps (not counting the copy-in/out ones) */
    hv_op_time *prof;
    uint32_t n_prof;
};

/** Resolve fusion aliases. */
static inline uint32_t plan_resolve(const hv_plan *p, uint32_t id) {
    while (p->alias[id] != id) id = p->alias[id];
    return id;
}

/** Fold activations and residual adds into their producers (fuse.c). */
void plan_fuse(hv_plan *p);

/** Order steps by dependency level and set every value's lifetime in levels (schedule.c). */
hv_status plan_schedule(hv_plan *p);

/** Lay out values in the arena with lifetimes (greedy by size, first fit); sets offsets and sizes. */
hv_status plan_assign_memory(hv_plan *p, uint64_t alignment);

#endif
