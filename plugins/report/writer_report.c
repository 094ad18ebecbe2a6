/* writer.report — one self-contained HTML review of an exam, for the clinician who reads it.
 *
 *   <path>/index.html         the page: inline CSS, JavaScript and data, no server, no network
 *   <path>/frames/NNNNNN.jpg   each flagged frame (file named by its exam index, so no user-chosen name
 *                              ever reaches a URL), .m.png its detections' mask outlines (transparent
 *                              PNG laid over it), .c.jpg the frame blended with its class-activation map
 *
 * (`path` default "report" in the output folder). The page (report_html.c, report_assets.c): a header
 * (exam, pipeline, models and their cards, device, date, hemovk version), a timeline of the bleeding
 * probability over the whole exam with the bleeding events marked (zoomable; drawn as at most one min/max
 * column per pixel, so 100,000 frames draw as fast as 500), the event list, a paginated gallery of the
 * flagged frames (lazy images; boxes with scores, mask outlines and CAM as toggles), keyboard navigation
 * and a print stylesheet that prints the summary.
 *
 * Like writer.events it must see every frame (no `when`): it keeps a few numbers per frame (index, time,
 * bleeding probability, whether flagged) and the boxes of flagged frames, writes the images of flagged
 * frames as they come, and at the end groups the events with writer.events' own function and parameters
 * (events_group.h; defaults equal, so the report marks the events events.json lists) and writes the page.
 *
 * A frame is flagged when the classifier decided it is bleeding (its recorded rule, else its label is
 * `positive`) or when it carries detections of `label`: those are the frames a reader must look at.
 *
 * Durability and --resume: each batch's per-frame values are appended to <path>/frames.jsonl and flushed
 * (fsync'ed with `fsync: true`); a resumed run reads them back (a torn last line is cut, a frame done again
 * replaces its earlier line) and the images already written stay, so the page covers the whole exam. */
#include "report_plugin.h"
#include "../events/exam_journal.h"

#include "hemovk/config.h"
#include "hemovk/device.h"
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* stb_image_write's implementation lives in report_jpeg.c (built without UBSan's shift check, see there). */
#define STBIWDEF extern __attribute__((visibility("hidden")))
#define STBI_WRITE_NO_STDIO
#include <stb_image_write.h>

