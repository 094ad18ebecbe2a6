/* writer.events — bleeding events of an exam, for a reader who reviews events instead of frames.
 *
 * A stage sees one batch at a time, but an event spans frames of several batches, so this is a writer:
 * it sees every frame of the run, keeps a few numbers per frame (index, time, bleeding probability,
 * bleeding area, detections), and at the end of the run groups them (events_group.h: smoothing,
 * hysteresis, gap merging, minimum length) and writes
 *
 *   <path>.json   self-describing: exam, frame count, the parameters used, the events, and compact
 *                 per-frame arrays (index, time, probability, smoothed probability, area) for a timeline
 *   <path>.csv    one row per event
 *
 * (`path` default "events" in the output folder). Formats: README "Bleeding events".
 *
 * Per frame:
 *   probability  `probability: classification` (default): the classifier's probability of the positive
 *                class — the class of the rule the classifier recorded (hv_frame_class_rule), else the
 *                class named `positive`: the frame's score when its label is that class, the other
 *                class's probability of a two-class result otherwise; 0 without a classification (a
 *                frame a quality filter dropped, a failed frame). `detection`: the highest detection
 *                score (of `label`); `max`: the larger of the two.
 *   area         pixels covered by the union of its detections of `label` (their masks; a detection
 *                without a mask counts its box), and mm² = pixels × mm_per_pixel² when a scale is given.
 *   index, time  the frame's id (its index in the exam) and HV_FRAME_TIME_META (source.fps or a video's
 *                timestamps; null when unknown).
 * Events are grouped over the frames the writer saw, in index order: with `source.every: N` gaps and
 * lengths count kept frames. Give this output no `when` (frames it does not see would close the gaps).
 *
 * Durability and --resume: every batch's per-frame values are appended to "<path>.frames.jsonl" and
 * flushed (fsync'ed with `fsync: true`), so a resumed run reads them back (a torn last line is cut, a frame
 * done again replaces its earlier line) and the events cover the whole exam. That file stays after the
 * run (a few dozen bytes a frame) so a later --resume can still finish; the events are written only at
 * the end of a run that went through (an interrupted run writes none). */
#include "events_group.h"
#include "events_plugin.h"
#include "exam_journal.h"

