/* The classifier's model: the BACKBONE and WEIGHT_LOADER components named in params (found through the
 * host, their nested params validated against their own schemas), the weights, the head, and a small
 * cache of compiled plans — one per (batch, height, width), because a plan is built for one shape and
 * the paper's classifier runs at each frame's native size. */
#include "classify_plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hv_status probe(cls_model *m);

/* Tensors the network never read: an error naming them unless `weights.ignore` lists them (globs). */
static hv_status check_unused(cls_model *m, const hv_config_node *params) {
    const hv_config_node *ig = hv_config_get(hv_config_get(params, "weights"), "ignore");
    const char *pats[64];
    size_t n = 0;
    for (size_t i = 0; ig && i < hv_config_size(ig) && n < sizeof pats / sizeof pats[0]; i++)
        if (hv_config_as_string(hv_config_item(ig, i), &pats[n]) == HV_OK) n++;
    return hv_weights_check_used(m->weights, pats, n, m->cfg->id);
}

static hv_status load_weights(cls_model *m, const hv_create_info *info) {
    const hv_config_node *spec = hv_config_get(info->params, "weights");
    if (m->cfg->random) {
        char source[64];
        snprintf(source, sizeof source, "random(seed=%llu)", (unsigned long long)m->cfg->seed);
        hv_status st = hv_weights_create(source, &m->weights);
        if (!st) st = hv_weights_set_synthesizer(m->weights, hv_weights_random_init, (void *)&m->cfg->seed);
        if (!st)
            hv_log_warn("%s: RANDOM weights (seed %llu) - a plumbing demo, the predictions mean nothing", m->cfg->id,
                        (unsigned long long)m->cfg->seed);
        return st;
    }
    hv_component_ref ref;
    hv_config_node *params = NULL;
    hv_status st = hv_component_resolve(info, HV_COMPONENT_WEIGHT_LOADER, spec, "loader", HV_WEIGHT_LOADER_VTABLE_MIN_SIZE, &ref,
                           &params);
    if (!st) {
        const hv_weight_loader_vtable *vt = ref.desc->vtable;
        char id[160];
        snprintf(id, sizeof id, "%s.weights", m->cfg->id);
        hv_component_info ci = {.struct_size = sizeof ci, .host = info->host, .plugin_state = ref.plugin_state,
                                .instance_id = id, .params = params};
        st = vt->load(&ci, &m->weights);
        if (!st && !m->weights) st = hv_error(HV_ERR_INTERNAL, "%s: the weight loader returned no weights", id);
    }
    hv_config_free(params);
    return st;
}

hv_status cls_model_init(cls_model *m, const hv_create_info *info, const cls_config *cfg) {
    memset(m, 0, sizeof *m);
    m->cfg = cfg;
    m->host = info->host;
    m->num_classes = -1;
    m->device = info->host->device ? info->host->device(info->host) : NULL;
    if (!m->device)
        hv_log_info("%s: no device open: running on the CPU reference backend (slow; for tests and tools)", cfg->id);
    hv_component_ref ref;
    const hv_config_node *spec = hv_config_get(info->params, "backbone");
    hv_status st = hv_component_resolve(info, HV_COMPONENT_BACKBONE, spec, "component", HV_BACKBONE_VTABLE_MIN_SIZE, &ref, &m->bb_params);
    if (st) return st;
    m->bb = ref.desc->vtable;
    snprintf(m->bb_id, sizeof m->bb_id, "%s.backbone", cfg->id);
    snprintf(m->bb_name, sizeof m->bb_name, "%s", ref.desc->name);
    m->bb_info = (hv_component_info){.struct_size = sizeof m->bb_info, .host = info->host,
                                     .plugin_state = ref.plugin_state, .instance_id = m->bb_id, .params = m->bb_params};
    if ((st = load_weights(m, info))) return st;
    if ((st = cls_calibrate(m, info->params, m->bb, ref.desc->vtable_size))) return st;
    memset(&m->head, 0, sizeof m->head);
    if (ref.desc->vtable_size >= offsetof(hv_backbone_vtable, cls_head) + sizeof m->bb->cls_head && m->bb->cls_head &&
        (st = m->bb->cls_head(&m->bb_info, m->weights, &m->head, m->head_names, sizeof m->head_names)))
        return st;
    /* the probe reads every tensor the network needs: whatever it leaves unread does not fit this config */
    if (!m->cfg->random) hv_weights_reset_used(m->weights);
    if ((st = probe(m))) return st;
    if (!m->cfg->random && (st = check_unused(m, info->params))) return st;
    hv_log_info("%s: %s backbone, weights %s, %s input, %s", cfg->id, m->bb_name, hv_weights_source(m->weights),
                cfg->norm == HV_INPUT_RAW_RGB ? "raw RGB 0-255" : "ImageNet mean/std", cfg->dtype == HV_F16 ? "f16" : "f32");
    return HV_OK;
}

