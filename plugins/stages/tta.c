/* tta — test-time augmentation for classification. Wraps another stage (params `stage: {component,
 * params}`), runs it on transformed copies of each frame and merges the class probability vectors.
 *
 * Transforms (of the RGB pixels; rot90/rot270 swap width and height):
 *   identity; hflip (mirror left-right); vflip (mirror top-bottom); rot90 (90° counter-clockwise, as
 *   numpy.rot90); rot180; rot270 (90° clockwise).
 * Merge rules, over the copies' probability vectors p_t (all must have the same length):
 *   mean  probs = (1/T) Σ_t p_t; label = argmax probs; score = probs[label]   (mmpretrain's
 *         AverageClsScoreTTA, which the paper's --tta uses with [identity, hflip])
 *   max   probs[c] = max_t p_t[c] (not renormalised); label = argmax probs; score = probs[label]
 *   vote  each copy votes for the label its stage chose; label = most votes; a tie between labels goes to
 *         the one with the higher mean probability, then to the lower class index; probs = the mean
 *         vector; score = probs[label]; metadata "<id>.votes" = "<votes for label>/<T>"
 * mean and max decide the label by the WRAPPED classifier's own rule (its `positive` and `threshold`,
 * recorded on each copy with hv_frame_set_class_rule and applied with hv_class_decide), so the threshold
 * is set in one place, the classifier's params, and routes frames the same with or without TTA; a
 * wrapped stage that records no rule gets the argmax. The merged frame carries that rule and the
 * metadata "<id>.<positive label>" = true/false, as the classifier sets it.
 * Every argmax breaks ties toward the lower class index (as torch.argmax). The label's name comes from
 * a copy that chose that label, else from this stage's `labels`, else from the wrapped stage's
 * `labels` param, else "class<k>". A copy that fails (or is dropped) fails (drops) the frame. */
#include "stages_plugin.h"

#include "hemovk/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char st_tta_schema[] =
    "type: object\n"
    "additionalProperties: false\n"
    "required: [stage]\n"
    "properties:\n"
    "  stage:\n"
    "    description: the classification stage to wrap (component and its params)\n"
    "    type: object\n"
    "    additionalProperties: false\n"
    "    required: [component]\n"
    "    properties:\n"
    "      component:\n"
    "        type: string\n"
    "        pattern: '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*$'\n"
    "      params:\n"
    "        type: object\n"
    "        default: {}\n"
    "  transforms:\n"
    "    description: the copies to classify (identity is the frame itself)\n"
    "    type: array\n"
    "    minItems: 1\n"
    "    uniqueItems: true\n"
    "    items:\n"
    "      enum: [identity, hflip, vflip, rot90, rot180, rot270]\n"
    "    default: [identity, hflip]\n"
    "  merge:\n"
    "    description: how the copies' probabilities are merged (see the tta documentation for tie rules)\n"
    "    enum: [mean, max, vote]\n"
    "    default: mean\n"
    "  labels:\n"
    "    description: class names by index, used when no copy chose the merged label\n"
    "    type: array\n"
    "    items:\n"
    "      type: string\n"
    "  threshold:\n"
    "    description: not a tta parameter (refused with a pointer to the right place) - set `threshold` on the wrapped classifier; tta decides by its rule\n"
    "  positive:\n"
    "    description: not a tta parameter (refused with a pointer to the right place) - set `positive` on the wrapped classifier; tta decides by its rule\n";

enum { T_IDENTITY, T_HFLIP, T_VFLIP, T_ROT90, T_ROT180, T_ROT270, T_COUNT };
static const char *const k_transform_names[T_COUNT] = {"identity", "hflip", "vflip", "rot90", "rot180", "rot270"};
enum { M_MEAN, M_MAX, M_VOTE };

typedef struct tta_stage {
    const hv_stage_vtable *vt;  /* the wrapped stage */
    void *inner;
    hv_config_node *inner_params; /* validated copy, owned */
    const char *id;
    int transforms[T_COUNT];
    size_t n_transforms;
    int merge;
    const hv_config_node *labels;       /* ours */
    const hv_config_node *inner_labels; /* the wrapped stage's `labels` param, if any */
    hv_frame **ptrs;
    size_t cap;
} tta_stage;

