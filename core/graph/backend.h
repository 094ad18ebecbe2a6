/* core/graph/backend.h — the table of functions a backend gives the planner (ggml's ggml_backend_i is
 * the model). plan.c builds the steps, fuses and schedules them, then talks to the plan's backend only
 * through this table: it never asks which backend it holds.
 *
 * Three backends exist:
 *   - reference (exec_cpu.c): each op's double-accumulating C reference, f16 emulated by rounding; the
 *     oracle for model-level tests. Chosen by hv_plan_create(g, NULL, ...).
 *   - vulkan (exec_vulkan.c): one recorded command buffer per plan, replayed per run.
 *   - host (exec_host.c): the optimised CPU backend — heavy ops through oneDNN (core/cpu/), the rest
 *     through the reference ops; one arena planned like the device's. Chosen by a device opened as
 *     "cpu" (hv_device_open). */
#ifndef HEMOVK_CORE_GRAPH_BACKEND_H
#define HEMOVK_CORE_GRAPH_BACKEND_H

#include "hemovk/graph.h"

typedef struct plan_backend {
    const char *name;

    /** Allocate the plan's memory, upload or keep its weights, record what can be recorded. On an
     *  error the planner calls free(), which must cope with a half-prepared plan. */
    hv_status (*prepare)(hv_plan *p);

    /** Where hv_plan_set_input writes input `i` (index in p->inputs), and as which type: HV_F32, or
     *  HV_F16 for storage the backend keeps in f16. Called once per hv_plan_set_input with its count. */
    void *(*input_slot)(hv_plan *p, uint32_t i, hv_dtype *stored_as);

    /** Run the plan once; on return every output can be read. */
    hv_status (*run)(hv_plan *p);

    /** Where output `o` (index in p->outputs) can be read after a run, and its storage type. */
    const void *(*output_slot)(hv_plan *p, uint32_t o, hv_dtype *stored_as);

    /** Links (hv_plan_link_input) or device-only outputs (hv_plan_set_output_readback) changed: make
     *  the next run() honour them — the Vulkan backend re-records its command buffer with device-to-device
     *  copies and without the skipped readbacks. NULL: the planner copies linked inputs through
     *  input_slot/output_slot before each run (backends whose memory is host memory). */
    hv_status (*relink)(hv_plan *p);

    /** Release everything prepare() made. */
    void (*free)(hv_plan *p);
} plan_backend;

extern const plan_backend plan_backend_reference;
extern const plan_backend plan_backend_vulkan;
extern const plan_backend plan_backend_host;

#endif
