/* classifier — the STAGE: frames → (resize policy) → packed uint8 → one device run per batch of equal
 * shape → softmax probabilities → the positive-class/threshold decision in frame->cls
 * (hv_frame_set_class with the label's name, so `when: <stage id>.<label>` routes on it) plus the
 * metadata "<id>.<positive>" = true/false. Frames of mixed sizes are grouped by size and each size gets
 * its own cached plan. With `tta`, each frame's copies are made on the device and run in the same batch,
 * their probabilities merged before the decision. Random-weight runs mark every frame with "<id>.weights" = "random(seed=N)". */
#include "classify_plugin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cls_stage {
    cls_config cfg;
    cls_model model;
    /* per-process scratch, grown as needed */
    uint8_t **pix;        /* per frame: the pixels the network sees (the frame's own or a resized copy) */
    int32_t *ph, *pw;
    size_t *order;
    size_t cap;
    uint32_t *packed;
    size_t packed_cap;
    float *probs, *logits, *merged;
    size_t probs_cap, logits_cap, merged_cap;
} cls_stage;

static void cls_destroy(void *instance) {
    cls_stage *s = instance;
    if (!s) return;
    cls_model_free(&s->model);
    free(s->pix);
    free(s->ph);
    free(s->pw);
    free(s->order);
    free(s->packed);
    free(s->probs);
    free(s->logits);
    free(s->merged);
    free(s);
}

static hv_status cls_create(const hv_create_info *info, void **instance) {
    *instance = NULL;
    cls_stage *s = calloc(1, sizeof *s);
    if (!s) return hv_error(HV_ERR_OUT_OF_MEMORY, "classifier: out of memory");
    hv_status st = cls_config_read(info, &s->cfg);
    if (!st) st = cls_model_init(&s->model, info, &s->cfg);
    if (st) {
        cls_destroy(s);
        return st;
    }
    *instance = s;
    return HV_OK;
}

static hv_status grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return HV_OK;
    void *q = realloc(*p, need * elem);
    if (!q) return hv_error(HV_ERR_OUT_OF_MEMORY, "classifier: out of memory (%zu bytes)", need * elem);
    *p = q;
    *cap = need;
    return HV_OK;
}