static void plan_release(cls_plan *p) {
    hv_plan_free(p->plan);
    hv_graph_free(p->graph);
    memset(p, 0, sizeof *p);
}

void cls_model_free(cls_model *m) {
    if (!m) return;
    for (size_t i = 0; i < m->n_plans; i++) plan_release(&m->plans[i]);
    free(m->plans);
    hv_weights_free(m->weights);
    hv_config_free(m->bb_params);
    memset(m, 0, sizeof *m);
}

/* Random mode: a head of K = len(labels) classes on the backbone's last map (the synthesizer cannot
 * guess K, and the head builder reads K from the fc weight's shape). */
static hv_status add_random_head(cls_model *m, int32_t channels) {
    const char *fc = m->head.fc ? m->head.fc : "head.fc";
    char wn[300], bn[300];
    snprintf(wn, sizeof wn, "%s.weight", fc);
    snprintf(bn, sizeof bn, "%s.bias", fc);
    if (hv_weights_has(m->weights, wn)) return HV_OK;
    int64_t wd[2] = {m->cfg->n_labels, channels}, bd[1] = {m->cfg->n_labels};
    float *buf = malloc(sizeof(float) * (size_t)(wd[0] * wd[1] + wd[0]));
    if (!buf) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory for the random head", m->cfg->id);
    uint64_t seed = m->cfg->seed;
    hv_status st = hv_weights_random_init(&seed, wn, 2, wd, buf);
    if (!st) st = hv_weights_random_init(&seed, bn, 1, bd, buf + wd[0] * wd[1]);
    if (!st) st = hv_weights_add(m->weights, wn, HV_WDT_F32, 2, wd, buf);
    if (!st) st = hv_weights_add(m->weights, bn, HV_WDT_F32, 1, bd, buf + wd[0] * wd[1]);
    free(buf);
    return st;
}

/* One TTA copy of the preprocessed NCHW batch, on the device: flips are backward slices, the 90° turns a
 * flip and a transpose (rot90 = numpy.rot90, counter-clockwise: out[i][j] = in[j][W−1−i]). */
static hv_tensor *tta_copy(hv_graph *g, hv_tensor *x, cls_tta_tf tf) {
    const int32_t transpose[HV_MAX_DIMS] = {0, 1, 3, 2};
    hv_tensor *h = NULL, *v = NULL;
    switch (tf) {
    case CLS_TTA_IDENTITY:
        return x;
    case CLS_TTA_HFLIP:
        return hv_slice(g, x, 3, -1, INT64_MIN, -1, "tta.hflip");
    case CLS_TTA_VFLIP:
        return hv_slice(g, x, 2, -1, INT64_MIN, -1, "tta.vflip");
    case CLS_TTA_ROT180:
        h = hv_slice(g, x, 3, -1, INT64_MIN, -1, "tta.rot180.w");
        return hv_slice(g, h, 2, -1, INT64_MIN, -1, "tta.rot180");
    case CLS_TTA_ROT90:
        h = hv_slice(g, x, 3, -1, INT64_MIN, -1, "tta.rot90.w");
        return hv_permute(g, h, transpose, "tta.rot90");
    case CLS_TTA_ROT270:
        v = hv_slice(g, x, 2, -1, INT64_MIN, -1, "tta.rot270.h");
        return hv_permute(g, v, transpose, "tta.rot270");
    case CLS_TTA_COUNT:
        break;
    }
    return hv_graph_fail(g, HV_ERR_INTERNAL, "tta: transform %d unknown", (int)tf);
}