#include "hemovk/config.h"
#include "hemovk/frame.h"
#include "hemovk/image.h"
#include "hemovk/log.h"
#include "hemovk/output.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char ev_writer_schema[] =
    "type: object\n"
    "additionalProperties: false\n"
    "description: >-\n"
    "  bleeding events of the exam, written at the end of the run to <path>.json and <path>.csv (path default\n"
    "  events in the output folder). Give this output no `when`: it must see every frame.\n"
    "properties:\n"
    "  probability:\n"
    "    enum: [classification, detection, max]\n"
    "    default: classification\n"
    "    description: >-\n"
    "      the per-frame bleeding probability the events are built on: the classifier's probability of the\n"
    "      positive class (default: the two-stage pipelines classify every frame, and segment only flagged ones,\n"
    "      so the classifier's probability is the one defined on every frame), the highest detection score,\n"
    "      or the larger of the two\n"
    "  positive:\n"
    "    type: string\n"
    "    default: bleeding\n"
    "    description: >-\n"
    "      the class whose probability counts when the classifier recorded no decision rule on the frame (the\n"
    "      built-in classifier records one, and its `positive` wins)\n"
    "  label:\n"
    "    type: integer\n"
    "    minimum: -1\n"
    "    default: 0\n"
    "    description: >-\n"
    "      detections of this label count for the bleeding area and the frames with detections (0 = bleeding in\n"
    "      the paper's models; -1 = every label)\n"
    "  smooth:\n"
    "    type: integer\n"
    "    minimum: 1\n"
    "    default: 1\n"
    "    description: >-\n"
    "      k: the probability is averaged over a window of k frames centred on each frame before thresholding.\n"
    "      Default 1 (off): capsules record 2-6 frames a second and a bleeding is often seen in only 2-3 frames;\n"
    "      averaging with k = 3 turns two frames at 0.6 into 0.4 and loses them, while gap merging and the\n"
    "      minimum length already remove single-frame noise. Raise it for noisy classifiers on fast capsules.\n"
    "  t_high:\n"
    "    type: number\n"
    "    minimum: 0\n"
    "    maximum: 1\n"
    "    default: 0.5\n"
    "    description: >-\n"
    "      an event starts at a frame whose (smoothed) probability is >= t_high. Default 0.5, the classifier's\n"
    "      own decision threshold: an event starts only where a frame is flagged bleeding.\n"
    "  t_low:\n"
    "    type: number\n"
    "    minimum: 0\n"
    "    maximum: 1\n"
    "    default: 0.3\n"
    "    description: >-\n"
    "      an event continues through the following frames while their probability is >= t_low (hysteresis,\n"
    "      t_low <= t_high). Default 0.3: blood moving out of view, bubbles or a turn of the capsule lower the\n"
    "      probability for a frame or two without ending the bleeding, and one lesion should stay one event.\n"
    "  max_gap:\n"
    "    type: integer\n"
    "    minimum: 0\n"
    "    default: 2\n"
    "    description: >-\n"
    "      g: two runs separated by at most g frames below t_low are one event. Default 2, about one second at\n"
    "      2 frames a second: debris or a frame turned away inside one bleeding site.\n"
    "  min_length:\n"
    "    type: integer\n"
    "    minimum: 1\n"
    "    default: 2\n"
    "    description: >-\n"
    "      events with fewer frames at or above t_low (gap frames not counted) are dropped. Default 2, from\n"
    "      capsule-reading practice: a lesion marked by two or more contiguous suspected-blood frames is the\n"
    "      reading rule under which per-lesion sensitivity for active bleeding reaches about 96 %, while a\n"
    "      single red frame is most often a false alarm. Set 1 to keep single frames.\n"
    "  mm_per_pixel:\n"
    "    type: number\n"
    "    exclusiveMinimum: 0\n"
    "    description: >-\n"
    "      scale of the frames at the mucosa, to report bleeding areas in mm^2 as well as pixels. There is no\n"
    "      default: a capsule's scale depends on its optics and on the distance to the wall, so only a scale\n"
    "      the user knows is used (areas in mm^2 are null without it).\n"
    "  exam:\n"
    "    type: string\n"
    "    description: the exam's name in <path>.json (default the name of the input folder)\n"
    "  frames:\n"
    "    type: boolean\n"
    "    default: true\n"
    "    description: also write the per-frame arrays (index, time, probability, smoothed, area) into <path>.json\n"
    "  csv:\n"
    "    type: boolean\n"
    "    default: true\n"
    "    description: also write <path>.csv, one row per event\n"
    "  fsync:\n"
    "    type: boolean\n"
    "    default: true\n"
    "    description: fsync the per-frame journal (<path>.frames.jsonl) after every batch so --resume after a power cut loses nothing\n";

/* What is kept of one frame. */
typedef struct ev_rec {
    uint64_t index;
    double time;       /* NAN: unknown */
    float prob;
    uint64_t area_px;
    uint32_t n_det;    /* detections of `label` */
    uint64_t arrival;  /* order of arrival: a frame done again replaces its earlier record */
    char *key;
    char *path;
} ev_rec;

typedef enum { EV_PROB_CLASS, EV_PROB_DET, EV_PROB_MAX } ev_prob_source;

typedef struct ev_writer {
    const char *id;
    char *prefix;
    char who[192];      /* "writer.events '<id>'", for messages */
    xj_journal journal; /* <path>.frames.jsonl */
    ev_params params;
    ev_prob_source source;
    const char *source_name, *positive, *exam;
    int64_t label;
    double mm_per_pixel; /* 0: none */
    int frames, csv, sync;
    ev_rec *recs;
    size_t n, cap;
} ev_writer;

static void rec_free(ev_rec *r) {
    free(r->key);
    free(r->path);
}

static void ev_destroy(void *instance) {
    ev_writer *w = instance;
    if (!w) return;
    xj_close(&w->journal);
    for (size_t i = 0; i < w->n; i++) rec_free(&w->recs[i]);
    free(w->recs);
    free(w->prefix);
    free(w);
}