/* Stable order by (h, w) then index: insertion sort, batches are small. */
static void sort_by_shape(size_t *idx, size_t n, const int32_t *h, const int32_t *w) {
    for (size_t i = 1; i < n; i++) {
        size_t v = idx[i], j = i;
        while (j > 0 && (h[idx[j - 1]] > h[v] || (h[idx[j - 1]] == h[v] && w[idx[j - 1]] > w[v]))) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
}

/* No silent wrong answers: a frame whose network output is not a number, or sits at the f16 limit (a
 * saturated store: softmax of two saturated logits reads 0.5 / 0.5 on every frame), is failed and
 * listed in the summary instead of classified. */
static int bad_numbers(cls_stage *s, hv_frame *f, const float *p, const float *logit) {
    const cls_config *c = &s->cfg;
    int32_t k = (int32_t)c->n_labels;
    for (int32_t i = 0; i < k; i++)
        if (!isfinite(p[i]) || !isfinite(logit[i])) {
            hv_frame_fail(f, c->id, "%s: the network gave a non-finite %s for class %d (%s)", c->id,
                          isfinite(p[i]) ? "logit" : "probability", i, c->labels[i]);
            return 1;
        }
    for (int32_t i = 0; c->dtype == HV_F16 && i < k; i++)
        if (fabsf(logit[i]) >= 65504.0f) {
            hv_frame_fail(f, c->id,
                          "%s: the network's output saturated the f16 range (logit %g for class %d, %s): the "
                          "probabilities are meaningless; run this stage with precision: f32",
                          c->id, (double)logit[i], i, c->labels[i]);
            return 1;
        }
    return 0;
}

static void decide_frame(cls_stage *s, hv_frame *f, const float *p) {
    const cls_config *c = &s->cfg;
    int32_t k = (int32_t)c->n_labels;
    int32_t label = hv_class_decide(p, k, c->positive, c->threshold);
    hv_frame_set_class(f, label, p[label], c->labels[label], p, (uint32_t)k);
    hv_frame_set_class_rule(f, c->positive, c->threshold); /* a TTA stage around this one decides by it too */
    char key[HV_FRAME_NAME_MAX * 2 + 2];
    snprintf(key, sizeof key, "%s.%s", c->id, c->labels[c->positive]);
    hv_frame_set_meta(f, key, "%s", label == c->positive ? "true" : "false");
    if (c->random) {
        snprintf(key, sizeof key, "%s.weights", c->id);
        hv_frame_set_meta(f, key, "random(seed=%llu)", (unsigned long long)c->seed);
    }
}

/* A batch of different frames that all get the very same, not one-hot, probabilities: the network's
 * output does not depend on its input (a constant or saturated network). One-hot vectors are left alone:
 * a confident f32 softmax legitimately rounds to exactly 1 and 0 on clear frames. */
static int constant_output(const float *probs, size_t nb, uint32_t k, const uint32_t *packed, size_t words) {
    if (nb < 2) return 0;
    float mx = 0;
    for (uint32_t i = 0; i < k; i++) mx = probs[i] > mx ? probs[i] : mx;
    if (mx >= 1.0f) return 0;
    int inputs_differ = 0;
    for (size_t j = 1; j < nb; j++) {
        if (memcmp(probs, probs + j * k, k * sizeof *probs) != 0) return 0;
        inputs_differ |= memcmp(packed, packed + j * words, words * sizeof *packed) != 0;
    }
    return inputs_differ;
}

/* `tta`: the T copies of frame j (rows t·nb + j) merged into one probability vector — the mean per class
 * (mmpretrain's AverageClsScoreTTA) or the maximum. Without tta the row is the frame's own. */
static void merge_copies(const cls_config *c, const float *probs, size_t nb, size_t j, float *out) {
    uint32_t k = c->n_labels, T = c->n_tta ? c->n_tta : 1;
    for (uint32_t i = 0; i < k; i++) {
        float acc = probs[j * k + i];
        for (uint32_t t = 1; t < T; t++) {
            float v = probs[(t * nb + j) * k + i];
            acc = c->tta_max ? (v > acc ? v : acc) : acc + v;
        }
        out[i] = c->tta_max ? acc : acc / (float)T;
    }
}

static hv_status cls_process(void *instance, hv_frame *const *frames, size_t n) {
    cls_stage *s = instance;
    const cls_config *c = &s->cfg;
    size_t cap = s->cap;
    hv_status st = grow((void **)&s->order, &cap, n, sizeof *s->order);
    if (!st) cap = s->cap, st = grow((void **)&s->ph, &cap, n, sizeof *s->ph);
    if (!st) cap = s->cap, st = grow((void **)&s->pw, &cap, n, sizeof *s->pw);
    if (!st) cap = s->cap, st = grow((void **)&s->pix, &cap, n, sizeof *s->pix);
    if (st) return st;
    if (n > s->cap) s->cap = n;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        hv_frame *f = frames[i];
        s->pix[i] = NULL;
        if (f->dropped) continue;
        if (!f->rgb || f->width < 1 || f->height < 1) {
            hv_frame_fail(f, c->id, "%s: frame %llu has no decoded pixels", c->id, (unsigned long long)f->id);
            continue;
        }
        if (cls_target_size(c, f->width, f->height, &s->pw[i], &s->ph[i])) {
            hv_frame_fail(f, c->id, "%s: %s", c->id, hv_last_error());
            continue;
        }
        if (s->pw[i] == f->width && s->ph[i] == f->height) {
            s->pix[i] = f->rgb;
        } else {
            uint8_t *r = malloc((size_t)s->pw[i] * (size_t)s->ph[i] * 3);
            if (!r) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory resizing frame %llu", c->id,
                                    (unsigned long long)f->id);
            if (hv_preprocess_resize_u8(f->rgb, f->width, f->height, 3, r, s->pw[i], s->ph[i])) {
                free(r);
                hv_frame_fail(f, c->id, "%s: resize: %s", c->id, hv_last_error());
                continue;
            }
            s->pix[i] = r;
        }
        s->order[m++] = i;
    }
    sort_by_shape(s->order, m, s->ph, s->pw);
    for (size_t a = 0; !st && a < m;) {
        size_t i0 = s->order[a];
        int32_t h = s->ph[i0], w = s->pw[i0];
        size_t b = a;
        while (b < m && b - a < (size_t)c->batch && s->ph[s->order[b]] == h && s->pw[s->order[b]] == w) b++;
        int32_t nb = (int32_t)(b - a);
        char msg[384];
        if (cls_tta_turn_blocks(c, w, h, "frame", msg, sizeof msg)) { /* a turned copy has another shape */
            for (size_t j = a; j < b; j++) hv_frame_fail(frames[s->order[j]], c->id, "%s", msg);
            a = b;
            continue;
        }
        size_t words = (size_t)hv_preprocess_packed_words(h, w), T = c->n_tta ? c->n_tta : 1;
        size_t rows = T * (size_t)nb; /* network rows: every TTA copy of every frame, one run */
        st = grow((void **)&s->packed, &s->packed_cap, words * (size_t)nb, sizeof *s->packed);
        if (!st) st = grow((void **)&s->probs, &s->probs_cap, rows * c->n_labels, sizeof *s->probs);
        if (!st) st = grow((void **)&s->logits, &s->logits_cap, rows * c->n_labels, sizeof *s->logits);
        if (!st) st = grow((void **)&s->merged, &s->merged_cap, (size_t)nb * c->n_labels, sizeof *s->merged);
        for (size_t j = a; !st && j < b; j++)
            hv_preprocess_pack(s->pix[s->order[j]], 1, h, w, s->packed + (j - a) * words);
        if (!st) st = cls_model_run(&s->model, nb, h, w, s->packed, s->probs, s->logits);
        for (size_t j = 0; !st && j < (size_t)nb; j++) merge_copies(c, s->probs, (size_t)nb, j, s->merged + j * c->n_labels);
        int constant = !st && constant_output(s->merged, (size_t)nb, c->n_labels, s->packed, words);
        for (size_t j = a; !st && j < b; j++) {
            int bad = 0;
            for (size_t t = 0; t < T && !bad; t++) { /* every copy's numbers: one NaN poisons the merge */
                size_t row = t * (size_t)nb + (j - a);
                bad = bad_numbers(s, frames[s->order[j]], s->probs + row * c->n_labels, s->logits + row * c->n_labels);
            }
            if (bad) continue;
            const float *pj = s->merged + (j - a) * c->n_labels;
            if (constant) {
                hv_frame_fail(frames[s->order[j]], c->id,
                              "%s: %d different frames gave the very same probabilities (%g for %s): the network's "
                              "output does not depend on its input (broken or saturated weights?)",
                              c->id, nb, (double)s->merged[c->positive], c->labels[c->positive]);
                continue;
            }
            decide_frame(s, frames[s->order[j]], pj);
        }
        a = b;
    }
    for (size_t i = 0; i < n; i++)
        if (s->pix[i] && s->pix[i] != frames[i]->rgb) free(s->pix[i]);
    return st;
}

const hv_stage_vtable cls_stage_vtable = {
    .struct_size = sizeof(hv_stage_vtable),
    .create = cls_create,
    .process = cls_process,
    .flush = NULL,
    .destroy = cls_destroy,
};
