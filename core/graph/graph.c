/* Graph building: nodes in creation (topological) order, ggml-style first-error recording. */
#include "graph/graph_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

hv_status hv_graph_create(hv_graph **out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_graph_create: out is NULL");
    *out = calloc(1, sizeof **out);
    if (!*out) return hv_error(HV_ERR_OUT_OF_MEMORY, "hv_graph_create: out of memory");
    return HV_OK;
}

void hv_graph_free(hv_graph *g) {
    if (!g) return;
    for (uint32_t i = 0; i < g->count; i++) {
        hv_tensor *t = g->nodes[i];
        free(t->name);
        free(t->output_name);
        free(t->params);
        free(t->data);
        free(t);
    }
    free(g->nodes);
    free(g->error);
    free(g);
}

hv_tensor *hv_graph_fail(hv_graph *g, hv_status status, const char *fmt, ...) {
    if (!g || g->status) return NULL;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    g->status = status ? status : HV_ERR_INTERNAL;
    g->error = strdup(msg);
    hv_error(g->status, "%s", msg);
    return NULL;
}

hv_status hv_graph_status(const hv_graph *g) {
    if (!g) return hv_error(HV_ERR_INVALID_ARGUMENT, "graph is NULL");
    if (g->status) hv_error(g->status, "%s", g->error ? g->error : "graph building failed");
    return g->status;
}

static hv_tensor *new_node(hv_graph *g, hv_node_kind kind, const char *name) {
    if (g->count == g->cap) {
        uint32_t cap = g->cap ? g->cap * 2 : 256;
        hv_tensor **n = realloc(g->nodes, cap * sizeof *n);
        if (!n) return hv_graph_fail(g, HV_ERR_OUT_OF_MEMORY, "graph: out of memory at %u nodes", g->count);
        g->nodes = n;
        g->cap = cap;
    }
    hv_tensor *t = calloc(1, sizeof *t);
    if (!t) return hv_graph_fail(g, HV_ERR_OUT_OF_MEMORY, "graph: out of memory");
    t->name = strdup(name ? name : "");
    if (!t->name) {
        free(t);
        return hv_graph_fail(g, HV_ERR_OUT_OF_MEMORY, "graph: out of memory");
    }
    t->id = g->count;
    t->kind = kind;
    g->nodes[g->count++] = t;
    return t;
}

hv_tensor_desc hv_desc_make(hv_dtype dtype, hv_layout layout, uint32_t rank, const int64_t *dims) {
    hv_tensor_desc d;
    memset(&d, 0, sizeof d);
    d.dtype = dtype;
    d.layout = layout;
    d.rank = rank;
    for (uint32_t i = 0; i < HV_MAX_DIMS; i++) d.dims[i] = (dims && i < rank) ? dims[i] : 1;
    return d;
}

/* Validate a caller's descriptor and return a normalised copy (trailing dims 1). */
static int check_desc(hv_graph *g, const char *what, const char *name, const hv_tensor_desc *d, hv_tensor_desc *out) {
    if (!d) {
        hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "%s '%s': descriptor is NULL", what, name ? name : "");
        return 0;
    }
    if (d->rank < 1 || d->rank > HV_MAX_DIMS) {
        hv_graph_fail(g, HV_ERR_SHAPE, "%s '%s': rank %u is not 1..%d", what, name ? name : "", d->rank, HV_MAX_DIMS);
        return 0;
    }
    if (d->dtype != HV_F32 && d->dtype != HV_F16) {
        hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "%s '%s': dtype %d is not HV_F32 or HV_F16", what, name ? name : "",
                      (int)d->dtype);
        return 0;
    }
    for (uint32_t i = 0; i < d->rank; i++)
        if (d->dims[i] < 1 || d->dims[i] > ((int64_t)1 << 40)) {
            hv_graph_fail(g, HV_ERR_SHAPE, "%s '%s': dim %u is %lld (must be >= 1)", what, name ? name : "", i,
                          (long long)d->dims[i]);
            return 0;
        }
    *out = hv_desc_make(d->dtype, d->layout, d->rank, d->dims);
    return 1;
}

hv_tensor *hv_graph_input(hv_graph *g, const char *name, const hv_tensor_desc *desc) {
    if (!g || g->status) return NULL;
    if (!name || !*name) return hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "graph input without a name");
    for (uint32_t i = 0; i < g->count; i++)
        if (g->nodes[i]->kind == HV_NODE_INPUT && !strcmp(g->nodes[i]->name, name))
            return hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "graph input '%s' declared twice", name);
    hv_tensor_desc d;
    if (!check_desc(g, "graph input", name, desc, &d)) return NULL;
    hv_tensor *t = new_node(g, HV_NODE_INPUT, name);
    if (t) t->desc = d;
    return t;
}

