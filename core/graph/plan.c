/* Planning: which nodes run, fusion, value lifetimes, then the plan's backend (backend.h) prepares its
 * memory and recording; inputs, runs and outputs go through the backend's table. */
#include "graph/plan_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hv_status build_steps(hv_plan *p) {
    hv_graph *g = p->g;
    /* Needed: everything an output depends on. Ids are topological, so one backward sweep works. */
    for (uint32_t i = g->count; i-- > 0;) {
        hv_tensor *t = g->nodes[i];
        /* Inputs always stay settable by name, even when no output reads them. */
        if (t->output_name || t->kind == HV_NODE_INPUT) p->values[i].needed = 1;
        if (p->values[i].needed && t->kind == HV_NODE_OP)
            for (uint32_t k = 0; k < t->n_src; k++) p->values[t->src[k]->id].needed = 1;
    }
    for (uint32_t i = 0; i < g->count; i++) {
        hv_tensor *t = g->nodes[i];
        if (!p->values[i].needed) continue;
        if (t->kind == HV_NODE_INPUT) p->inputs[p->n_inputs++] = i;
        if (t->output_name) p->outputs[p->n_outputs++] = i;
        if (t->kind != HV_NODE_OP) continue;
        plan_step *st = &p->steps[p->n_steps++];
        st->node = t;
        st->op = t->op;
        st->n_src = t->n_src;
        for (uint32_t k = 0; k < t->n_src; k++) st->src[k] = t->src[k]->id;
        if (t->op->param_size) {
            st->params = malloc(t->op->param_size);
            if (!st->params) return hv_error(HV_ERR_OUT_OF_MEMORY, "plan: out of memory");
            memcpy(st->params, t->params, t->op->param_size);
        }
    }
    if (p->n_outputs == 0) return hv_error(HV_ERR_INVALID_ARGUMENT, "plan: the graph has no outputs (hv_graph_output)");
    if (!p->opts.no_fusion) plan_fuse(p);
    /* Compact away fused steps. */
    uint32_t k = 0;
    for (uint32_t s = 0; s < p->n_steps; s++) {
        if (!p->steps[s].op) {
            free(p->steps[s].params);
            continue;
        }
        for (uint32_t i = 0; i < p->steps[s].n_src; i++) p->steps[s].src[i] = plan_resolve(p, p->steps[s].src[i]);
        p->steps[k++] = p->steps[s];
    }
    p->n_steps = k;
    return HV_OK;
}

hv_status hv_plan_create(hv_graph *g, hv_device *dev, const hv_plan_options *opts, hv_plan **out) {
    if (!g || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_plan_create: graph or out is NULL");
    *out = NULL;
    if (hv_graph_status(g)) return hv_error_context(g->status, "cannot plan a graph that failed to build");
    hv_plan *p = calloc(1, sizeof *p);
    if (!p) return hv_error(HV_ERR_OUT_OF_MEMORY, "plan: out of memory");
    p->g = g;
    p->dev = dev;
    if (opts) p->opts = *opts;
    const char *prof = getenv("HEMOVK_PROFILE");
    if (prof && *prof && strcmp(prof, "0")) p->opts.profile = 1;
    p->n_values = g->count;
    p->alias = malloc(g->count * sizeof *p->alias);
    p->values = calloc(g->count, sizeof *p->values);
    p->steps = calloc(g->count, sizeof *p->steps);
    p->inputs = calloc(g->count, sizeof *p->inputs);
    p->input_set = calloc(g->count, 1);
    p->outputs = calloc(g->count, sizeof *p->outputs);
    p->link_src = calloc(g->count, sizeof *p->link_src);
    p->link_out = calloc(g->count, sizeof *p->link_out);
    p->out_device_only = calloc(g->count, 1);
    hv_status st = HV_OK;
    if (!p->alias || !p->values || !p->steps || !p->inputs || !p->input_set || !p->outputs || !p->link_src ||
        !p->link_out || !p->out_device_only) {
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "plan: out of memory for %u nodes", g->count);
        goto fail;
    }
    for (uint32_t i = 0; i < g->count; i++) p->alias[i] = i;
    if ((st = build_steps(p))) goto fail;
    if ((st = plan_schedule(p))) goto fail;
    p->be = !dev ? &plan_backend_reference : hv_device_is_host(dev) ? &plan_backend_host : &plan_backend_vulkan;
    if ((st = p->be->prepare(p))) goto fail;
    *out = p;
    return HV_OK;
fail:
    hv_plan_free(p);
    return st;
}

