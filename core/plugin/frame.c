/* Frame helpers: the only code that allocates or frees what an hv_frame points to (see hemovk/frame.h). */
#include "hemovk/frame.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_string(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static void copy_name(char *dst, size_t size, const char *src) {
    snprintf(dst, size, "%s", src ? src : "");
}

hv_status hv_frame_init(hv_frame *frame, uint64_t id, const char *path) {
    if (!frame) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_frame_init: frame is NULL");
    memset(frame, 0, sizeof *frame);
    frame->struct_size = sizeof *frame;
    frame->id = id;
    if (path && !(frame->path = dup_string(path)))
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory copying frame path '%s'", path);
    return HV_OK;
}

hv_status hv_frame_new(uint64_t id, const char *path, hv_frame **out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_frame_new: out is NULL");
    *out = malloc(sizeof **out);
    if (!*out) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory for a frame");
    hv_status st = hv_frame_init(*out, id, path);
    if (st) {
        free(*out);
        *out = NULL;
    }
    return st;
}

void hv_frame_free(hv_frame *frame) {
    if (!frame) return;
    hv_frame_clear(frame);
    free(frame);
}

static void free_mask(hv_mask *m) {
    free(m->bitmap);
    free(m->rle);
    memset(m, 0, sizeof *m);
}

void hv_frame_clear_detections(hv_frame *frame) {
    if (!frame) return;
    for (size_t i = 0; i < frame->n_detections; i++) free_mask(&frame->detections[i].mask);
    frame->n_detections = 0;
}

void hv_frame_clear(hv_frame *frame) {
    if (!frame) return;
    uint32_t size = frame->struct_size;
    hv_frame_clear_detections(frame);
    free(frame->detections);
    for (size_t i = 0; i < frame->n_meta; i++) {
        free(frame->meta[i].key);
        free(frame->meta[i].value);
    }
    free(frame->meta);
    free(frame->path);
    free(frame->rgb);
    free(frame->cls.probs);
    free(frame->heatmap.data);
    free(frame->error);
    if (size >= offsetof(hv_frame, n_features) + sizeof frame->n_features) {
        for (size_t i = 0; i < frame->n_features; i++) free(frame->features[i].data);
        free(frame->features);
    }
    memset(frame, 0, sizeof *frame);
    frame->struct_size = size;
}

int32_t hv_class_decide(const float *p, int32_t k, int32_t positive, float threshold) {
    if (!p || k < 1 || positive < 0 || positive >= k) return -1;
    if (p[positive] >= threshold) return positive;
    int32_t best = -1;
    for (int32_t i = 0; i < k; i++) {
        if (i == positive) continue;
        if (best < 0 || p[i] > p[best]) best = i;
    }
    return best < 0 ? positive : best;
}

/* The rule sits after the v1.0 fields: only frames whose struct covers it carry one. */
static int has_rule_field(const hv_frame *frame) {
    return frame && frame->struct_size >= offsetof(hv_frame, cls_rule) + sizeof frame->cls_rule;
}

void hv_frame_set_class_rule(hv_frame *frame, int32_t positive, float threshold) {
    if (!has_rule_field(frame)) return;
    frame->cls_rule.set = 1;
    frame->cls_rule.positive = positive;
    frame->cls_rule.threshold = threshold;
}

int hv_frame_class_rule(const hv_frame *frame, hv_class_rule *out) {
    if (!has_rule_field(frame) || !frame->cls_rule.set) return 0;
    if (out) *out = frame->cls_rule;
    return 1;
}

void hv_frame_set_pixels(hv_frame *frame, int32_t width, int32_t height, uint8_t *rgb) {
    free(frame->rgb);
    frame->rgb = rgb;
    frame->width = width;
    frame->height = height;
}

void hv_frame_set_heatmap(hv_frame *frame, uint32_t width, uint32_t height, float *data) {
    free(frame->heatmap.data);
    frame->heatmap.data = data;
    frame->heatmap.width = data ? width : 0;
    frame->heatmap.height = data ? height : 0;
}

hv_status hv_frame_set_class(hv_frame *frame, int32_t label, float score, const char *label_name,
                             const float *probs, uint32_t n_probs) {
    float *copy = NULL;
    if (n_probs) {
        if (!probs) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_frame_set_class: %u probabilities but probs is NULL", n_probs);
        if (!(copy = malloc(n_probs * sizeof *copy)))
            return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory storing %u class probabilities", n_probs);
        memcpy(copy, probs, n_probs * sizeof *copy);
    }
    free(frame->cls.probs);
    frame->cls.valid = 1;
    frame->cls.label = label;
    frame->cls.score = score;
    copy_name(frame->cls.label_name, sizeof frame->cls.label_name, label_name);
    frame->cls.probs = copy;
    frame->cls.n_probs = n_probs;
    return HV_OK;
}