static void tta_destroy(void *instance) {
    tta_stage *s = instance;
    if (!s) return;
    if (s->vt && s->inner) s->vt->destroy(s->inner);
    hv_config_free(s->inner_params);
    free(s->ptrs);
    free(s);
}

static hv_status create_inner(tta_stage *s, const hv_create_info *info, const hv_config_node *spec) {
    const hv_config_node *cnode = hv_config_get(spec, "component");
    const char *component = hv_config_text(cnode);
    hv_component_ref ref;
    hv_status st = info->host->find_component(info->host, HV_COMPONENT_STAGE, component, &ref);
    if (st)
        return hv_error_context(st, "%s:%d:%d: tta '%s': stage.component", hv_config_file(cnode), hv_config_line(cnode),
                                hv_config_column(cnode), s->id);
    if (!strcmp(component, "tta"))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "%s:%d:%d: tta '%s' cannot wrap another tta: list all transforms in one",
                        hv_config_file(cnode), hv_config_line(cnode), hv_config_column(cnode), s->id);
    s->vt = ref.desc->vtable;
    if ((st = hv_config_clone(hv_config_get(spec, "params"), &s->inner_params))) return st;
    if (ref.desc->param_schema) {
        hv_config_node *schema = NULL;
        st = hv_schema_load_string(ref.desc->param_schema, strlen(ref.desc->param_schema), component, &schema);
        if (!st) st = hv_schema_validate(schema, s->inner_params, NULL);
        hv_config_free(schema);
        if (st) return hv_error_context(st, "tta '%s': params of the wrapped %s", s->id, component);
    }
    s->inner_labels = hv_config_get(s->inner_params, "labels");
    hv_create_info in = *info; /* same host and run context; the wrapped stage's plugin and params */
    in.plugin_state = ref.plugin_state;
    in.params = s->inner_params;
    if ((st = s->vt->create(&in, &s->inner))) {
        s->inner = NULL;
        return hv_error_context(st, "tta '%s': creating the wrapped %s", s->id, component);
    }
    return HV_OK;
}

static hv_status tta_create(const hv_create_info *info, void **instance) {
    tta_stage *s = calloc(1, sizeof *s);
    if (!s) return hv_error(HV_ERR_OUT_OF_MEMORY, "tta: out of memory");
    s->id = info->instance_id;
    const char *merge = NULL;
    hv_status st = hv_config_need_string(info->params, "merge", &merge);
    if (!st) s->merge = !strcmp(merge, "max") ? M_MAX : !strcmp(merge, "vote") ? M_VOTE : M_MEAN;
    s->labels = hv_config_get(info->params, "labels");
    /* Older pipelines set the decision on the tta itself, where it silently competed with the
     * classifier's: name the one place it now lives. */
    static const char *const moved[] = {"threshold", "positive"};
    for (size_t i = 0; !st && i < 2; i++) {
        const hv_config_node *n = hv_config_get(info->params, moved[i]);
        if (n)
            st = hv_error(HV_ERR_SCHEMA,
                          "%s:%d:%d: tta '%s': `%s` is the wrapped classifier's parameter - move it under "
                          "stage: {params: {%s: ...}}; tta applies the classifier's own positive/threshold rule to the "
                          "merged probabilities",
                          hv_config_file(n), hv_config_line(n), hv_config_column(n), s->id, moved[i], moved[i]);
    }
    const hv_config_node *tr = NULL; /* the schema fills [identity, hflip] and asks for at least one */
    if (!st) st = hv_config_need(info->params, "transforms", &tr);
    for (size_t i = 0; !st && i < hv_config_size(tr); i++) {
        const char *name = hv_config_text(hv_config_item(tr, i));
        for (int t = 0; t < T_COUNT; t++)
            if (name && !strcmp(name, k_transform_names[t])) s->transforms[s->n_transforms++] = t;
    }
    if (!st) st = create_inner(s, info, hv_config_get(info->params, "stage"));
    if (st) {
        tta_destroy(s);
        return st;
    }
    *instance = s;
    return HV_OK;
}

