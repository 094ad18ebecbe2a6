/* The host backend (backend.h): the optimised CPU backend of a device opened as "cpu".
 *
 * Memory is planned like the device's: every input and op output lives in one arena laid out by
 * plan_assign_memory (values whose lifetimes do not overlap share bytes), allocated once at prepare, so
 * a run allocates nothing. Values are f32; an f16 tensor is emulated as the reference backend does
 * (every value rounded through f16), so f16 plans agree with the reference and the device.
 *
 * Each step runs its op's host kernel (core/cpu/: oneDNN primitives built once per step, weights
 * reordered once) when it has one, else the op's reference. */
#include "cpu/host.h"
#include "cpu/host_kernel.h"
#include "graph/plan_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t f32_bytes(const hv_tensor *t) { return ((uint64_t)hv_desc_numel(&t->desc) * 4u + 15u) & ~(uint64_t)15; }

static hv_status host_prepare(hv_plan *p) {
    hv_host_threads();
    /* sizes as this backend stores them (f32 always); no Vulkan scratch */
    for (uint32_t i = 0; i < p->n_values; i++)
        if (p->values[i].needed && p->g->nodes[i]->kind != HV_NODE_WEIGHT) p->values[i].bytes = f32_bytes(p->g->nodes[i]);
    for (uint32_t s = 0; s < p->n_steps; s++) p->steps[s].scratch_bytes = 0;
    /* inputs live in the arena for the whole run: a plan may run again on the inputs it was given */
    for (uint32_t i = 0; i < p->n_inputs; i++) p->values[p->inputs[i]].last_use = (int32_t)p->n_levels + 1;
    hv_status st = plan_assign_memory(p, 64);
    if (st) return st;
    p->host = calloc(p->n_values, sizeof *p->host);
    p->host_state = calloc(p->n_steps ? p->n_steps : 1, sizeof *p->host_state);
    p->host_kernel = calloc(p->n_steps ? p->n_steps : 1, sizeof *p->host_kernel);
    uint64_t arena = p->arena_bytes ? p->arena_bytes : 64;
    p->host_arena = aligned_alloc(64, (arena + 63) / 64 * 64);
    if (!p->host || !p->host_state || !p->host_kernel || !p->host_arena)
        return hv_error(HV_ERR_OUT_OF_MEMORY, "CPU backend: no memory for the plan's %.1f MiB of activations",
                        arena / 1048576.0);
    for (uint32_t i = 0; i < p->n_values; i++) {
        hv_tensor *t = p->g->nodes[i];
        if (!p->values[i].needed || plan_resolve(p, i) != i) continue;
        if (t->kind == HV_NODE_WEIGHT) {
            p->host[i] = t->data; /* already f16-rounded by hv_graph_weight when f16 */
            p->weight_bytes += (uint64_t)hv_desc_numel(&t->desc) * sizeof(float);
        } else if (t->kind == HV_NODE_INPUT || p->values[i].def >= 0) {
            p->host[i] = (float *)((char *)p->host_arena + p->values[i].offset);
        }
    }
    if (p->n_inputs) /* an input is read before hv_plan_set_input only by a bug, but never as garbage */
        for (uint32_t i = 0; i < p->n_inputs; i++)
            memset(p->host[p->inputs[i]], 0, (size_t)hv_desc_numel(&p->g->nodes[p->inputs[i]]->desc) * sizeof(float));
    for (uint32_t s = 0; s < p->n_steps; s++) {
        plan_step *ps = &p->steps[s];
        const hv_host_kernel *k = hv_host_kernel_for(ps->op);
        if (!k) continue;
        hv_tensor_desc sd[HV_OP_MAX_SRC];
        const float *constant[HV_OP_MAX_SRC];
        for (uint32_t j = 0; j < ps->n_src; j++) {
            const hv_tensor *src = p->g->nodes[ps->src[j]];
            sd[j] = src->desc;
            constant[j] = src->kind == HV_NODE_WEIGHT ? src->data : NULL;
        }
        st = k->prepare(ps->params, sd, constant, ps->n_src, &ps->node->desc, &p->host_state[s]);
        if (st) return hv_error_context(st, "%s '%s' (CPU backend)", ps->op->name, ps->node->name);
        if (!p->host_state[s]) continue;
        p->host_kernel[s] = k;
        size_t need = k->scratch_bytes ? k->scratch_bytes(p->host_state[s]) : 0;
        if (need > p->host_scratch_bytes) p->host_scratch_bytes = need;
    }
    /* one scratch for every step (they run one after another): blocked copies of activations */
    if (p->host_scratch_bytes && !(p->host_scratch = aligned_alloc(64, (p->host_scratch_bytes + 63) / 64 * 64)))
        return hv_error(HV_ERR_OUT_OF_MEMORY, "CPU backend: no memory for %.1f MiB of kernel scratch",
                        p->host_scratch_bytes / 1048576.0);
    p->dispatches = p->n_steps;
    return HV_OK;
}

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* HEMOVK_PROFILE / hv_plan_options.profile: per-op wall time of the last run, by op name (hv_plan_profile),
 * printed like the Vulkan backend's table. */