const char rp_writer_schema[] =
    "type: object\n"
    "additionalProperties: false\n"
    "description: >-\n"
    "  a self-contained HTML review of the exam, written at the end of the run to <path>/index.html with the\n"
    "  flagged frames' images in <path>/frames/ (path default report in the output folder). Give this output no\n"
    "  `when`: it must see every frame. The event parameters are writer.events' (same names, same defaults).\n"
    "properties:\n"
    "  probability:\n"
    "    enum: [classification, detection, max]\n"
    "    default: classification\n"
    "    description: the per-frame bleeding probability of the timeline and the events (as writer.events)\n"
    "  positive:\n"
    "    type: string\n"
    "    default: bleeding\n"
    "    description: the class whose probability counts when the classifier recorded no decision rule (as writer.events)\n"
    "  label:\n"
    "    type: integer\n"
    "    minimum: -1\n"
    "    default: 0\n"
    "    description: detections of this label are drawn and flag a frame (0 = bleeding; -1 = every label)\n"
    "  smooth:\n"
    "    type: integer\n"
    "    minimum: 1\n"
    "    default: 1\n"
    "    description: events - window k of the probability's moving average (as writer.events)\n"
    "  t_high:\n"
    "    type: number\n"
    "    minimum: 0\n"
    "    maximum: 1\n"
    "    default: 0.5\n"
    "    description: events - an event starts at a frame >= t_high (as writer.events)\n"
    "  t_low:\n"
    "    type: number\n"
    "    minimum: 0\n"
    "    maximum: 1\n"
    "    default: 0.3\n"
    "    description: events - and continues while frames stay >= t_low (as writer.events)\n"
    "  max_gap:\n"
    "    type: integer\n"
    "    minimum: 0\n"
    "    default: 2\n"
    "    description: events - runs at most this many frames apart merge (as writer.events)\n"
    "  min_length:\n"
    "    type: integer\n"
    "    minimum: 1\n"
    "    default: 2\n"
    "    description: events - events need this many frames >= t_low (as writer.events)\n"
    "  mm_per_pixel:\n"
    "    type: number\n"
    "    exclusiveMinimum: 0\n"
    "    description: scale at the mucosa, to show bleeding areas in mm^2 (none without it, as writer.events)\n"
    "  exam:\n"
    "    type: string\n"
    "    description: the exam's name in the header (default the name of the input folder)\n"
    "  page_size:\n"
    "    type: integer\n"
    "    minimum: 1\n"
    "    maximum: 1000\n"
    "    default: 48\n"
    "    description: >-\n"
    "      flagged frames per gallery page. The page builds only one page of images at a time (and the browser\n"
    "      loads them lazily), so a 100,000-frame exam opens as fast as a short one.\n"
    "  cam_alpha:\n"
    "    type: number\n"
    "    minimum: 0\n"
    "    maximum: 1\n"
    "    default: 0.5\n"
    "    description: weight of the frame in the CAM image (out = alpha*frame + (1-alpha)*jet(map)), as writer.overlay\n"
    "  jpeg_quality:\n"
    "    type: integer\n"
    "    minimum: 10\n"
    "    maximum: 100\n"
    "    default: 90\n"
    "    description: quality of the frame JPEGs (90 keeps the mucosa's fine texture; a frame is 10-20 KB)\n"
    "  fsync:\n"
    "    type: boolean\n"
    "    default: true\n"
    "    description: fsync the per-frame journal (<path>/frames.jsonl) after every batch so --resume after a power cut loses nothing\n";

typedef enum { RP_PROB_CLASS, RP_PROB_DET, RP_PROB_MAX } rp_prob_source;

typedef struct rp_writer {
    const char *id;
    const hv_host_api *host;
    const hv_config_node *params;
    char *dir, *frames_dir;
    char who[192];      /* "writer.report '<id>'", for messages */
    xj_journal journal; /* <path>/frames.jsonl */
    ev_params ev;
    rp_prob_source source;
    const char *positive, *exam;
    int64_t label, page_size, quality;
    double mm_per_pixel, cam_alpha;
    int sync;
    rp_rec *recs;
    size_t n, cap;
} rp_writer;

static void rec_free(rp_rec *r) {
    free(r->boxes);
    free(r->key);
    free(r->path);
}

static void rp_destroy(void *instance) {
    rp_writer *w = instance;
    if (!w) return;
    xj_close(&w->journal);
    for (size_t i = 0; i < w->n; i++) rec_free(&w->recs[i]);
    free(w->recs);
    free(w->dir);
    free(w->frames_dir);
    free(w);
}

static hv_status push_rec(rp_writer *w, rp_rec *r) {
    hv_status st = xj_reserve((void **)&w->recs, &w->cap, w->n, sizeof *w->recs, w->who);
    if (st) return st;
    r->arrival = w->n;
    w->recs[w->n++] = *r;
    return HV_OK;
}