/* A transformed copy of f's pixels (malloc'ed); sets *w, *h. */
static uint8_t *transform(const hv_frame *f, int t, int32_t *ow, int32_t *oh) {
    int32_t W = f->width, H = f->height;
    int swap = t == T_ROT90 || t == T_ROT270;
    *ow = swap ? H : W;
    *oh = swap ? W : H;
    uint8_t *out = malloc((size_t)W * H * 3);
    if (!out) return NULL;
    for (int32_t y = 0; y < *oh; y++)
        for (int32_t x = 0; x < *ow; x++) {
            int32_t sx, sy; /* source pixel of output (x, y) */
            switch (t) {
            case T_HFLIP: sx = W - 1 - x, sy = y; break;
            case T_VFLIP: sx = x, sy = H - 1 - y; break;
            case T_ROT90: sx = W - 1 - y, sy = x; break;  /* numpy.rot90: out[i][j] = in[j][W-1-i] */
            case T_ROT180: sx = W - 1 - x, sy = H - 1 - y; break;
            case T_ROT270: sx = y, sy = H - 1 - x; break; /* out[i][j] = in[H-1-j][i] */
            default: sx = x, sy = y; break;
            }
            memcpy(out + ((size_t)y * *ow + x) * 3, f->rgb + ((size_t)sy * W + sx) * 3, 3);
        }
    return out;
}

static int argmax(const float *p, uint32_t n) {
    uint32_t best = 0;
    for (uint32_t i = 1; i < n; i++)
        if (p[i] > p[best]) best = i;
    return (int)best;
}

static void label_name(const tta_stage *s, hv_frame *const *copies, size_t n, int label, char *buf, size_t size) {
    for (size_t t = 0; t < n; t++)
        if (copies[t]->cls.label == label && copies[t]->cls.label_name[0]) {
            snprintf(buf, size, "%s", copies[t]->cls.label_name);
            return;
        }
    const hv_config_node *lists[2] = {s->labels, s->inner_labels};
    for (int k = 0; k < 2; k++) {
        const char *name = hv_config_text(hv_config_item(lists[k], (size_t)label));
        if (name) {
            snprintf(buf, size, "%s", name);
            return;
        }
    }
    snprintf(buf, size, "class%d", label);
}

/* Merge the copies of one frame into it (copies[t] is transform t's copy). */
static hv_status merge_into(const tta_stage *s, hv_frame *f, hv_frame *const *copies) {
    size_t T = s->n_transforms;
    for (size_t t = 0; t < T; t++) {
        const hv_frame *c = copies[t];
        const char *tn = k_transform_names[s->transforms[t]];
        if (c->error) return hv_frame_fail(f, s->id, "%s (on the %s copy)", c->error, tn);
        if (c->dropped) {
            hv_frame_drop(f, c->drop_stage[0] ? c->drop_stage : s->id, "%s (on the %s copy)", c->drop_reason, tn);
            return HV_OK;
        }
        if (!c->cls.valid || !c->cls.n_probs)
            return hv_frame_fail(f, s->id, "tta: the wrapped stage gave the %s copy no class probabilities", tn);
        if (c->cls.n_probs != copies[0]->cls.n_probs)
            return hv_frame_fail(f, s->id, "tta: the wrapped stage gave %u probabilities on the %s copy but %u on the %s copy",
                                 c->cls.n_probs, tn, copies[0]->cls.n_probs, k_transform_names[s->transforms[0]]);
    }
    uint32_t C = copies[0]->cls.n_probs;
    /* The wrapped classifier's decision rule: the same on every copy (one stage made them all). */
    hv_class_rule rule;
    int has_rule = hv_frame_class_rule(copies[0], &rule) && rule.positive >= 0 && (uint32_t)rule.positive < C;
    float *mean = calloc(C, sizeof *mean), *mx = calloc(C, sizeof *mx);
    unsigned *votes = calloc(C, sizeof *votes);
    if (!mean || !mx || !votes) {
        free(mean), free(mx), free(votes);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "tta: out of memory");
    }
    for (uint32_t c = 0; c < C; c++) mx[c] = copies[0]->cls.probs[c];
    for (size_t t = 0; t < T; t++) {
        const hv_classification *k = &copies[t]->cls;
        for (uint32_t c = 0; c < C; c++) {
            mean[c] += k->probs[c];
            if (k->probs[c] > mx[c]) mx[c] = k->probs[c];
        }
        if (k->label >= 0 && (uint32_t)k->label < C) votes[k->label]++;
    }
    for (uint32_t c = 0; c < C; c++) mean[c] /= (float)T;
    const float *probs = s->merge == M_MAX ? mx : mean;
    int label;
    if (s->merge == M_VOTE) {
        label = 0;
        for (uint32_t c = 1; c < C; c++)
            if (votes[c] > votes[label] || (votes[c] == votes[label] && mean[c] > mean[label])) label = (int)c;
    } else if (has_rule) {
        label = hv_class_decide(probs, (int32_t)C, rule.positive, rule.threshold);
    } else {
        label = argmax(probs, C);
    }
    char name[HV_FRAME_NAME_MAX];
    label_name(s, copies, T, label, name, sizeof name);
    hv_status st = hv_frame_set_class(f, label, probs[label], name, probs, C);
    if (!st && has_rule) {
        hv_frame_set_class_rule(f, rule.positive, rule.threshold);
        char pos_name[HV_FRAME_NAME_MAX], key[HV_FRAME_NAME_MAX * 2 + 2];
        label_name(s, copies, T, rule.positive, pos_name, sizeof pos_name);
        snprintf(key, sizeof key, "%s.%s", s->id, pos_name);
        st = hv_frame_set_meta(f, key, "%s", label == rule.positive ? "true" : "false");
    }
    if (!st && s->merge == M_VOTE) {
        char key[HV_FRAME_NAME_MAX + 8];
        snprintf(key, sizeof key, "%s.votes", s->id);
        st = hv_frame_set_meta(f, key, "%u/%zu", votes[label], T);
    }
    free(mean), free(mx), free(votes);
    return st;
}

