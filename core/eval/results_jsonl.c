/* hv_eval_results_read_jsonl: hemovk's results.jsonl (plugins/stages/writer_jsonl.c) against a ground
 * truth; the rules are in hemovk/eval.h. One pass: every frame's detections are kept with their model
 * tag, then the tag that counts is chosen (it can only be known once the whole file is read) and the
 * rest dropped. */
#include "results_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct det_extra {
    int32_t tag, label;
} det_extra;

/* A frame's classification as the file gives it, before the reordering into the GT's classes. */
typedef struct raw_cls {
    int32_t index; /* -1: not classified */
    uint32_t n;    /* number of probs */
    double score;
} raw_cls;

typedef struct reader {
    const char *path;
    const hv_eval_gt *gt;
    const hv_eval_results_options *opt;
    hv_eval_name_index *names;
    hv_eval_results *out;
    size_t det_cap, cls_cap;
    det_extra *extra;             /* parallel to out->dets while reading */
    size_t extra_cap;
    char **tags;                  /* distinct model tags ("" for none) */
    size_t n_tags;
    size_t *frame_line;           /* per GT image: the line that gave its result, 0 = none yet */
    ev_labels labels;
    int any_probs;
    raw_cls *raw;                 /* parallel to out->cls: reordered at the end */
    size_t raw_cap;
    ev_namelist not_in_gt;
} reader;

static int32_t tag_id(reader *r, const char *tag) {
    for (size_t i = 0; i < r->n_tags; i++)
        if (!strcmp(r->tags[i], tag)) return (int32_t)i;
    char **t = realloc(r->tags, (r->n_tags + 1) * sizeof *t);
    if (!t) return -1;
    r->tags = t;
    if (!(t[r->n_tags] = strdup(tag))) return -1;
    return (int32_t)r->n_tags++;
}

static hv_status read_det(reader *r, const cJSON *d, size_t lineno, const hv_eval_image *im, size_t k) {
    char where[4200];
    snprintf(where, sizeof where, "%s:%zu: frame '%s': detections[%zu]", r->path, lineno, im->file_name, k);
    const cJSON *box = cJSON_GetObjectItemCaseSensitive(d, "box");
    const cJSON *score = cJSON_GetObjectItemCaseSensitive(d, "score");
    const cJSON *label = cJSON_GetObjectItemCaseSensitive(d, "label");
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(d, "model");
    const cJSON *mask = cJSON_GetObjectItemCaseSensitive(d, "mask");
    double b[4];
    if (!cJSON_IsArray(box) || cJSON_GetArraySize(box) != 4)
        return hv_error(HV_ERR_SCHEMA, "%s: \"box\" must be [x1, y1, x2, y2]", where);
    for (int i = 0; i < 4; i++) {
        const cJSON *v = cJSON_GetArrayItem(box, i);
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
            return hv_error(HV_ERR_SCHEMA, "%s: \"box\" must hold 4 numbers", where);
        b[i] = v->valuedouble;
    }
    if (!cJSON_IsNumber(score) || !isfinite(score->valuedouble))
        return hv_error(HV_ERR_SCHEMA, "%s: \"score\" must be a number", where);
    if (!cJSON_IsNumber(label) || label->valuedouble < 0 || label->valuedouble > 1e6 ||
        label->valuedouble != floor(label->valuedouble))
        return hv_error(HV_ERR_SCHEMA, "%s: \"label\" must be a class index", where);
    if (model && !cJSON_IsNull(model) && !cJSON_IsString(model))
        return hv_error(HV_ERR_SCHEMA, "%s: \"model\" must be a string", where);
    hv_eval_results *o = r->out;
    if (ev_grow((void **)&o->dets, &r->det_cap, o->n_dets + 1, sizeof *o->dets) ||
        ev_grow((void **)&r->extra, &r->extra_cap, o->n_dets + 1, sizeof *r->extra))
        return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", where);
    hv_eval_det *e = &o->dets[o->n_dets];
    memset(e, 0, sizeof *e);
    if (mask && !cJSON_IsNull(mask)) {
        hv_status st = ev_parse_rle(mask, (uint32_t)im->height, (uint32_t)im->width, where, &e->segm);
        if (st) return st;
    }
    int32_t t = tag_id(r, cJSON_IsString(model) ? model->valuestring : "");
    if (t < 0) {
        hv_rle_free(&e->segm);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", where);
    }
    e->image_id = im->id;
    e->bbox[0] = b[0];
    e->bbox[1] = b[1];
    e->bbox[2] = b[2] - b[0];
    e->bbox[3] = b[3] - b[1];
    e->score = score->valuedouble;
    r->extra[o->n_dets] = (det_extra){t, (int32_t)label->valuedouble};
    o->n_dets++;
    return HV_OK;
}