/* --resume: one journal line back into a record (lines without "i" and "p" are not ours). */
static hv_status read_back(void *ctx, const cJSON *o) {
    rp_writer *w = ctx;
    if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, "i")) || !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, "p")))
        return HV_OK;
    rp_rec r;
    memset(&r, 0, sizeof r);
    r.index = (uint64_t)xj_num(o, "i", 0);
    r.prob = (float)xj_num(o, "p", 0);
    r.time = xj_num(o, "t", NAN);
    r.flagged = xj_num(o, "fl", 0) != 0;
    r.has_img = xj_num(o, "img", 0) != 0;
    r.has_mask = xj_num(o, "m", 0) != 0;
    r.has_cam = xj_num(o, "c", 0) != 0;
    r.width = (int32_t)xj_num(o, "w", 0);
    r.height = (int32_t)xj_num(o, "h", 0);
    int ok = xj_str(o, "k", &r.key) && xj_str(o, "f", &r.path);
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "d");
    int nb = cJSON_IsArray(d) ? cJSON_GetArraySize(d) : 0;
    if (ok && nb > 0 && !(r.boxes = calloc((size_t)nb, sizeof *r.boxes))) ok = 0;
    if (ok && nb > 0) {
        const cJSON *b;
        cJSON_ArrayForEach(b, d) {
            if (cJSON_GetArraySize(b) < 6) continue;
            rp_box *x = &r.boxes[r.n_box++];
            x->x1 = (float)cJSON_GetArrayItem(b, 0)->valuedouble;
            x->y1 = (float)cJSON_GetArrayItem(b, 1)->valuedouble;
            x->x2 = (float)cJSON_GetArrayItem(b, 2)->valuedouble;
            x->y2 = (float)cJSON_GetArrayItem(b, 3)->valuedouble;
            x->score = (float)cJSON_GetArrayItem(b, 4)->valuedouble;
            x->label = (int32_t)cJSON_GetArrayItem(b, 5)->valuedouble;
        }
    }
    hv_status st = ok ? push_rec(w, &r) : hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", w->who);
    if (st) rec_free(&r);
    return st;
}

static char *join(const char *a, const char *b) {
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s/%s", a, b);
    return s;
}

static hv_status rp_create(const hv_create_info *info, void **instance) {
    rp_writer *w = calloc(1, sizeof *w);
    if (!w) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.report: out of memory");
    w->id = info->instance_id;
    snprintf(w->who, sizeof w->who, "writer.report '%s'", w->id);
    w->host = info->host;
    w->params = info->params;
    const hv_config_node *P = info->params;
    int64_t smooth = 0, gap = 0, min_len = 0;
    const char *source = NULL;
    hv_status st = hv_config_need_string(P, "probability", &source);
    if (!st) st = hv_config_need_string(P, "positive", &w->positive);
    if (!st) st = hv_config_need_int(P, "label", &w->label);
    if (!st) st = hv_config_need_int(P, "smooth", &smooth);
    if (!st) st = hv_config_need_double(P, "t_high", &w->ev.t_high);
    if (!st) st = hv_config_need_double(P, "t_low", &w->ev.t_low);
    if (!st) st = hv_config_need_int(P, "max_gap", &gap);
    if (!st) st = hv_config_need_int(P, "min_length", &min_len);
    /* no schema default: absent means no scale is known, areas stay in pixels */
    if (!st) st = hv_config_get_double(P, "mm_per_pixel", 0.0, &w->mm_per_pixel);
    /* no schema default: absent means the name of the input folder */
    if (!st) st = hv_config_get_string(P, "exam", NULL, &w->exam);
    if (!st) st = hv_config_need_int(P, "page_size", &w->page_size);
    if (!st) st = hv_config_need_double(P, "cam_alpha", &w->cam_alpha);
    if (!st) st = hv_config_need_int(P, "jpeg_quality", &w->quality);
    if (!st) st = hv_config_need_bool(P, "fsync", &w->sync);
    if (st) goto fail;
    w->source = !strcmp(source, "detection") ? RP_PROB_DET : !strcmp(source, "max") ? RP_PROB_MAX : RP_PROB_CLASS;
    w->ev.smooth = (uint32_t)smooth;
    w->ev.max_gap = (uint32_t)gap;
    w->ev.min_length = (uint32_t)min_len;
    const char *problem = ev_params_problem(&w->ev);
    if (problem) {
        st = hv_error(HV_ERR_INVALID_ARGUMENT, "writer.report '%s': %s", w->id, problem);
        goto fail;
    }
    if ((st = hv_writer_output_path(info, "writer.report", "report", &w->dir))) goto fail;
    w->frames_dir = join(w->dir, "frames");
    w->journal.path = join(w->dir, "frames.jsonl");
    if (!w->frames_dir || !w->journal.path) {
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "writer.report: out of memory");
        goto fail;
    }
    if ((st = hv_mkdirs(w->frames_dir))) goto fail;
    w->journal.who = w->who;
    w->journal.sync = w->sync;
    if ((st = xj_open(&w->journal, HV_CREATE_INFO_HAS(info, resume) && info->resume, read_back, w, NULL))) goto fail;
    *instance = w;
    return HV_OK;