static hv_status push_rec(ev_writer *w, ev_rec *r) {
    hv_status st = xj_reserve((void **)&w->recs, &w->cap, w->n, sizeof *w->recs, w->who);
    if (st) return st;
    r->arrival = w->n;
    w->recs[w->n++] = *r;
    return HV_OK;
}

/* --resume: one journal line back into a record (lines without "i" and "p" are not ours). */
static hv_status read_back(void *ctx, const cJSON *o) {
    ev_writer *w = ctx;
    if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, "i")) || !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, "p")))
        return HV_OK;
    ev_rec r;
    memset(&r, 0, sizeof r);
    r.index = (uint64_t)xj_num(o, "i", 0);
    r.prob = (float)xj_num(o, "p", 0);
    r.time = xj_num(o, "t", NAN);
    r.area_px = (uint64_t)xj_num(o, "a", 0);
    r.n_det = (uint32_t)xj_num(o, "d", 0);
    hv_status st = HV_OK;
    if (!xj_str(o, "k", &r.key) || !xj_str(o, "f", &r.path)) st = hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", w->who);
    if (!st) st = push_rec(w, &r);
    if (st) rec_free(&r);
    return st;
}

typedef enum { NEED_INT, NEED_DOUBLE, NEED_BOOL, NEED_STRING } need_kind;

/* Read `key`, which the schema gives a default (so it is always there after validation); a missing key is
 * reported, never replaced by a second copy of the default. */
static hv_status need(const hv_config_node *map, const char *key, need_kind kind, void *out) {
    const hv_config_node *n = hv_config_get(map, key);
    if (!n)
        return hv_error(HV_ERR_SCHEMA, "%s:%d:%d: writer.events: key '%s' is missing (its schema has a default: were the params validated?)",
                        hv_config_file(map), hv_config_line(map), hv_config_column(map), key);
    switch (kind) {
    case NEED_INT: return hv_config_as_int(n, out);
    case NEED_DOUBLE: return hv_config_as_double(n, out);
    case NEED_BOOL: return hv_config_as_bool(n, out);
    default: return hv_config_as_string(n, out);
    }
}

static hv_status ev_create(const hv_create_info *info, void **instance) {
    ev_writer *w = calloc(1, sizeof *w);
    if (!w) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.events: out of memory");
    w->id = info->instance_id;
    snprintf(w->who, sizeof w->who, "writer.events '%s'", w->id);
    const hv_config_node *P = info->params;
    int64_t smooth = 0, gap = 0, min_len = 0;
    /* every default lives in the schema (hv_schema_validate filled it in): a missing key is a bug */
    hv_status st = need(P, "probability", NEED_STRING, &w->source_name);
    if (!st) st = need(P, "positive", NEED_STRING, &w->positive);
    if (!st) st = need(P, "label", NEED_INT, &w->label);
    if (!st) st = need(P, "smooth", NEED_INT, &smooth);
    if (!st) st = need(P, "t_high", NEED_DOUBLE, &w->params.t_high);
    if (!st) st = need(P, "t_low", NEED_DOUBLE, &w->params.t_low);
    if (!st) st = need(P, "max_gap", NEED_INT, &gap);
    if (!st) st = need(P, "min_length", NEED_INT, &min_len);
    if (!st) st = need(P, "frames", NEED_BOOL, &w->frames);
    if (!st) st = need(P, "csv", NEED_BOOL, &w->csv);
    if (!st) st = need(P, "fsync", NEED_BOOL, &w->sync);
    if (!st) st = hv_config_get_double(P, "mm_per_pixel", 0.0, &w->mm_per_pixel); /* no schema default: absent = no scale, areas in pixels only */
    if (!st) st = hv_config_get_string(P, "exam", NULL, &w->exam); /* no schema default: absent = the input folder's name */
    if (st) goto fail;
    w->source = !strcmp(w->source_name, "detection") ? EV_PROB_DET : !strcmp(w->source_name, "max") ? EV_PROB_MAX
                                                                                                     : EV_PROB_CLASS;
    w->params.smooth = (uint32_t)(smooth > 100000 ? 100000 : smooth);
    w->params.max_gap = (uint32_t)(gap > 100000000 ? 100000000 : gap);
    w->params.min_length = (uint32_t)(min_len > 100000000 ? 100000000 : min_len);
    const char *why = ev_params_problem(&w->params);
    if (why) {
        const hv_config_node *n = hv_config_get(P, "t_low");
        st = hv_error(HV_ERR_SCHEMA, "%s:%d:%d: writer.events '%s': %s (t_low %g, t_high %g)", hv_config_file(n ? n : P),
                      hv_config_line(n ? n : P), hv_config_column(n ? n : P), w->id, why, w->params.t_low,
                      w->params.t_high);
        goto fail;
    }
    if ((st = hv_writer_output_path(info, "writer.events", "events", &w->prefix))) goto fail;
    if ((st = hv_mkdirs_for(w->prefix))) goto fail;
    size_t n = strlen(w->prefix) + 16;
    if (!(w->journal.path = malloc(n))) {
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "writer.events: out of memory");
        goto fail;
    }
    snprintf(w->journal.path, n, "%s.frames.jsonl", w->prefix);
    w->journal.who = w->who;
    w->journal.sync = w->sync;
    if ((st = xj_open(&w->journal, HV_CREATE_INFO_HAS(info, resume) && info->resume, read_back, w, NULL))) goto fail;
    *instance = w;
    return HV_OK;