static hv_status build_graph(cls_model *m, cls_plan *p) {
    hv_status st = hv_graph_create(&p->graph);
    if (st) return st;
    hv_model_input_params ip = {.batch = p->n, .height = p->h, .width = p->w, .norm = m->cfg->norm, .dtype = m->cfg->dtype};
    hv_tensor *packed = NULL, *image = NULL, *probs = NULL, *logits = NULL;
    if ((st = hv_model_input(p->graph, &ip, &packed, &image))) return st;
    const cls_config *c = m->cfg;
    if (c->n_tta > 1 || (c->n_tta == 1 && c->tta[0] != CLS_TTA_IDENTITY)) { /* the copies, batch-concatenated */
        hv_tensor *views[CLS_TTA_COUNT];
        char msg[384];
        if (cls_tta_turn_blocks(c, p->w, p->h, "network input", msg, sizeof msg))
            return hv_error(HV_ERR_INVALID_ARGUMENT, "%s", msg);
        for (uint32_t t = 0; t < c->n_tta; t++) views[t] = tta_copy(p->graph, image, c->tta[t]);
        image = c->n_tta == 1 ? views[0] : hv_concat(p->graph, views, c->n_tta, 0, "tta.copies");
        if ((st = hv_graph_status(p->graph))) return st;
    }
    hv_backbone_outputs bo;
    memset(&bo, 0, sizeof bo);
    if ((st = m->bb->build(&m->bb_info, p->graph, image, m->weights, &bo))) return st;
    if (!bo.last) return hv_error(HV_ERR_INTERNAL, "%s: backbone '%s' gave no final feature map", m->bb_id, m->bb_name);
    if (m->cfg->random && (st = add_random_head(m, bo.last_channels))) return st;
    int32_t k = 0;
    if ((st = hv_cls_head_build(p->graph, bo.last, m->weights, &m->head, &logits, &probs, &k)))
        return hv_error_context(st, "%s: classification head", m->cfg->id);
    if ((uint32_t)k != m->cfg->n_labels)
        return hv_error(HV_ERR_SHAPE,
                        "%s: the head in %s has %d classes but `labels` names %u: list one label per class, in the "
                        "head's class order",
                        m->cfg->id, hv_weights_source(m->weights), k, m->cfg->n_labels);
    m->num_classes = k;
    if ((st = hv_graph_output(p->graph, probs, "probs"))) return st;
    /* the logits too: the stage checks them for f16 saturation, which softmax would hide as 1/K each */
    if ((st = hv_graph_output(p->graph, logits, "logits"))) return st;
    return hv_graph_status(p->graph);
}

static hv_status build(cls_model *m, cls_plan *p) {
    hv_status st = build_graph(m, p);
    if (!st) st = hv_plan_create(p->graph, m->device, NULL, &p->plan);
    return st;
}

/* Build the graph once for a small input (no plan, nothing on the device), so that a missing tensor,
 * a wrong backbone param or labels that do not match the head fail when the pipeline loads, not at the
 * first batch. */
static hv_status probe(cls_model *m) {
    cls_plan p = {.n = 1, .h = 64, .w = 64};
    if (m->cfg->resize != CLS_RESIZE_NATIVE) p.h = m->cfg->size_h, p.w = m->cfg->size_w;
    hv_status st = build_graph(m, &p);
    plan_release(&p);
    return st;
}

hv_status cls_model_plan(cls_model *m, int32_t n, int32_t h, int32_t w, cls_plan **out) {
    *out = NULL;
    m->clock++;
    for (size_t i = 0; i < m->n_plans; i++) {
        cls_plan *p = &m->plans[i];
        if (p->n == n && p->h == h && p->w == w) {
            p->last_use = m->clock;
            *out = p;
            return HV_OK;
        }
    }
    if (!m->plans) {
        m->plans = calloc((size_t)m->cfg->max_plans, sizeof *m->plans);
        if (!m->plans) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory for the plan cache", m->cfg->id);
    }
    size_t slot = m->n_plans;
    if (slot == (size_t)m->cfg->max_plans) { /* evict the least recently used */
        slot = 0;
        for (size_t i = 1; i < m->n_plans; i++)
            if (m->plans[i].last_use < m->plans[slot].last_use) slot = i;
        plan_release(&m->plans[slot]);
    } else {
        m->n_plans++;
    }
    cls_plan *p = &m->plans[slot];
    *p = (cls_plan){.n = n, .h = h, .w = w, .last_use = m->clock};
    hv_status st = build(m, p);
    if (st) {
        plan_release(p);
        if (slot == m->n_plans - 1) m->n_plans--;
        else p->n = -1; /* an empty slot that never matches; reused by the next eviction */
        return hv_error_context(st, "%s: building the network for %d frame(s) of %dx%d", m->cfg->id, n, w, h);
    }
    hv_log_debug("%s: built the network for %d frame(s) of %dx%d", m->cfg->id, n, w, h);
    *out = p;
    return HV_OK;
}

hv_status cls_model_run(cls_model *m, int32_t n, int32_t h, int32_t w, const uint32_t *packed, float *probs,
                        float *logits) {
    cls_plan *p = NULL;
    hv_status st = cls_model_plan(m, n, h, w, &p);
    if (st) return st;
    size_t words = (size_t)n * (size_t)hv_preprocess_packed_words(h, w);
    if ((st = hv_plan_set_input(p->plan, "frames", packed, HV_F32, words))) return st;
    if ((st = hv_plan_run(p->plan))) return hv_error_context(st, "%s: running the network", m->cfg->id);
    size_t rows = (size_t)n * (m->cfg->n_tta ? m->cfg->n_tta : 1);
    st = hv_plan_get_output(p->plan, "probs", probs, rows * (size_t)m->num_classes);
    if (!st) st = hv_plan_get_output(p->plan, "logits", logits, rows * (size_t)m->num_classes);
    return st;
}