fail:
    rp_destroy(w);
    return st;
}

/* ---- per frame ------------------------------------------------------------------------------------- */

static int wanted(const rp_writer *w, const hv_detection *d) {
    return w->label < 0 || d->label == w->label;
}

typedef struct membuf {
    unsigned char *data;
    size_t n, cap;
    int failed;
} membuf;

static void mem_put(void *ctx, void *data, int size) {
    membuf *m = ctx;
    if (m->failed || size <= 0) return;
    if (m->n + (size_t)size > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 65536;
        while (cap < m->n + (size_t)size) cap *= 2;
        unsigned char *g = realloc(m->data, cap);
        if (!g) {
            m->failed = 1;
            return;
        }
        m->data = g;
        m->cap = cap;
    }
    memcpy(m->data + m->n, data, (size_t)size);
    m->n += (size_t)size;
}

/* Encode (JPEG when comp == 3, PNG when 4) and write atomically. */
static hv_status save_image(const rp_writer *w, const char *path, const uint8_t *px, int W, int H, int comp) {
    membuf m = {0};
    int ok = comp == 3 ? stbi_write_jpg_to_func(mem_put, &m, W, H, 3, px, (int)w->quality)
                       : stbi_write_png_to_func(mem_put, &m, W, H, 4, px, W * 4);
    hv_status st = HV_OK;
    if (!ok || m.failed) st = hv_error(HV_ERR_OUT_OF_MEMORY, "writer.report '%s': cannot encode %s", w->id, path);
    else st = hv_output_write_file(path, m.data, m.n, 0);
    free(m.data);
    return st;
}

/* The union of the wanted masks as a W x H bitmap (NULL when no detection has a usable mask). */
static uint8_t *mask_union(const rp_writer *w, const hv_frame *f) {
    int32_t W = f->width, H = f->height;
    size_t total = (size_t)W * H;
    uint8_t *bm = NULL;
    for (size_t i = 0; i < f->n_detections; i++) {
        const hv_mask *m = &f->detections[i].mask;
        if (!wanted(w, &f->detections[i]) || m->width != (uint32_t)W || m->height != (uint32_t)H) continue;
        if (!((m->format == HV_MASK_BITMAP && m->bitmap) || (m->format == HV_MASK_RLE && m->rle))) continue;
        if (!bm && !(bm = calloc(total, 1))) return NULL;
        if (m->format == HV_MASK_BITMAP) {
            for (size_t k = 0; k < total; k++) bm[k] |= m->bitmap[k] ? 1 : 0;
        } else {
            size_t pos = 0; /* column-major runs, background first */
            for (size_t r = 0; r < m->n_rle && pos < total; r++) {
                size_t run = m->rle[r];
                if (r & 1)
                    for (size_t k = 0; k < run && pos + k < total; k++) {
                        size_t p = pos + k;
                        bm[(p % (size_t)H) * (size_t)W + p / (size_t)H] = 1;
                    }
                pos += run;
            }
        }
    }
    return bm;
}

