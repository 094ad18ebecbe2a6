/* The reference backend (backend.h): runs a plan through each op's double-accumulating reference.
 *
 * Values are f32 arrays. f16 storage is emulated: every value of an f16 tensor (weights, inputs, op
 * outputs) is rounded through f16 with the saturating store rule, so the CPU backend is the oracle
 * for the device at model level. Op outputs are freed after the level of their last reader, so a deep
 * network's peak host memory stays near its widest levels. */
#include "graph/plan_internal.h"

#include <stdlib.h>
#include <string.h>

static hv_status ref_prepare(hv_plan *p) {
    hv_status st = plan_assign_memory(p, 64); /* only to report the same numbers as the device */
    if (st) return st;
    p->host = calloc(p->n_values, sizeof *p->host);
    if (!p->host) return hv_error(HV_ERR_OUT_OF_MEMORY, "CPU plan: out of memory");
    for (uint32_t i = 0; i < p->n_values; i++) {
        hv_tensor *t = p->g->nodes[i];
        if (!p->values[i].needed) continue;
        if (t->kind == HV_NODE_WEIGHT) {
            p->host[i] = t->data; /* already f16-rounded by hv_graph_weight when f16 */
            p->weight_bytes += (uint64_t)hv_desc_numel(&t->desc) * sizeof(float);
        } else if (t->kind == HV_NODE_INPUT) {
            p->host[i] = calloc((size_t)hv_desc_numel(&t->desc), sizeof(float));
            if (!p->host[i]) return hv_error(HV_ERR_OUT_OF_MEMORY, "CPU plan: input '%s' does not fit", t->name);
        }
    }
    p->dispatches = p->n_steps;
    return HV_OK;
}

static int is_output(const hv_plan *p, uint32_t v) {
    for (uint32_t o = 0; o < p->n_outputs; o++)
        if (plan_resolve(p, p->outputs[o]) == v) return 1;
    return 0;
}

/* Free op values whose last reader was in `level` (never outputs, inputs or weights). */
static void release_level(hv_plan *p, uint32_t level) {
    for (uint32_t s = 0; s < p->n_steps; s++) {
        uint32_t v = p->steps[s].node->id;
        if (p->values[v].last_use == (int32_t)level && !is_output(p, v)) {
            free(p->host[v]);
            p->host[v] = NULL;
        }
    }
}

static hv_status ref_run(hv_plan *p) {
    for (uint32_t s = 0; s < p->n_steps; s++) {
        plan_step *st = &p->steps[s];
        hv_tensor *t = st->node;
        size_t n = (size_t)hv_desc_numel(&t->desc);
        free(p->host[t->id]);
        p->host[t->id] = malloc(n * sizeof(float));
        if (!p->host[t->id]) return hv_error(HV_ERR_OUT_OF_MEMORY, "CPU backend: no memory for '%s'", t->name);
        hv_tensor_desc sd[HV_OP_MAX_SRC];
        const float *sp[HV_OP_MAX_SRC];
        for (uint32_t k = 0; k < st->n_src; k++) {
            sd[k] = p->g->nodes[st->src[k]]->desc;
            sp[k] = p->host[st->src[k]];
            if (!sp[k]) return hv_error(HV_ERR_INTERNAL, "CPU backend: input %u of '%s' was never computed", k, t->name);
        }
        hv_status rc = st->op->ref(st->params, sd, sp, st->n_src, &t->desc, p->host[t->id]);
        if (rc) return hv_error_context(rc, "%s '%s' (CPU reference)", st->op->name, t->name);
        if (t->desc.dtype == HV_F16)
            for (size_t i = 0; i < n; i++) p->host[t->id][i] = hv_f16_round(p->host[t->id][i]);
        if (s + 1 == p->n_steps || p->steps[s + 1].level != st->level) release_level(p, st->level);
    }
    return HV_OK;
}

static void ref_free(hv_plan *p) {
    if (!p->host) return;
    for (uint32_t i = 0; i < p->n_values; i++)
        if (p->g->nodes[i]->kind != HV_NODE_WEIGHT) free(p->host[i]);
    free(p->host);
    p->host = NULL;
}

static void *ref_input_slot(hv_plan *p, uint32_t i, hv_dtype *stored_as) {
    *stored_as = HV_F32;
    return p->host[p->inputs[i]];
}

static const void *ref_output_slot(hv_plan *p, uint32_t o, hv_dtype *stored_as) {
    *stored_as = HV_F32;
    return p->host[plan_resolve(p, p->outputs[o])];
}

const plan_backend plan_backend_reference = {
    .name = "reference",
    .prepare = ref_prepare,
    .input_slot = ref_input_slot,
    .run = ref_run,
    .output_slot = ref_output_slot,
    .free = ref_free,
};