/* n values of src_type (HV_F32 / HV_F16) into storage of dst_type for a tensor of logical dtype `logical`
 * (f32 storage of an f16 tensor holds f16-rounded values, as the reference backend emulates it). */
static void store_values(void *dst, hv_dtype dst_type, hv_dtype logical, const void *src, hv_dtype src_type, size_t n) {
    if (dst_type == src_type && (dst_type == HV_F16 || logical != HV_F16)) {
        memcpy(dst, src, n * (dst_type == HV_F16 ? 2u : 4u));
        return;
    }
    for (size_t k = 0; k < n; k++) {
        float f = src_type == HV_F16 ? hv_f16_to_f32(((const uint16_t *)src)[k]) : ((const float *)src)[k];
        if (dst_type == HV_F16) ((uint16_t *)dst)[k] = hv_f32_to_f16_sat(f);
        else ((float *)dst)[k] = logical == HV_F16 ? hv_f16_round(f) : f;
    }
}

static int find_input(const hv_plan *p, const char *name) {
    for (uint32_t i = 0; i < p->n_inputs; i++)
        if (!strcmp(p->g->nodes[p->inputs[i]]->name, name)) return (int)i;
    return -1;
}

static int find_output(const hv_plan *p, const char *name) {
    for (uint32_t i = 0; i < p->n_outputs; i++)
        if (!strcmp(p->g->nodes[p->outputs[i]]->output_name, name)) return (int)i;
    return -1;
}

static void list_names(const hv_plan *p, int outputs, char *buf, size_t cap) {
    size_t off = 0;
    buf[0] = '\0';
    uint32_t n = outputs ? p->n_outputs : p->n_inputs;
    for (uint32_t i = 0; i < n && off + 2 < cap; i++) {
        const hv_tensor *t = p->g->nodes[outputs ? p->outputs[i] : p->inputs[i]];
        off += (size_t)snprintf(buf + off, cap - off, "%s'%s'", i ? ", " : "", outputs ? t->output_name : t->name);
    }
}

hv_status hv_plan_set_input(hv_plan *p, const char *name, const void *data, hv_dtype data_type, size_t n) {
    if (!p || !name || !data) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_plan_set_input: NULL argument");
    int i = find_input(p, name);
    if (i < 0) {
        char names[1024];
        list_names(p, 0, names, sizeof names);
        return hv_error(HV_ERR_NOT_FOUND, "plan has no input '%s' (inputs: %s)", name, names[0] ? names : "none");
    }
    if (p->link_src[i])
        return hv_error(HV_ERR_INVALID_ARGUMENT,
                        "input '%s' is linked to another plan's output (hv_plan_link_input); unlink it (src NULL) "
                        "before setting it from the host", name);
    uint32_t v = p->inputs[i];
    const hv_tensor_desc *d = &p->g->nodes[v]->desc;
    if ((int64_t)n != hv_desc_numel(d)) {
        char b[96];
        return hv_error(HV_ERR_SHAPE, "input '%s' %s needs %lld values, got %zu", name, hv_desc_str(d, b, sizeof b),
                        (long long)hv_desc_numel(d), n);
    }
    hv_dtype dst_type = HV_F32;
    void *dst = p->be->input_slot(p, (uint32_t)i, &dst_type);
    store_values(dst, dst_type, d->dtype, data, data_type, n);
    p->input_set[i] = 1;
    return HV_OK;
}