/* Mask as a transparent overlay: a faint green fill and an opaque 2-pixel outline. */
static uint8_t *mask_rgba(const uint8_t *bm, int W, int H) {
    uint8_t *px = calloc((size_t)W * H * 4, 1);
    if (!px) return NULL;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            if (!bm[(size_t)y * W + x]) continue;
            int edge = 0;
            for (int dy = -1; dy <= 1 && !edge; dy++)
                for (int dx = -1; dx <= 1 && !edge; dx++) {
                    int u = x + dx, v = y + dy;
                    edge = u < 0 || v < 0 || u >= W || v >= H || !bm[(size_t)v * W + u];
                }
            uint8_t *p = px + ((size_t)y * W + x) * 4;
            p[0] = edge ? 40 : 60;
            p[1] = edge ? 255 : 220;
            p[2] = edge ? 90 : 120;
            p[3] = edge ? 255 : 56;
        }
    return px;
}

/* Jet colour map (blue, cyan, yellow, red), as writer.overlay draws heat maps. */
static void jet(float v, float *rgb) {
    if (!(v >= 0)) v = 0;
    if (v > 1) v = 1;
    rgb[0] = fminf(fmaxf(1.5f - fabsf(4 * v - 3), 0), 1) * 255;
    rgb[1] = fminf(fmaxf(1.5f - fabsf(4 * v - 2), 0), 1) * 255;
    rgb[2] = fminf(fmaxf(1.5f - fabsf(4 * v - 1), 0), 1) * 255;
}

/* The frame blended with its heat map (bilinear at pixel centres). */
static uint8_t *cam_rgb(const rp_writer *w, const hv_frame *f) {
    int W = f->width, H = f->height;
    const hv_heatmap *h = &f->heatmap;
    uint8_t *px = malloc((size_t)W * H * 3);
    if (!px) return NULL;
    float a = (float)w->cam_alpha;
    for (int y = 0; y < H; y++) {
        float fy = ((float)y + 0.5f) * h->height / H - 0.5f;
        if (fy < 0) fy = 0;
        int y0 = (int)fy, y1 = y0 + 1 < (int)h->height ? y0 + 1 : y0;
        float ty = fy - y0;
        for (int x = 0; x < W; x++) {
            float fx = ((float)x + 0.5f) * h->width / W - 0.5f;
            if (fx < 0) fx = 0;
            int x0 = (int)fx, x1 = x0 + 1 < (int)h->width ? x0 + 1 : x0;
            float tx = fx - x0;
            const float *d = h->data;
            float v = (1 - ty) * ((1 - tx) * d[(size_t)y0 * h->width + x0] + tx * d[(size_t)y0 * h->width + x1]) +
                      ty * ((1 - tx) * d[(size_t)y1 * h->width + x0] + tx * d[(size_t)y1 * h->width + x1]);
            float c[3];
            jet(v, c);
            const uint8_t *s = f->rgb + ((size_t)y * W + x) * 3;
            uint8_t *o = px + ((size_t)y * W + x) * 3;
            for (int k = 0; k < 3; k++) o[k] = (uint8_t)lrintf(fminf(fmaxf(a * s[k] + (1 - a) * c[k], 0), 255));
        }
    }
    return px;
}

static hv_status write_images(rp_writer *w, const hv_frame *f, rp_rec *r) {
    char path[4200];
    int W = f->width, H = f->height;
    snprintf(path, sizeof path, "%s/%06llu.jpg", w->frames_dir, (unsigned long long)r->index);
    hv_status st = save_image(w, path, f->rgb, W, H, 3);
    if (st) return st;
    r->has_img = 1;
    uint8_t *bm = mask_union(w, f);
    if (bm) {
        uint8_t *px = mask_rgba(bm, W, H);
        free(bm);
        if (!px) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.report: out of memory");
        snprintf(path, sizeof path, "%s/%06llu.m.png", w->frames_dir, (unsigned long long)r->index);
        st = save_image(w, path, px, W, H, 4);
        free(px);
        if (st) return st;
        r->has_mask = 1;
    }
    if (f->heatmap.width && f->heatmap.height && f->heatmap.data) {
        uint8_t *px = cam_rgb(w, f);
        if (!px) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.report: out of memory");
        snprintf(path, sizeof path, "%s/%06llu.c.jpg", w->frames_dir, (unsigned long long)r->index);
        st = save_image(w, path, px, W, H, 3);
        free(px);
        if (st) return st;
        r->has_cam = 1;
    }
    return HV_OK;
}

