/* The planner's fusion pass: fold a pure activation, or a plain same-shape add, into the op that
 * produces its input, when that op implements the hook (hv_op_def.fuse_activation / fuse_residual).
 *
 * A producer is folded into only when its output has exactly ONE reader (the activation or the add)
 * and is not a graph output: otherwise the unfused value would still be needed. Because the add is
 * the producer's only reader, the residual cannot depend on the producer, so adding it as one more
 * source never makes a cycle (steps are re-ordered topologically afterwards, plan_schedule). Every
 * fused op is re-checked with its own shape inference; a refusal leaves the graph unfused. */
#include "graph/plan_internal.h"

#include <stdlib.h>
#include <string.h>

/* Readers of each value among live steps; graph outputs count as an extra (pinning) reader. */
static void count_readers(const hv_plan *p, uint32_t *uses) {
    memset(uses, 0, p->n_values * sizeof *uses);
    for (uint32_t s = 0; s < p->n_steps; s++) {
        const plan_step *st = &p->steps[s];
        if (!st->op) continue;
        for (uint32_t i = 0; i < st->n_src; i++) uses[plan_resolve(p, st->src[i])]++;
    }
    for (uint32_t i = 0; i < p->n_values; i++)
        if (p->g->nodes[i]->output_name && p->values[i].needed) uses[plan_resolve(p, i)] += 2;
}

/* Step producing value `v`, through the node→step index built by the caller. */
static plan_step *producer(hv_plan *p, const int32_t *step_of, uint32_t v) {
    int32_t s = step_of[v];
    return s >= 0 && p->steps[s].op ? &p->steps[s] : NULL;
}

/* Does op `a` still pass its shape inference with its new params and sources? */
static int still_valid(const hv_plan *p, const plan_step *a, const void *params, const uint32_t *src, uint32_t n) {
    hv_tensor_desc sd[HV_OP_MAX_SRC], out;
    for (uint32_t k = 0; k < n; k++) sd[k] = p->g->nodes[plan_resolve(p, src[k])]->desc;
    memset(&out, 0, sizeof out);
    if (a->op->infer(params, sd, n, &out)) {
        hv_clear_error();
        return 0;
    }
    return out.rank == a->node->desc.rank && !memcmp(out.dims, a->node->desc.dims, sizeof out.dims) &&
           out.dtype == a->node->desc.dtype;
}

static int try_activation(hv_plan *p, plan_step *b, const int32_t *step_of, const uint32_t *uses, int act) {
    uint32_t a_id = plan_resolve(p, b->src[0]);
    plan_step *a = producer(p, step_of, a_id);
    if (!a || !a->op->fuse_activation || uses[a_id] != 1 || a->node->desc.dtype != b->node->desc.dtype) return 0;
    size_t sz = a->op->param_size;
    void *q = malloc(sz ? sz : 1);
    if (!q) return 0;
    if (sz) memcpy(q, a->params, sz);
    if (!a->op->fuse_activation(q, act) || !still_valid(p, a, q, a->src, a->n_src)) {
        free(q);
        return 0;
    }
    free(a->params);
    a->params = q;
    return (int)a_id + 1;
}

static int try_residual(hv_plan *p, plan_step *b, const int32_t *step_of, const uint32_t *uses) {
    for (int k = 0; k < 2; k++) {
        uint32_t a_id = plan_resolve(p, b->src[k]);
        uint32_t r_id = plan_resolve(p, b->src[1 - k]);
        plan_step *a = producer(p, step_of, a_id);
        if (!a || !a->op->fuse_residual || uses[a_id] != 1 || r_id == a_id || a->n_src >= HV_OP_MAX_SRC ||
            a->n_src >= a->op->max_src || a->node->desc.dtype != b->node->desc.dtype)
            continue;
        size_t sz = a->op->param_size;
        void *q = malloc(sz ? sz : 1);
        if (!q) return 0;
        if (sz) memcpy(q, a->params, sz);
        uint32_t src[HV_OP_MAX_SRC];
        memcpy(src, a->src, a->n_src * sizeof *src);
        src[a->n_src] = r_id;
        if (!a->op->fuse_residual(q) || !still_valid(p, a, q, src, a->n_src + 1)) {
            free(q);
            continue;
        }
        free(a->params);
        a->params = q;
        a->src[a->n_src++] = r_id;
        return (int)a_id + 1;
    }
    return 0;
}

void plan_fuse(hv_plan *p) {
    uint32_t *uses = calloc(p->n_values, sizeof *uses);
    int32_t *step_of = malloc(p->n_values * sizeof *step_of);
    if (!uses || !step_of) { /* fusion is an optimisation: without memory, run unfused */
        free(uses);
        free(step_of);
        return;
    }
    for (uint32_t i = 0; i < p->n_values; i++) step_of[i] = -1;
    for (uint32_t s = 0; s < p->n_steps; s++) step_of[p->steps[s].node->id] = (int32_t)s;
    count_readers(p, uses);
    for (uint32_t s = 0; s < p->n_steps; s++) {
        plan_step *b = &p->steps[s];
        if (!b->op) continue;
        int act = b->op->pure_activation ? b->op->pure_activation(b->params) : -1;
        int into = 0;
        if (act >= 0 && b->n_src == 1) {
            into = try_activation(p, b, step_of, uses, act);
        } else if (b->n_src == 2 && b->op->is_plain_add) {
            hv_tensor_desc d[2] = {p->g->nodes[plan_resolve(p, b->src[0])]->desc,
                                   p->g->nodes[plan_resolve(p, b->src[1])]->desc};
            if (b->op->is_plain_add(b->params, d, 2)) into = try_residual(p, b, step_of, uses);
        }
        if (!into) continue;
        /* b's value is now the producer's; the producer's readers are b's readers. */
        p->alias[b->node->id] = (uint32_t)(into - 1);
        b->op = NULL;
        p->fused++;
        count_readers(p, uses);
    }
    free(uses);
    free(step_of);
}