fail:
    ev_destroy(w);
    return st;
}

/* ---- per-frame values ------------------------------------------------------------------------------- */

static int wanted(const ev_writer *w, const hv_detection *d) {
    return w->label < 0 || d->label == w->label;
}

/* Paint [x1, x2) x [y1, y2) of a w x h bitmap, the box rounded outwards and clamped. */
static void paint_box(uint8_t *bm, int32_t W, int32_t H, const hv_detection *d) {
    int32_t x1 = (int32_t)floorf(d->x1), y1 = (int32_t)floorf(d->y1);
    int32_t x2 = (int32_t)ceilf(d->x2), y2 = (int32_t)ceilf(d->y2);
    if (x1 < 0) x1 = 0;
    if (y1 < 0) y1 = 0;
    if (x2 > W) x2 = W;
    if (y2 > H) y2 = H;
    for (int32_t y = y1; y < y2; y++) memset(bm + (size_t)y * W + x1, 1, x2 > x1 ? (size_t)(x2 - x1) : 0);
}

/* Paint a mask of the frame's size; 0 when it is not usable (then the box counts). */
static int paint_mask(uint8_t *bm, int32_t W, int32_t H, const hv_mask *m) {
    if (m->width != (uint32_t)W || m->height != (uint32_t)H) return 0;
    size_t total = (size_t)W * H;
    if (m->format == HV_MASK_BITMAP && m->bitmap) {
        for (size_t i = 0; i < total; i++) bm[i] |= m->bitmap[i] ? 1 : 0;
        return 1;
    }
    if (m->format == HV_MASK_RLE && m->rle) {
        size_t pos = 0; /* column-major */
        for (size_t r = 0; r < m->n_rle && pos < total; r++) {
            size_t run = m->rle[r];
            if (r & 1)
                for (size_t k = 0; k < run && pos + k < total; k++) {
                    size_t p = pos + k;
                    bm[(p % (size_t)H) * (size_t)W + p / (size_t)H] = 1;
                }
            pos += run;
        }
        return 1;
    }
    return 0;
}