static hv_status journal_write(rp_writer *w, const rp_rec *r) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.report: out of memory");
    cJSON_AddNumberToObject(o, "i", (double)r->index);
    if (isnan(r->time)) cJSON_AddNullToObject(o, "t");
    else cJSON_AddNumberToObject(o, "t", r->time);
    cJSON_AddNumberToObject(o, "p", (double)r->prob); /* %.17g: reads back bit-exact as a float */
    if (r->flagged) {
        cJSON_AddNumberToObject(o, "fl", 1);
        cJSON_AddNumberToObject(o, "img", r->has_img);
        cJSON_AddNumberToObject(o, "m", r->has_mask);
        cJSON_AddNumberToObject(o, "c", r->has_cam);
        cJSON_AddNumberToObject(o, "w", r->width);
        cJSON_AddNumberToObject(o, "h", r->height);
        cJSON *d = cJSON_AddArrayToObject(o, "d");
        for (uint32_t k = 0; k < r->n_box; k++) {
            const rp_box *b = &r->boxes[k];
            double v[6] = {b->x1, b->y1, b->x2, b->y2, b->score, b->label};
            cJSON_AddItemToArray(d, cJSON_CreateDoubleArray(v, 6));
        }
    }
    if (r->key) cJSON_AddStringToObject(o, "k", r->key);
    if (r->path) cJSON_AddStringToObject(o, "f", r->path);
    return xj_write(&w->journal, o);
}

static hv_status frame_record(rp_writer *w, const hv_frame *f, rp_rec *r) {
    memset(r, 0, sizeof *r);
    r->index = f->id;
    if (!hv_frame_time(f, &r->time)) r->time = NAN;
    int decided = 0;
    double best = 0, p = xj_class_probability(f, w->positive, &decided);
    uint32_t n_det = 0;
    for (size_t k = 0; k < f->n_detections; k++)
        if (wanted(w, &f->detections[k])) {
            n_det++;
            if (f->detections[k].score > best) best = f->detections[k].score;
        }
    if (w->source == RP_PROB_DET) p = best;
    else if (w->source == RP_PROB_MAX && best > p) p = best;
    r->prob = isfinite(p) ? (float)p : 0.0f;
    r->flagged = !f->dropped && (decided || n_det > 0);
    if (!xj_dup(hv_output_frame_key(f), &r->key) || !xj_dup(f->path, &r->path)) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.report: out of memory");
    if (!r->flagged) return HV_OK;
    r->width = f->width;
    r->height = f->height;
    if (n_det && !(r->boxes = calloc(n_det, sizeof *r->boxes))) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.report: out of memory");
    for (size_t k = 0; k < f->n_detections; k++) {
        const hv_detection *d = &f->detections[k];
        if (!wanted(w, d)) continue;
        r->boxes[r->n_box++] = (rp_box){d->x1, d->y1, d->x2, d->y2, d->score, d->label};
    }
    if (f->rgb && f->width > 0 && f->height > 0) return write_images(w, f, r);
    return HV_OK;
}

static hv_status rp_process(void *instance, hv_frame *const *frames, size_t n) {
    rp_writer *w = instance;
    hv_status st = HV_OK;
    for (size_t i = 0; i < n && !st; i++) {
        rp_rec r;
        if ((st = frame_record(w, frames[i], &r)) || (st = push_rec(w, &r))) {
            rec_free(&r);
            break;
        }
        st = journal_write(w, &w->recs[w->n - 1]);
    }
    if (st) return hv_error_context(st, "writer.report '%s'", w->id);
    return xj_flush(&w->journal);
}

/* ---- the end of the run: the page ------------------------------------------------------------------ */

static int cmp_rec(const void *a, const void *b) {
    const rp_rec *x = a, *y = b;
    if (x->index != y->index) return x->index < y->index ? -1 : 1;
    return x->arrival < y->arrival ? -1 : x->arrival > y->arrival;
}