hv_status hv_plan_link_input(hv_plan *dst, const char *input, hv_plan *src, const char *output) {
    if (!dst || !input || (src && !output))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_plan_link_input: NULL argument");
    int i = find_input(dst, input);
    if (i < 0) {
        char names[1024];
        list_names(dst, 0, names, sizeof names);
        return hv_error(HV_ERR_NOT_FOUND, "hv_plan_link_input: plan has no input '%s' (inputs: %s)", input,
                        names[0] ? names : "none");
    }
    if (!src) { /* unlink: the input must be set from the host again before the next run */
        if (dst->link_src[i]) dst->relink_pending = 1, dst->input_set[i] = 0;
        dst->link_src[i] = NULL;
        return HV_OK;
    }
    if (src == dst) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_plan_link_input: '%s' cannot read its own plan", input);
    if (src->dev != dst->dev)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_plan_link_input: input '%s' and output '%s' are plans of different "
                                                 "devices; copy through the host (hv_plan_get_output, hv_plan_set_input)",
                        input, output);
    int o = find_output(src, output);
    if (o < 0) {
        char names[1024];
        list_names(src, 1, names, sizeof names);
        return hv_error(HV_ERR_NOT_FOUND, "hv_plan_link_input: source plan has no output '%s' (outputs: %s)", output, names);
    }
    const hv_tensor_desc *di = &dst->g->nodes[dst->inputs[i]]->desc, *dout = &src->g->nodes[src->outputs[o]]->desc;
    int same = di->dtype == dout->dtype && di->rank == dout->rank;
    for (uint32_t k = 0; same && k < di->rank; k++) same = di->dims[k] == dout->dims[k];
    if (!same) {
        char a[96], b[96];
        return hv_error(HV_ERR_SHAPE, "hv_plan_link_input: input '%s' is %s %s but output '%s' is %s %s", input,
                        hv_desc_str(di, a, sizeof a), hv_dtype_name(di->dtype), output, hv_desc_str(dout, b, sizeof b),
                        hv_dtype_name(dout->dtype));
    }
    if (dst->link_src[i] != src || dst->link_out[i] != (uint32_t)o) dst->relink_pending = 1;
    dst->link_src[i] = src;
    dst->link_out[i] = (uint32_t)o;
    return HV_OK;
}

hv_status hv_plan_set_output_readback(hv_plan *p, const char *name, bool readback) {
    if (!p || !name) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_plan_set_output_readback: NULL argument");
    int o = find_output(p, name);
    if (o < 0) {
        char names[1024];
        list_names(p, 1, names, sizeof names);
        return hv_error(HV_ERR_NOT_FOUND, "plan has no output '%s' (outputs: %s)", name, names);
    }
    if (p->out_device_only[o] != !readback) p->relink_pending = 1;
    p->out_device_only[o] = !readback;
    return HV_OK;
}

/* Backends without relink() (host memory): linked inputs are copied from the source's output slot. */
static void copy_links_on_host(hv_plan *p) {
    for (uint32_t i = 0; i < p->n_inputs; i++) {
        hv_plan *src = p->link_src[i];
        if (!src) continue;
        const hv_tensor_desc *d = &p->g->nodes[p->inputs[i]]->desc;
        hv_dtype from = HV_F32, to = HV_F32;
        const void *s = src->be->output_slot(src, p->link_out[i], &from);
        void *dst = p->be->input_slot(p, i, &to);
        store_values(dst, to, d->dtype, s, from, (size_t)hv_desc_numel(d));
    }
}