static hv_status read_cls(reader *r, const cJSON *c, size_t lineno, const hv_eval_image *im, hv_eval_cls *e,
                          size_t slot) {
    r->raw[slot] = (raw_cls){-1, 0, 0};
    if (!c || cJSON_IsNull(c)) return HV_OK;
    char where[4200];
    snprintf(where, sizeof where, "%s:%zu: frame '%s': classification", r->path, lineno, im->file_name);
    const cJSON *label = cJSON_GetObjectItemCaseSensitive(c, "label");
    const cJSON *index = cJSON_GetObjectItemCaseSensitive(c, "index");
    const cJSON *score = cJSON_GetObjectItemCaseSensitive(c, "score");
    const cJSON *probs = cJSON_GetObjectItemCaseSensitive(c, "probs");
    if (!cJSON_IsObject(c) || !cJSON_IsString(label) || !cJSON_IsNumber(index) || index->valuedouble < 0 ||
        index->valuedouble > 1e6 || index->valuedouble != floor(index->valuedouble) || !cJSON_IsNumber(score))
        return hv_error(HV_ERR_SCHEMA, "%s: needs \"label\" (a name), \"index\" and \"score\"", where);
    size_t n = probs && !cJSON_IsNull(probs) ? (size_t)cJSON_GetArraySize(probs) : 0;
    if (probs && !cJSON_IsNull(probs) && (!cJSON_IsArray(probs) || !n || index->valuedouble >= (double)n))
        return hv_error(HV_ERR_SCHEMA, "%s: \"probs\" must be an array with an entry for \"index\"", where);
    if (n) {
        if (!(e->probs = malloc(n * sizeof *e->probs))) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", where);
        for (size_t i = 0; i < n; i++) {
            const cJSON *p = cJSON_GetArrayItem(probs, (int)i);
            if (!cJSON_IsNumber(p) || !isfinite(p->valuedouble))
                return hv_error(HV_ERR_SCHEMA, "%s: \"probs\" must hold numbers", where);
            e->probs[i] = p->valuedouble;
        }
        r->any_probs = 1;
    }
    r->raw[slot] = (raw_cls){(int32_t)index->valuedouble, (uint32_t)n, score->valuedouble};
    return ev_labels_note(&r->labels, r->path, lineno, (int32_t)index->valuedouble, label->valuestring, n);
}

static hv_status read_frame(reader *r, const cJSON *o, size_t lineno) {
    /* "path" as the source listed it holds the most folders to match on; "key" (relative to the input
     * root) is the fallback for records without one */
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(o, "path");
    if (!cJSON_IsString(path)) path = cJSON_GetObjectItemCaseSensitive(o, "key");
    if (!cJSON_IsObject(o) || !cJSON_IsString(path))
        return hv_error(HV_ERR_SCHEMA, "%s:%zu: a results.jsonl line is an object with the frame's \"path\" or \"key\"",
                        r->path, lineno);
    ptrdiff_t i = hv_eval_name_index_find(r->names, path->valuestring);
    if (i < 0) return ev_namelist_add(&r->not_in_gt, path->valuestring);
    const hv_eval_image *im = &r->gt->images[i];
    if (r->frame_line[i])
        return hv_error(HV_ERR_SCHEMA, "%s:%zu: frame '%s' (ground truth '%s') already has a result on line %zu", r->path,
                        lineno, path->valuestring, im->file_name, r->frame_line[i]);
    r->frame_line[i] = lineno;
    hv_eval_results *out = r->out;
    size_t slot = out->n_cls;
    if (ev_grow((void **)&out->cls, &r->cls_cap, slot + 1, sizeof *out->cls) ||
        ev_grow((void **)&r->raw, &r->raw_cap, slot + 1, sizeof *r->raw))
        return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", r->path);
    hv_eval_cls *e = &out->cls[slot];
    memset(e, 0, sizeof *e);
    e->image_id = im->id;
    e->predicted = -1;
    out->n_cls++;
    hv_status st = read_cls(r, cJSON_GetObjectItemCaseSensitive(o, "classification"), lineno, im, e, slot);
    if (st) return st;
    const cJSON *dets = cJSON_GetObjectItemCaseSensitive(o, "detections");
    if (dets && !cJSON_IsNull(dets) && !cJSON_IsArray(dets))
        return hv_error(HV_ERR_SCHEMA, "%s:%zu: \"detections\" must be an array", r->path, lineno);
    size_t k = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, dets) {
        if ((st = read_det(r, d, lineno, im, k++))) return st;
    }
    return HV_OK;
}

/* The model tag whose detections count (see hemovk/eval.h). */
static hv_status choose_tag(reader *r, int32_t *tag) {
    *tag = -1;
    const char *want = r->opt && r->opt->model && *r->opt->model ? r->opt->model : NULL;
    for (size_t i = 0; i < r->n_tags; i++)
        if (want ? !strcmp(r->tags[i], want) : !strcmp(r->tags[i], "ensemble")) *tag = (int32_t)i;
    if (*tag >= 0 || !r->n_tags) return HV_OK;
    char *list = ev_list_names((const char *const *)r->tags, r->n_tags, 8);
    hv_status st = HV_OK;
    if (want)
        st = hv_error(HV_ERR_NOT_FOUND, "%s: no detection has model '%s' (the models are %s)", r->path, want,
                      list ? list : "?");
    else if (r->n_tags == 1)
        *tag = 0;
    else
        st = hv_error(HV_ERR_SCHEMA,
                      "%s: detections of several models (%s) and no 'ensemble': pick the one to score with --model NAME",
                      r->path, list ? list : "?");
    free(list);
    return st;
}