/* Pixels covered by the union of the frame's wanted detections. */
static hv_status frame_area(const ev_writer *w, const hv_frame *f, uint64_t *area, uint32_t *n_det) {
    *area = 0;
    *n_det = 0;
    int32_t W = f->width, H = f->height;
    for (size_t i = 0; i < f->n_detections; i++) {
        const hv_detection *d = &f->detections[i];
        if (!wanted(w, d)) continue;
        (*n_det)++;
        if ((W <= 0 || H <= 0) && d->mask.format != HV_MASK_NONE) W = (int32_t)d->mask.width, H = (int32_t)d->mask.height;
    }
    if (!*n_det) return HV_OK;
    if (W <= 0 || H <= 0) { /* no frame size known: boxes summed, overlaps counted twice */
        for (size_t i = 0; i < f->n_detections; i++) {
            const hv_detection *d = &f->detections[i];
            if (!wanted(w, d)) continue;
            double a = (double)fmaxf(0, d->x2 - d->x1) * (double)fmaxf(0, d->y2 - d->y1);
            *area += (uint64_t)llround(a);
        }
        return HV_OK;
    }
    uint8_t *bm = calloc((size_t)W * H, 1);
    if (!bm) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.events '%s': out of memory (a %dx%d frame)", w->id, W, H);
    for (size_t i = 0; i < f->n_detections; i++) {
        const hv_detection *d = &f->detections[i];
        if (wanted(w, d) && !paint_mask(bm, W, H, &d->mask)) paint_box(bm, W, H, d);
    }
    for (size_t i = 0; i < (size_t)W * H; i++) *area += bm[i];
    free(bm);
    return HV_OK;
}

static double round6(double v) {
    if (!isfinite(v)) return v;
    char buf[32];
    snprintf(buf, sizeof buf, "%.6g", v);
    return strtod(buf, NULL);
}

static hv_status journal_write(ev_writer *w, const ev_rec *r) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.events: out of memory");
    cJSON_AddNumberToObject(o, "i", (double)r->index);
    if (isnan(r->time)) cJSON_AddNullToObject(o, "t");
    else cJSON_AddNumberToObject(o, "t", r->time);
    cJSON_AddNumberToObject(o, "p", (double)r->prob); /* %.17g: reads back bit-exact as a float */
    cJSON_AddNumberToObject(o, "a", (double)r->area_px);
    cJSON_AddNumberToObject(o, "d", r->n_det);
    if (r->key) cJSON_AddStringToObject(o, "k", r->key);
    if (r->path) cJSON_AddStringToObject(o, "f", r->path);
    return xj_write(&w->journal, o);
}

static hv_status ev_process(void *instance, hv_frame *const *frames, size_t n) {
    ev_writer *w = instance;
    hv_status st = HV_OK;
    for (size_t i = 0; i < n && !st; i++) {
        const hv_frame *f = frames[i];
        ev_rec r;
        memset(&r, 0, sizeof r);
        r.index = f->id;
        if (!hv_frame_time(f, &r.time)) r.time = NAN;
        if ((st = frame_area(w, f, &r.area_px, &r.n_det))) break;
        double p = 0, best = 0;
        for (size_t k = 0; k < f->n_detections; k++)
            if (wanted(w, &f->detections[k]) && f->detections[k].score > best) best = f->detections[k].score;
        if (w->source == EV_PROB_DET) p = best;
        else p = xj_class_probability(f, w->positive, NULL);
        if (w->source == EV_PROB_MAX && best > p) p = best;
        r.prob = isfinite(p) ? (float)p : 0.0f;
        if (!xj_dup(hv_output_frame_key(f), &r.key) || !xj_dup(f->path, &r.path)) {
            rec_free(&r);
            return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.events: out of memory");
        }
        if ((st = push_rec(w, &r))) {
            rec_free(&r);
            break;
        }
        st = journal_write(w, &w->recs[w->n - 1]);
    }
    if (st) return st;
    return xj_flush(&w->journal);
}

/* ---- the end of the run: events -------------------------------------------------------------------- */

static int cmp_rec(const void *a, const void *b) {
    const ev_rec *x = a, *y = b;
    if (x->index != y->index) return x->index < y->index ? -1 : 1;
    return x->arrival < y->arrival ? -1 : x->arrival > y->arrival;
}

static int same_index(const void *a, const void *b) { return ((const ev_rec *)a)->index == ((const ev_rec *)b)->index; }

static void rec_free_any(void *r) { rec_free(r); }

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s && s[1] ? s + 1 : path;
}

static cJSON *num_or_null(double v) {
    return isnan(v) ? cJSON_CreateNull() : cJSON_CreateNumber(v);
}

/* {"index", "key", "time"} of a record (NULL: a frame the writer did not see, at exam index `index`). */
static cJSON *frame_ref(const ev_rec *r, uint64_t index) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", (double)index);
    if (r && r->key) cJSON_AddStringToObject(o, "key", r->key);
    else cJSON_AddNullToObject(o, "key");
    cJSON_AddItemToObject(o, "time", num_or_null(r ? r->time : NAN));
    return o;
}

/* CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
static void csv_put(FILE *f, const char *s) {
    if (!s) return;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double v) {
    if (!isnan(v)) fprintf(f, "%.6g", v);
}

typedef struct ev_summary {
    uint64_t max_area;
    size_t max_area_pos;   /* earliest frame with the largest area */
    size_t n_det_frames;
} ev_summary;

static ev_summary summarise(ev_rec *const *dense, const ev_event *e) {
    ev_summary s = {0, e->peak, 0};
    int have = 0;
    for (size_t j = e->first; j <= e->last; j++) {
        const ev_rec *r = dense[j];
        if (!r) continue;
        if (r->n_det) s.n_det_frames++;
        if (r->n_det && (!have || r->area_px > s.max_area)) {
            s.max_area = r->area_px;
            s.max_area_pos = j;
            have = 1;
        }
    }
    return s;
}

static hv_status save(const ev_writer *w, const char *suffix, const char *text) {
    char path[4200];
    snprintf(path, sizeof path, "%s%s", w->prefix, suffix);
    hv_status st = hv_output_write_file(path, text, strlen(text), w->sync);
    return st ? hv_error_context(st, "writer.events '%s'", w->id) : HV_OK;
}

/* dense[0..n_frames): the frames in index order (position j = the grouping's position). */
static hv_status write_outputs(ev_writer *w, ev_rec *const *dense, const float *p, const float *s, size_t n_frames,
                               const ev_event *ev, size_t n_ev) {
    size_t span = n_frames;
    double mm2 = w->mm_per_pixel > 0 ? w->mm_per_pixel * w->mm_per_pixel : NAN;
    cJSON *root = cJSON_CreateObject();
    if (!root) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.events: out of memory");
    cJSON_AddStringToObject(root, "format", "hemovk-events");
    cJSON_AddNumberToObject(root, "version", 1);
    /* the exam */
    const ev_rec *first = n_frames ? &w->recs[0] : NULL;
    char *folder = first ? xj_input_root(first->path, first->key) : strdup("");
    cJSON *exam = cJSON_AddObjectToObject(root, "exam");
    cJSON_AddStringToObject(exam, "name", w->exam ? w->exam : folder && *folder ? base_name(folder) : "");
    cJSON_AddStringToObject(exam, "folder", folder ? folder : "");
    free(folder);
    cJSON_AddNumberToObject(exam, "frames", (double)n_frames);
    size_t timed = 0;
    double t_first = NAN, t_last = NAN;
    for (size_t i = 0; i < n_frames; i++)
        if (!isnan(w->recs[i].time)) {
            if (!timed++) t_first = w->recs[i].time;
            t_last = w->recs[i].time;
        }
    cJSON_AddNumberToObject(exam, "frames_with_time", (double)timed);
    if (n_frames) {
        cJSON_AddNumberToObject(exam, "first_index", (double)dense[0]->index);
        cJSON_AddNumberToObject(exam, "last_index", (double)dense[n_frames - 1]->index);
    } else {
        cJSON_AddNullToObject(exam, "first_index");
        cJSON_AddNullToObject(exam, "last_index");
    }
    cJSON_AddItemToObject(exam, "duration_s", num_or_null(timed ? round6(t_last - t_first) : NAN));
    /* the parameters */
    cJSON *par = cJSON_AddObjectToObject(root, "params");
    cJSON_AddStringToObject(par, "probability", w->source_name);
    cJSON_AddStringToObject(par, "positive", w->positive);
    cJSON_AddNumberToObject(par, "label", (double)w->label);
    cJSON_AddNumberToObject(par, "smooth", w->params.smooth);
    cJSON_AddNumberToObject(par, "t_high", w->params.t_high);
    cJSON_AddNumberToObject(par, "t_low", w->params.t_low);
    cJSON_AddNumberToObject(par, "max_gap", w->params.max_gap);
    cJSON_AddNumberToObject(par, "min_length", w->params.min_length);
    cJSON_AddItemToObject(par, "mm_per_pixel", num_or_null(w->mm_per_pixel > 0 ? w->mm_per_pixel : NAN));
    cJSON_AddNumberToObject(root, "n_events", (double)n_ev);
    cJSON *events = cJSON_AddArrayToObject(root, "events");
    FILE *csv = NULL;
    char *csv_text = NULL;
    size_t csv_len = 0;
    if (w->csv && !(csv = open_memstream(&csv_text, &csv_len))) {
        cJSON_Delete(root);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.events: out of memory");
    }
    if (csv)
        fputs("event,first_index,last_index,first_key,last_key,start_time,end_time,duration_s,frames,active_frames,"
              "peak_index,peak_key,peak_probability,mean_probability,max_area_px,max_area_mm2,max_area_index,"
              "detection_frames\n", csv);
    for (size_t e = 0; e < n_ev; e++) {
        const ev_event *x = &ev[e];
        ev_summary sm = summarise(dense, x);
        const ev_rec *rf = dense[x->first], *rl = dense[x->last], *rp = dense[x->peak], *ra = dense[sm.max_area_pos];
        double t0 = rf ? rf->time : NAN, t1 = rl ? rl->time : NAN;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", (double)(e + 1));
        cJSON_AddItemToObject(o, "first", frame_ref(rf, rf->index));
        cJSON_AddItemToObject(o, "last", frame_ref(rl, rl->index));
        cJSON_AddItemToObject(o, "start_time", num_or_null(t0));
        cJSON_AddItemToObject(o, "end_time", num_or_null(t1));
        cJSON_AddItemToObject(o, "duration_s", num_or_null(round6(t1 - t0)));
        cJSON_AddNumberToObject(o, "frames", (double)(x->last - x->first + 1));
        cJSON_AddNumberToObject(o, "active_frames", (double)x->active);
        cJSON_AddNumberToObject(o, "peak_probability", round6(x->peak_prob));
        cJSON_AddNumberToObject(o, "mean_probability", round6(x->mean_prob));
        cJSON *rep = frame_ref(rp, rp->index);
        cJSON_AddNumberToObject(rep, "probability", round6(x->peak_prob));
        cJSON_AddItemToObject(o, "representative", rep);
        cJSON_AddNumberToObject(o, "max_area_px", (double)sm.max_area);
        cJSON_AddItemToObject(o, "max_area_mm2", num_or_null(round6((double)sm.max_area * mm2)));
        cJSON_AddItemToObject(o, "max_area_frame", sm.n_det_frames ? frame_ref(ra, ra->index) : cJSON_CreateNull());
        cJSON *df = cJSON_AddArrayToObject(o, "detection_frames");
        for (size_t j = x->first; j <= x->last; j++) {
            const ev_rec *r = dense[j];
            if (!r || !r->n_det) continue;
            cJSON *d = frame_ref(r, r->index);
            cJSON_AddNumberToObject(d, "detections", r->n_det);
            cJSON_AddNumberToObject(d, "area_px", (double)r->area_px);
            cJSON_AddItemToObject(d, "area_mm2", num_or_null(round6((double)r->area_px * mm2)));
            cJSON_AddItemToArray(df, d);
        }
        cJSON_AddItemToArray(events, o);
        if (csv) {
            fprintf(csv, "%zu,%llu,%llu,", e + 1, (unsigned long long)rf->index, (unsigned long long)rl->index);
            csv_put(csv, rf ? rf->key : NULL);
            fputc(',', csv);
            csv_put(csv, rl ? rl->key : NULL);
            fputc(',', csv);
            csv_num(csv, t0);
            fputc(',', csv);
            csv_num(csv, t1);
            fputc(',', csv);
            csv_num(csv, round6(t1 - t0));
            fprintf(csv, ",%zu,%zu,%llu,", x->last - x->first + 1, x->active, (unsigned long long)rp->index);
            csv_put(csv, rp ? rp->key : NULL);
            fprintf(csv, ",%.6g,%.6g,%llu,", round6(x->peak_prob), round6(x->mean_prob), (unsigned long long)sm.max_area);
            csv_num(csv, round6((double)sm.max_area * mm2));
            fputc(',', csv);
            if (sm.n_det_frames) fprintf(csv, "%llu", (unsigned long long)ra->index);
            fputc(',', csv);
            const char *sep = "";
            for (size_t j = x->first; j <= x->last; j++)
                if (dense[j] && dense[j]->n_det) {
                    fprintf(csv, "%s%llu", sep, (unsigned long long)dense[j]->index);
                    sep = " ";
                }
            fputc('\n', csv);
        }
    }
    if (w->frames) {
        cJSON *fr = cJSON_AddObjectToObject(root, "frames");
        cJSON *ai = cJSON_AddArrayToObject(fr, "index"), *at = cJSON_AddArrayToObject(fr, "time"),
              *ap = cJSON_AddArrayToObject(fr, "probability"), *as = cJSON_AddArrayToObject(fr, "smoothed"),
              *aa = cJSON_AddArrayToObject(fr, "area_px"), *ad = cJSON_AddArrayToObject(fr, "detections");
        for (size_t j = 0; j < span; j++) {
            const ev_rec *r = dense[j];
            if (!r) continue;
            cJSON_AddItemToArray(ai, cJSON_CreateNumber((double)r->index));
            cJSON_AddItemToArray(at, num_or_null(r->time));
            cJSON_AddItemToArray(ap, cJSON_CreateNumber(round6(p[j])));
            cJSON_AddItemToArray(as, cJSON_CreateNumber(round6(s[j])));
            cJSON_AddItemToArray(aa, cJSON_CreateNumber((double)r->area_px));
            cJSON_AddItemToArray(ad, cJSON_CreateNumber(r->n_det));
        }
    }
    hv_status st = HV_OK;
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) st = hv_error(HV_ERR_OUT_OF_MEMORY, "writer.events: out of memory");
    if (!st) st = save(w, ".json", text);
    free(text);
    if (csv) {
        int bad = fclose(csv) != 0 || !csv_text;
        if (!st && bad) st = hv_error(HV_ERR_OUT_OF_MEMORY, "writer.events: out of memory");
        if (!st) st = save(w, ".csv", csv_text);
        free(csv_text);
    }
    return st;
}