static int same_index(const void *a, const void *b) { return ((const rp_rec *)a)->index == ((const rp_rec *)b)->index; }

static void rec_free_any(void *r) { rec_free(r); }

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s && s[1] ? s + 1 : path;
}

/* The first "# " heading of a model card (NULL when there is none). */
static char *card_title(const char *card) {
    FILE *f = fopen(card, "r");
    if (!f) return NULL;
    char line[512];
    char *title = NULL;
    while (!title && fgets(line, sizeof line, f))
        if (line[0] == '#' && line[1] == ' ') {
            line[strcspn(line, "\r\n")] = '\0';
            title = strdup(line + 2);
        }
    fclose(f);
    return title;
}

/* The models of one stage: every `weights: {params: {path}}` and `model:` found in its params (a TTA
 * wraps its classifier's params one level deeper), as <li> items. */
static void stage_models(FILE *f, const char *stage_id, const char *component, const hv_config_node *node, int depth) {
    if (!node || depth > 6 || hv_config_kind_of(node) != HV_CONFIG_MAP) return;
    const hv_config_node *weights = hv_config_get(node, "weights");
    const hv_config_node *wp = weights ? hv_config_get(hv_config_get(weights, "params"), "path") : NULL;
    char *resolved = NULL;
    if (wp && hv_config_kind_of(wp) == HV_CONFIG_SCALAR && hv_config_resolve_path(wp, &resolved) == HV_OK && resolved) {
        const char *model = hv_config_text(hv_config_get(node, "model"));
        char card[4200];
        snprintf(card, sizeof card, "%s", resolved);
        char *slash = strrchr(card, '/');
        snprintf(slash ? slash + 1 : card, sizeof card - (size_t)(slash ? slash + 1 - card : 0), "MODEL_CARD.md");
        struct stat sb;
        int has_card = stat(card, &sb) == 0;
        char *title = has_card ? card_title(card) : NULL;
        fputs("<li><b>", f);
        rp_html(f, stage_id);
        fputs("</b> <span class=\"muted\">", f);
        rp_html(f, component);
        if (model) {
            fputs(" · ", f);
            rp_html(f, model);
        }
        fputs("</span> — ", f);
        if (has_card) {
            fputs("<a href=\"file://", f);
            rp_url_path(f, card);
            fputs("\">", f);
            rp_html(f, title ? title : "model card");
            fputs("</a>", f);
        } else {
            fputs("<span class=\"muted\">no model card</span>", f);
        }
        fputs(" <span class=\"path\">", f);
        rp_html(f, base_name(slash ? (*slash = '\0', card) : card));
        fputs("/", f);
        rp_html(f, base_name(resolved));
        fputs("</span></li>", f);
        free(title);
        free(resolved);
        return;
    }
    free(resolved);
    for (size_t i = 0; i < hv_config_size(node); i++) {
        const char *k = hv_config_key_at(node, i);
        if (k && (!strcmp(k, "params") || !strcmp(k, "stage")))
            stage_models(f, stage_id, component, hv_config_value_at(node, i), depth + 1);
    }
}

/* Pipeline name, file and model list from the pipeline's own config tree (the writer's params hang in it). */
static void pipeline_info(const rp_writer *w, rp_header *h, char **models_html) {
    const hv_config_node *root = w->params, *up;
    while ((up = hv_config_parent(root))) root = up;
    h->pipeline_file = hv_config_file(w->params);
    h->pipeline = hv_config_text(hv_config_get(root, "name"));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return;
    const hv_config_node *stages = hv_config_get(root, "stages");
    for (size_t i = 0; stages && i < hv_config_size(stages); i++) {
        const hv_config_node *s = hv_config_item(stages, i);
        stage_models(f, hv_config_text(hv_config_get(s, "id")), hv_config_text(hv_config_get(s, "component")), s, 0);
    }
    if (fclose(f) == 0) *models_html = text;
    else free(text);
}