static hv_status finish_dets(reader *r) {
    int32_t tag;
    hv_status st = choose_tag(r, &tag);
    if (st) return st;
    hv_eval_results *o = r->out;
    size_t k = 0;
    for (size_t i = 0; i < o->n_dets; i++) {
        if (r->extra[i].tag != tag) {
            hv_rle_free(&o->dets[i].segm);
            continue;
        }
        int32_t l = r->extra[i].label;
        if ((size_t)l >= r->gt->n_categories) {
            for (size_t j = i; j < o->n_dets; j++) hv_rle_free(&o->dets[j].segm);
            o->n_dets = k;
            return hv_error(HV_ERR_SCHEMA,
                            "%s: unknown category: detection label %d, but the ground truth has %zu categor%s (label i is "
                            "category_ids[i])", r->path, (int)l, r->gt->n_categories,
                            r->gt->n_categories == 1 ? "y" : "ies");
        }
        o->dets[i].category_id = r->gt->category_ids[l];
        o->dets[k++] = o->dets[i];
    }
    o->n_dets = k;
    return HV_OK;
}

static hv_status finish_cls(reader *r) {
    int32_t *map = NULL;
    hv_status st = ev_labels_resolve(&r->labels, r->opt ? r->opt->labels : NULL, r->gt, r->path, r->any_probs, &map);
    if (st) return st;
    const size_t nc = r->gt->n_classes;
    for (size_t s = 0; !st && s < r->out->n_cls; s++) {
        hv_eval_cls *e = &r->out->cls[s];
        const raw_cls *raw = &r->raw[s];
        if (raw->index < 0) continue;
        e->predicted = map[raw->index];
        double *p = calloc(nc ? nc : 1, sizeof *p);
        if (!p) {
            st = hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", r->path);
            break;
        }
        if (raw->n) {
            if (raw->n != r->labels.n) {
                free(p);
                st = hv_error(HV_ERR_SCHEMA, "%s: frames carry %u and %zu class probabilities", r->path, raw->n,
                              r->labels.n);
                break;
            }
            for (size_t i = 0; i < raw->n; i++)
                if (map[i] >= 0) p[map[i]] = e->probs[i];
        } else if (nc == 2) {
            /* writer.jsonl with probs: false: two softmax probabilities sum to 1 */
            p[e->predicted] = raw->score;
            p[1 - e->predicted] = 1 - raw->score;
        } else {
            free(p);
            p = NULL;
        }
        free(e->probs);
        e->probs = p;
    }
    free(map);
    return st;
}

hv_status hv_eval_results_read_jsonl(const char *path, const hv_eval_gt *gt, const hv_eval_results_options *options,
                                     hv_eval_results *out) {
    if (!path || !gt || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_eval_results_read_jsonl: NULL argument");
    memset(out, 0, sizeof *out);
    reader r = {.path = path, .gt = gt, .opt = options, .out = out};
    char *text = NULL;
    hv_status st = ev_read_text(path, "results", &text, NULL);
    if (!st && !(out->source = ev_strdup(path))) st = HV_ERR_OUT_OF_MEMORY;
    if (!st) st = hv_eval_name_index_create(gt, options ? options->root : NULL, &r.names);
    if (!st && !(r.frame_line = calloc(gt->n_images ? gt->n_images : 1, sizeof *r.frame_line)))
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    size_t lineno = 0;
    for (char *line = text; !st && line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        lineno++;
        const char *s = line;
        while (*s == ' ' || *s == '\t' || *s == '\r') s++;
        if (*s) {
            cJSON *o = NULL;
            st = ev_json_parse(line, path, lineno, &o);
            if (!st) st = read_frame(&r, o, lineno);
            cJSON_Delete(o);
        }
        line = nl ? nl + 1 : NULL;
    }
    if (!st && r.not_in_gt.n) {
        char *list = ev_namelist_text(&r.not_in_gt);
        st = hv_error(HV_ERR_NOT_FOUND,
                      "%s: %zu result frame%s not in the ground truth %s: %s (frames match a file_name by their longest "
                      "path suffix; --root DIR strips a prefix instead)", path, r.not_in_gt.n, r.not_in_gt.n > 1 ? "s are" : " is",
                      gt->source ? gt->source : "", list ? list : "?");
        free(list);
    }
    if (!st && !out->n_cls) st = hv_error(HV_ERR_SCHEMA, "%s: no frames", path);
    if (!st) st = finish_dets(&r);
    if (!st) st = finish_cls(&r);
    free(text);
    hv_eval_name_index_free(r.names);
    free(r.frame_line);
    free(r.extra);
    for (size_t i = 0; i < r.n_tags; i++) free(r.tags[i]);
    free(r.tags);
    free(r.raw);
    ev_labels_free(&r.labels);
    ev_namelist_free(&r.not_in_gt);
    if (st) hv_eval_results_free(out);
    return st;
}