static hv_status tta_process(void *instance, hv_frame *const *frames, size_t n) {
    tta_stage *s = instance;
    size_t T = s->n_transforms;
    if (n > s->cap) {
        hv_frame **p = realloc(s->ptrs, n * T * sizeof *p);
        if (!p) return hv_error(HV_ERR_OUT_OF_MEMORY, "tta '%s': out of memory for %zu copies", s->id, n * T);
        s->ptrs = p;
        s->cap = n;
    }
    /* copies[t * n + i] is frame i under transform t: one wrapped process() call per transform keeps
     * each call within the pipeline's batch size. */
    hv_status st = HV_OK;
    size_t made = 0;
    for (size_t t = 0; t < T && !st; t++)
        for (size_t i = 0; i < n && !st; i++) {
            /* Frames come from the host (hv_frame_new) so their size is always the host's. */
            hv_frame *c = NULL;
            st = hv_frame_new(frames[i]->id, frames[i]->path, &c);
            if (st) break;
            s->ptrs[made++] = c;
            int32_t w, h;
            uint8_t *px = frames[i]->rgb ? transform(frames[i], s->transforms[t], &w, &h) : NULL;
            if (!px && frames[i]->rgb) st = hv_error(HV_ERR_OUT_OF_MEMORY, "tta '%s': out of memory", s->id);
            else if (px) hv_frame_set_pixels(c, w, h, px);
        }
    for (size_t t = 0; t < T && !st; t++) st = s->vt->process(s->inner, s->ptrs + t * n, n);
    hv_frame *group[T_COUNT];
    for (size_t i = 0; i < n && !st; i++) {
        for (size_t t = 0; t < T; t++) group[t] = s->ptrs[t * n + i];
        st = merge_into(s, frames[i], group);
    }
    for (size_t k = 0; k < made; k++) hv_frame_free(s->ptrs[k]);
    return st;
}

static hv_status tta_flush(void *instance) {
    tta_stage *s = instance;
    return s->vt->flush ? s->vt->flush(s->inner) : HV_OK;
}

const hv_stage_vtable st_tta_vtable = {
    .struct_size = sizeof(hv_stage_vtable),
    .create = tta_create,
    .process = tta_process,
    .flush = tta_flush,
    .destroy = tta_destroy,
};
