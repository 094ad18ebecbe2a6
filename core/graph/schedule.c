/* Scheduling: order the (fused) steps by dependency level and give every value its lifetime.
 *
 * Level of a step = 1 + the highest level among the steps producing its sources (inputs and weights
 * are level 0). Steps of one level never read each other's outputs, so the recording needs a barrier
 * only between levels, and the steps of a level may run concurrently on the GPU. Lifetimes are
 * measured in levels, so the memory planner never lets two steps of the same level share memory:
 * a region is reused only after the barrier that follows its last reader's level. */
#include "graph/plan_internal.h"

#include <stdlib.h>
#include <string.h>

static int by_level(const void *a, const void *b) {
    const plan_step *x = a, *y = b;
    if (x->level != y->level) return x->level < y->level ? -1 : 1;
    return x->node->id < y->node->id ? -1 : (x->node->id > y->node->id); /* stable: creation order */
}

hv_status plan_schedule(hv_plan *p) {
    uint32_t *level = calloc(p->n_values, sizeof *level); /* per value; 0 = input / weight / not yet */
    int32_t *step_of = malloc(p->n_values * sizeof *step_of);
    if (!level || !step_of) {
        free(level);
        free(step_of);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "plan: out of memory while scheduling");
    }
    for (uint32_t i = 0; i < p->n_values; i++) step_of[i] = -1;
    for (uint32_t s = 0; s < p->n_steps; s++) step_of[p->steps[s].node->id] = (int32_t)s;
    /* Relax until stable: creation order is almost topological (only fused residuals point forward),
     * so this converges in one or two sweeps; n_steps + 1 sweeps without convergence means a cycle. */
    int changed = 1;
    uint32_t sweeps = 0;
    while (changed) {
        changed = 0;
        if (sweeps++ > p->n_steps + 1) {
            free(level);
            free(step_of);
            return hv_error(HV_ERR_INTERNAL, "plan: the fused graph has a cycle (a fusion bug)");
        }
        for (uint32_t s = 0; s < p->n_steps; s++) {
            plan_step *st = &p->steps[s];
            uint32_t l = 1;
            for (uint32_t k = 0; k < st->n_src; k++)
                if (step_of[st->src[k]] >= 0 && level[st->src[k]] + 1 > l) l = level[st->src[k]] + 1;
            if (l != level[st->node->id]) {
                level[st->node->id] = l;
                changed = 1;
            }
        }
    }
    p->n_levels = 0;
    for (uint32_t s = 0; s < p->n_steps; s++) {
        p->steps[s].level = level[p->steps[s].node->id];
        if (p->steps[s].level > p->n_levels) p->n_levels = p->steps[s].level;
    }
    qsort(p->steps, p->n_steps, sizeof *p->steps, by_level);
    free(level);
    free(step_of);

    /* Lifetimes in levels: inputs from 0, outputs until n_levels + 1 (the copy-out). */
    for (uint32_t i = 0; i < p->n_values; i++) {
        p->values[i].def = -1;
        p->values[i].last_use = -1;
        p->values[i].bytes = ((uint64_t)hv_desc_bytes(&p->g->nodes[i]->desc) + 15) & ~(uint64_t)15;
    }
    for (uint32_t s = 0; s < p->n_steps; s++) {
        plan_step *st = &p->steps[s];
        int32_t l = (int32_t)st->level;
        p->values[st->node->id].def = l;
        if (p->values[st->node->id].last_use < l) p->values[st->node->id].last_use = l;
        for (uint32_t k = 0; k < st->n_src; k++)
            if (p->values[st->src[k]].last_use < l) p->values[st->src[k]].last_use = l;
        st->scratch_bytes = 0;
        if (st->op->scratch_bytes) {
            hv_tensor_desc sd[HV_OP_MAX_SRC];
            for (uint32_t k = 0; k < st->n_src; k++) sd[k] = p->g->nodes[st->src[k]]->desc;
            st->scratch_bytes = (st->op->scratch_bytes(st->params, sd, st->n_src, &st->node->desc) + 15) & ~(uint64_t)15;
        }
    }
    for (uint32_t o = 0; o < p->n_outputs; o++)
        p->values[plan_resolve(p, p->outputs[o])].last_use = (int32_t)p->n_levels + 1;
    return HV_OK;
}