static void add_time(hv_plan *p, const char *op, double ns) {
    uint32_t k = 0;
    while (k < p->n_prof && strcmp(p->prof[k].op, op)) k++;
    if (k == p->n_prof) p->prof[p->n_prof++] = (hv_op_time){.op = op};
    p->prof[k].count++;
    p->prof[k].ns += ns;
}

static int by_time_desc(const void *a, const void *b) {
    const hv_op_time *x = a, *y = b;
    return x->ns < y->ns ? 1 : (x->ns > y->ns ? -1 : 0);
}

static void print_profile(hv_plan *p) {
    qsort(p->prof, p->n_prof, sizeof *p->prof, by_time_desc);
    double total = 0;
    for (uint32_t k = 0; k < p->n_prof; k++) total += p->prof[k].ns;
    fprintf(stderr, "hemovk profile (CPU backend): %u steps, %.3f ms\n  %-24s %6s %10s %6s\n", p->n_steps, total / 1e6,
            "op", "count", "ms", "%");
    for (uint32_t k = 0; k < p->n_prof; k++)
        fprintf(stderr, "  %-24s %6u %10.3f %5.1f%%\n", p->prof[k].op, p->prof[k].count, p->prof[k].ns / 1e6,
                total > 0 ? 100.0 * p->prof[k].ns / total : 0.0);
}

static hv_status host_run(hv_plan *p) {
    int profile = p->opts.profile;
    if (profile) {
        free(p->prof);
        p->n_prof = 0;
        if (!(p->prof = calloc(p->n_steps ? p->n_steps : 1, sizeof *p->prof))) profile = 0;
    }
    for (uint32_t s = 0; s < p->n_steps; s++) {
        double t0 = profile ? now_ns() : 0;
        plan_step *ps = &p->steps[s];
        hv_tensor *t = ps->node;
        float *out = p->host[t->id];
        hv_tensor_desc sd[HV_OP_MAX_SRC];
        const float *sp[HV_OP_MAX_SRC];
        for (uint32_t k = 0; k < ps->n_src; k++) {
            sd[k] = p->g->nodes[ps->src[k]]->desc;
            sp[k] = p->host[ps->src[k]];
        }
        hv_status rc;
        if (p->host_state[s]) rc = p->host_kernel[s]->run(p->host_state[s], sp, ps->n_src, out, p->host_scratch);
        else rc = ps->op->ref(ps->params, sd, sp, ps->n_src, &t->desc, out);
        if (rc) return hv_error_context(rc, "%s '%s' (CPU backend)", ps->op->name, t->name);
        if (t->desc.dtype == HV_F16) {
            size_t n = (size_t)hv_desc_numel(&t->desc);
            for (size_t i = 0; i < n; i++) out[i] = hv_f16_round(out[i]);
        }
        if (profile) add_time(p, ps->op->name, now_ns() - t0);
    }
    if (profile && getenv("HEMOVK_PROFILE") && strcmp(getenv("HEMOVK_PROFILE"), "0")) print_profile(p);
    return HV_OK;
}

static void host_free(hv_plan *p) {
    if (p->host_state && p->host_kernel)
        for (uint32_t s = 0; s < p->n_steps; s++)
            if (p->host_state[s] && p->host_kernel[s]) p->host_kernel[s]->release(p->host_state[s]);
    free(p->host_state);
    free(p->host_kernel);
    p->host_state = NULL;
    p->host_kernel = NULL;
    free(p->host_arena);
    p->host_arena = NULL;
    free(p->host_scratch);
    p->host_scratch = NULL;
    free(p->host); /* weights point into the graph; everything else into the arena */
    p->host = NULL;
}

static void *host_input_slot(hv_plan *p, uint32_t i, hv_dtype *stored_as) {
    *stored_as = HV_F32;
    return p->host[p->inputs[i]];
}

static const void *host_output_slot(hv_plan *p, uint32_t o, hv_dtype *stored_as) {
    *stored_as = HV_F32;
    return p->host[plan_resolve(p, p->outputs[o])];
}

const plan_backend plan_backend_host = {
    .name = "host",
    .prepare = host_prepare,
    .input_slot = host_input_slot,
    .run = host_run,
    .output_slot = host_output_slot,
    .free = host_free,
};