static hv_status ev_flush(void *instance) {
    ev_writer *w = instance;
    hv_status st = xj_flush(&w->journal);
    if (st) return st;
    w->n = xj_exam_order(w->recs, w->n, sizeof *w->recs, cmp_rec, same_index, rec_free_any);
    size_t span = w->n;
    ev_rec **dense = calloc(span ? span : 1, sizeof *dense);
    float *p = calloc(span ? span : 1, sizeof *p), *s = calloc(span ? span : 1, sizeof *s);
    ev_event *ev = NULL;
    size_t n_ev = 0;
    if (!dense || !p || !s) st = hv_error(HV_ERR_OUT_OF_MEMORY, "writer.events: out of memory for %zu frames", span);
    for (size_t i = 0; !st && i < w->n; i++) {
        size_t j = i;
        dense[j] = &w->recs[i];
        p[j] = w->recs[i].prob;
    }
    if (!st) {
        int rc = ev_group(p, span, &w->params, s, &ev, &n_ev);
        if (rc) st = hv_error(rc == -2 ? HV_ERR_OUT_OF_MEMORY : HV_ERR_INVALID_ARGUMENT, "writer.events '%s': grouping failed (%s)",
                              w->id, rc == -2 ? "out of memory" : ev_params_problem(&w->params));
    }
    if (!st) st = write_outputs(w, dense, p, s, span, ev, n_ev);
    if (!st)
        hv_log_info("writer.events '%s': %zu bleeding event%s in %zu frame%s written to %s.json%s", w->id, n_ev,
                    n_ev == 1 ? "" : "s", w->n, w->n == 1 ? "" : "s", w->prefix, w->csv ? " and .csv" : "");
    free(ev);
    free(dense);
    free(p);
    free(s);
    return st;
}

const hv_stage_vtable ev_writer_vtable = {
    .struct_size = sizeof(hv_stage_vtable),
    .create = ev_create,
    .process = ev_process,
    .flush = ev_flush,
    .destroy = ev_destroy,
};