hv_status hv_frame_add_detection(hv_frame *frame, hv_detection *det, hv_detection **out) {
    if (frame->n_detections == frame->cap_detections) {
        size_t cap = frame->cap_detections ? frame->cap_detections * 2 : 8;
        hv_detection *d = realloc(frame->detections, cap * sizeof *d);
        if (!d) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory adding detection %zu", frame->n_detections);
        frame->detections = d;
        frame->cap_detections = cap;
    }
    hv_detection *slot = &frame->detections[frame->n_detections++];
    *slot = *det;
    slot->model[sizeof slot->model - 1] = '\0';
    memset(&det->mask, 0, sizeof det->mask); /* moved */
    if (out) *out = slot;
    return HV_OK;
}

hv_status hv_frame_set_meta(hv_frame *frame, const char *key, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *value;
    if (n >= (int)sizeof buf) { /* long value: format again into a buffer of the right size */
        if (!(value = malloc((size_t)n + 1))) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory for metadata '%s'", key);
        va_start(ap, fmt);
        vsnprintf(value, (size_t)n + 1, fmt, ap);
        va_end(ap);
    } else if (!(value = dup_string(n < 0 ? "" : buf))) {
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory for metadata '%s'", key);
    }
    for (size_t i = 0; i < frame->n_meta; i++) {
        if (!strcmp(frame->meta[i].key, key)) {
            free(frame->meta[i].value);
            frame->meta[i].value = value;
            return HV_OK;
        }
    }
    if (frame->n_meta == frame->cap_meta) {
        size_t cap = frame->cap_meta ? frame->cap_meta * 2 : 8;
        hv_meta_entry *m = realloc(frame->meta, cap * sizeof *m);
        if (!m) {
            free(value);
            return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory for metadata '%s'", key);
        }
        frame->meta = m;
        frame->cap_meta = cap;
    }
    char *k = dup_string(key);
    if (!k) {
        free(value);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory for metadata '%s'", key);
    }
    frame->meta[frame->n_meta].key = k;
    frame->meta[frame->n_meta].value = value;
    frame->n_meta++;
    return HV_OK;
}

/* Frames of a host older than the feature-map fields have no room for them. */
static int has_features(const hv_frame *frame) {
    return frame->struct_size >= offsetof(hv_frame, n_features) + sizeof frame->n_features;
}

hv_status hv_frame_set_feature(hv_frame *frame, const char *name, uint32_t c, uint32_t h, uint32_t w, float *data) {
    if (!frame || !name || !data || !c || !h || !w) {
        free(data);
        return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_frame_set_feature('%s'): need a frame, a name, data and a non-empty "
                        "%ux%ux%u shape", name ? name : "(null)", c, h, w);
    }
    if (!has_features(frame)) {
        free(data);
        return hv_error(HV_ERR_ABI, "hv_frame_set_feature('%s'): the frame was made by a host without feature maps", name);
    }
    for (size_t i = 0; i < frame->n_features; i++) {
        hv_feature_map *m = &frame->features[i];
        if (!strncmp(m->name, name, sizeof m->name - 1)) {
            free(m->data);
            m->channels = c, m->height = h, m->width = w, m->data = data;
            return HV_OK;
        }
    }
    hv_feature_map *grown = realloc(frame->features, (frame->n_features + 1) * sizeof *grown);
    if (!grown) {
        free(data);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory storing feature map '%s'", name);
    }
    frame->features = grown;
    hv_feature_map *m = &grown[frame->n_features++];
    copy_name(m->name, sizeof m->name, name);
    m->channels = c, m->height = h, m->width = w, m->data = data;
    return HV_OK;
}

const hv_feature_map *hv_frame_get_feature(const hv_frame *frame, const char *name) {
    if (!frame || !name || !has_features(frame)) return NULL;
    for (size_t i = 0; i < frame->n_features; i++)
        if (!strncmp(frame->features[i].name, name, sizeof frame->features[i].name - 1)) return &frame->features[i];
    return NULL;
}

const char *hv_frame_get_meta(const hv_frame *frame, const char *key) {
    for (size_t i = 0; i < frame->n_meta; i++)
        if (!strcmp(frame->meta[i].key, key)) return frame->meta[i].value;
    return NULL;
}

static void vdrop(hv_frame *frame, const char *stage, const char *fmt, va_list ap) {
    if (frame->dropped) return;
    frame->dropped = 1;
    vsnprintf(frame->drop_reason, sizeof frame->drop_reason, fmt, ap);
    copy_name(frame->drop_stage, sizeof frame->drop_stage, stage);
}

void hv_frame_drop(hv_frame *frame, const char *stage, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vdrop(frame, stage, fmt, ap);
    va_end(ap);
}

hv_status hv_frame_fail(hv_frame *frame, const char *stage, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!frame->error) frame->error = dup_string(buf); /* NULL on OOM: still dropped below */
    hv_frame_drop(frame, stage, "error: %s", buf);
    return HV_OK;
}