static void header_info(const rp_writer *w, rp_header *h, char **folder, char **models_html) {
    memset(h, 0, sizeof *h);
    *folder = w->n ? xj_input_root(w->recs[0].path, w->recs[0].key) : strdup("");
    h->folder = *folder ? *folder : "";
    h->exam = w->exam ? w->exam : *h->folder ? base_name(h->folder) : "exam";
    pipeline_info(w, h, models_html);
    h->models_html = *models_html;
    h->version = w->host && w->host->host_version ? w->host->host_version : "?";
    h->device = "none (host-only stages)";
    if (w->host && w->host->struct_size >= offsetof(hv_host_api, device) + sizeof w->host->device && w->host->device) {
        hv_device *dev = w->host->device(w->host);
        const hv_device_info *di = dev ? hv_device_get_info(dev) : NULL;
        if (di) h->device = di->name;
    }
    time_t now = time(NULL);
    struct tm tm;
    if (localtime_r(&now, &tm)) strftime(h->date, sizeof h->date, "%Y-%m-%d %H:%M %z", &tm);
}

static hv_status rp_flush(void *instance) {
    rp_writer *w = instance;
    hv_status st = xj_flush(&w->journal);
    if (st) return st;
    w->n = xj_exam_order(w->recs, w->n, sizeof *w->recs, cmp_rec, same_index, rec_free_any);
    /* as writer.events: the frames the output saw, in index order (source.every: N keeps sparse indices) */
    uint64_t base = w->n ? w->recs[0].index : 0;
    size_t span = w->n;
    const rp_rec **dense = calloc(span ? span : 1, sizeof *dense);
    float *p = calloc(span ? span : 1, sizeof *p);
    ev_event *ev = NULL;
    size_t n_ev = 0;
    if (!dense || !p) st = hv_error(HV_ERR_OUT_OF_MEMORY, "writer.report: out of memory for %zu frames", span);
    for (size_t i = 0; !st && i < w->n; i++) {
        dense[i] = &w->recs[i];
        p[i] = w->recs[i].prob;
    }
    if (!st) {
        int rc = ev_group(p, span, &w->ev, NULL, &ev, &n_ev);
        if (rc) st = hv_error(rc == -2 ? HV_ERR_OUT_OF_MEMORY : HV_ERR_INVALID_ARGUMENT, "writer.report '%s': grouping failed", w->id);
    }
    char *html = NULL, *folder = NULL, *models = NULL;
    size_t n_flagged = 0;
    if (!st) {
        rp_header h;
        header_info(w, &h, &folder, &models);
        rp_exam x = {w->recs, w->n, dense, p, span, base, ev, n_ev, &w->ev, (uint32_t)w->page_size, w->mm_per_pixel};
        for (size_t i = 0; i < w->n; i++) n_flagged += w->recs[i].flagged;
        if (!(html = rp_render(&h, &x))) st = hv_error(HV_ERR_OUT_OF_MEMORY, "writer.report: out of memory");
    }
    if (!st) {
        char *path = join(w->dir, "index.html");
        st = path ? hv_output_write_file(path, html, strlen(html), w->sync) : hv_error(HV_ERR_OUT_OF_MEMORY, "writer.report: out of memory");
        if (!st)
            hv_log_info("writer.report '%s': %zu frame%s, %zu flagged, %zu bleeding event%s: %s", w->id, w->n,
                        w->n == 1 ? "" : "s", n_flagged, n_ev, n_ev == 1 ? "" : "s", path);
        free(path);
    }
    free(html);
    free(folder);
    free(models);
    free(ev);
    free(dense);
    free(p);
    return st ? hv_error_context(st, "writer.report '%s'", w->id) : HV_OK;
}

const hv_stage_vtable rp_writer_vtable = {
    .struct_size = sizeof(hv_stage_vtable),
    .create = rp_create,
    .process = rp_process,
    .flush = rp_flush,
    .destroy = rp_destroy,
};