hv_status hv_plan_run(hv_plan *p) {
    if (!p) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_plan_run: plan is NULL");
    for (uint32_t i = 0; i < p->n_inputs; i++) {
        const char *name = p->g->nodes[p->inputs[i]]->name;
        if (p->link_src[i] && !p->link_src[i]->runs)
            return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_plan_run: input '%s' is linked to output '%s' of a plan that "
                                                     "has not run yet; run that plan first",
                            name, p->link_src[i]->g->nodes[p->link_src[i]->outputs[p->link_out[i]]]->output_name);
        if (!p->input_set[i] && !p->link_src[i])
            return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_plan_run: input '%s' was never set (hv_plan_set_input)", name);
    }
    if (p->be->relink) {
        if (p->relink_pending) {
            hv_status st = p->be->relink(p);
            if (st) return hv_error_context(st, "re-recording the plan for its links");
            p->relink_pending = 0;
        }
    } else {
        copy_links_on_host(p);
    }
    hv_status st = p->be->run(p);
    if (st == HV_OK) p->runs++;
    return st;
}

hv_status hv_plan_get_output(hv_plan *p, const char *name, float *dst, size_t n) {
    if (!p || !name || !dst) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_plan_get_output: NULL argument");
    int o = find_output(p, name);
    if (o < 0) {
        char names[1024];
        list_names(p, 1, names, sizeof names);
        return hv_error(HV_ERR_NOT_FOUND, "plan has no output '%s' (outputs: %s)", name, names);
    }
    const hv_tensor_desc *d = &p->g->nodes[p->outputs[o]]->desc;
    if ((int64_t)n != hv_desc_numel(d))
        return hv_error(HV_ERR_SHAPE, "output '%s' has %lld values, asked for %zu", name, (long long)hv_desc_numel(d), n);
    if (p->out_device_only[o])
        return hv_error(HV_ERR_INVALID_ARGUMENT, "output '%s' is kept on the device (hv_plan_set_output_readback "
                                                 "false); turn its readback on to read it from the host", name);
    hv_dtype src_type = HV_F32;
    const void *src = p->be->output_slot(p, (uint32_t)o, &src_type);
    if (src_type == HV_F16)
        for (size_t k = 0; k < n; k++) dst[k] = hv_f16_to_f32(((const uint16_t *)src)[k]);
    else
        memcpy(dst, src, n * sizeof(float));
    return HV_OK;
}

const hv_tensor_desc *hv_plan_output_desc(const hv_plan *p, const char *name) {
    if (!p || !name) return NULL;
    int o = find_output(p, name);
    return o < 0 ? NULL : &p->g->nodes[p->outputs[o]]->desc;
}

uint64_t hv_plan_peak_bytes(const hv_plan *p) { return p ? p->arena_bytes : 0; }
uint64_t hv_plan_sum_intermediate_bytes(const hv_plan *p) { return p ? p->unaliased_bytes : 0; }
uint64_t hv_plan_weight_bytes(const hv_plan *p) { return p ? p->weight_bytes : 0; }
uint32_t hv_plan_node_count(const hv_plan *p) { return p ? p->n_steps : 0; }
uint32_t hv_plan_fused_count(const hv_plan *p) { return p ? p->fused : 0; }
uint32_t hv_plan_level_count(const hv_plan *p) { return p ? p->n_levels : 0; }
uint32_t hv_plan_barrier_count(const hv_plan *p) { return p ? p->barriers : 0; }
const char *hv_plan_node_op(const hv_plan *p, uint32_t i) { return p && i < p->n_steps ? p->steps[i].op->name : NULL; }

uint32_t hv_plan_profile(const hv_plan *p, hv_op_time *out, uint32_t cap) {
    if (!p || !out) return 0;
    uint32_t n = p->n_prof < cap ? p->n_prof : cap;
    memcpy(out, p->prof, n * sizeof *out);
    return n;
}

void hv_plan_free(hv_plan *p) {
    if (!p) return;
    if (p->be) p->be->free(p);
    for (uint32_t s = 0; s < p->n_steps; s++) free(p->steps[s].params);
    free(p->steps);
    free(p->values);
    free(p->alias);
    free(p->inputs);
    free(p->input_set);
    free(p->outputs);
    free(p->link_src);
    free(p->link_out);
    free(p->out_device_only);
    free(p->prof);
    free(p);
}