hv_tensor *hv_graph_weight(hv_graph *g, const char *name, const hv_tensor_desc *desc, const void *data,
                           hv_dtype data_type) {
    if (!g || g->status) return NULL;
    if (!data) return hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "weight '%s' has no data", name ? name : "");
    if (data_type != HV_F32 && data_type != HV_F16)
        return hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "weight '%s': data_type %d is not HV_F32 or HV_F16",
                             name ? name : "", (int)data_type);
    hv_tensor_desc d;
    if (!check_desc(g, "weight", name, desc, &d)) return NULL;
    size_t n = (size_t)hv_desc_numel(&d);
    float *copy = malloc(n * sizeof(float));
    if (!copy)
        return hv_graph_fail(g, HV_ERR_OUT_OF_MEMORY, "weight '%s': out of memory (%zu values)", name ? name : "", n);
    for (size_t i = 0; i < n; i++) {
        float v = data_type == HV_F16 ? hv_f16_to_f32(((const uint16_t *)data)[i]) : ((const float *)data)[i];
        /* A weight past the f16 range would be stored saturated at ±65504 and every output would be wrong
         * without a sign (the converter's --dtype f16 refuses such weights for the same reason). */
        if (d.dtype == HV_F16 && isfinite(v) && fabsf(v) > 65504.0f) {
            free(copy);
            return hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT,
                                 "weight '%s' holds %g (element %zu), outside the f16 range (±65504): it cannot be stored "
                                 "in f16 without saturating; run this model in f32 (precision: f32), or rescale the "
                                 "weights so they fit",
                                 name ? name : "", (double)v, i);
        }
        /* Round now so that the CPU backend and the device see the same weights. */
        copy[i] = d.dtype == HV_F16 ? hv_f16_round(v) : v;
    }
    hv_tensor *t = new_node(g, HV_NODE_WEIGHT, name);
    if (!t) {
        free(copy);
        return NULL;
    }
    t->desc = d;
    t->data = copy;
    return t;
}

hv_status hv_graph_output(hv_graph *g, hv_tensor *t, const char *name) {
    if (!g) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_graph_output: graph is NULL");
    if (g->status) return hv_graph_status(g);
    if (!t || !name || !*name) {
        hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "output '%s': no tensor or no name", name ? name : "");
        return g->status;
    }
    for (uint32_t i = 0; i < g->count; i++)
        if (g->nodes[i]->output_name && !strcmp(g->nodes[i]->output_name, name)) {
            hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "output name '%s' used twice", name);
            return g->status;
        }
    if (t->output_name) {
        hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "tensor '%s' is already output '%s'; cannot also be '%s'", t->name,
                      t->output_name, name);
        return g->status;
    }
    t->output_name = strdup(name);
    if (!t->output_name) {
        hv_graph_fail(g, HV_ERR_OUT_OF_MEMORY, "out of memory");
        return g->status;
    }
    return HV_OK;
}

const hv_tensor_desc *hv_tensor_get_desc(const hv_tensor *t) { return t ? &t->desc : NULL; }

const char *hv_tensor_name(const hv_tensor *t) { return t ? t->name : ""; }

uint32_t hv_graph_node_count(const hv_graph *g) { return g ? g->count : 0; }

uint32_t hv_graph_pack_sources(hv_tensor **dst, hv_tensor *const *maybe, uint32_t n) {
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (maybe[i]) dst[k++] = maybe[i];
    return k;
}

hv_tensor *hv_graph_add_op(hv_graph *g, const hv_op_def *op, const void *params, hv_tensor *const *src,
                           uint32_t n_src, const char *name) {
    if (!g || g->status) return NULL;
    for (uint32_t i = 0; i < n_src; i++)
        if (!src[i]) return NULL; /* an earlier builder failed and recorded why */
    if (!op) return hv_graph_fail(g, HV_ERR_INTERNAL, "op '%s': no op definition", name ? name : "");
    if (n_src < op->min_src || n_src > op->max_src || n_src > HV_OP_MAX_SRC)
        return hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "%s '%s': takes %u..%u inputs, got %u", op->name,
                             name ? name : "", op->min_src, op->max_src, n_src);
    hv_tensor_desc sd[HV_OP_MAX_SRC];
    for (uint32_t i = 0; i < n_src; i++) sd[i] = src[i]->desc;
    hv_tensor_desc out;
    memset(&out, 0, sizeof out);
    hv_clear_error();
    hv_status st = op->infer(params, sd, n_src, &out);
    if (st) {
        char shapes[512] = "";
        size_t off = 0;
        for (uint32_t i = 0; i < n_src && off < sizeof shapes; i++) {
            char b[96];
            off += (size_t)snprintf(shapes + off, sizeof shapes - off, "%s%s '%s' %s %s", i ? "," : "", i ? "" : "",
                                    src[i]->name, hv_desc_str(&sd[i], b, sizeof b), hv_dtype_name(sd[i].dtype));
        }
        char why[1024];
        snprintf(why, sizeof why, "%s", hv_last_error());
        return hv_graph_fail(g, st, "%s '%s' on inputs%s: %s", op->name, name ? name : "", shapes, why);
    }
    hv_tensor *t = new_node(g, HV_NODE_OP, name);
    if (!t) return NULL;
    t->op = op;
    t->desc = out;
    t->n_src = n_src;
    for (uint32_t i = 0; i < n_src; i++) t->src[i] = src[i];
    if (op->param_size) {
        t->params = malloc(op->param_size);
        if (!t->params) return hv_graph_fail(g, HV_ERR_OUT_OF_MEMORY, "out of memory");
        memcpy(t->params, params, op->param_size);
    }
    return t;
}
