/* writer.coco — MMDetection-style COCO results files for evaluation with pycocotools (MODEL_SPEC §5.10
 * step 5, §9.2): "<prefix>.bbox.json" ([{image_id, bbox: [x, y, w, h], score, category_id}], bbox without
 * +1) and "<prefix>.segm.json" (the same plus an RLE "segmentation" of each detection's mask at frame
 * size), written at the end of the run (flush) through hemovk/detect.h's hv_coco_writer (numbers as
 * Python's repr, mmdet key order). The prefix is the output's `path` (default "results" in the output
 * folder).
 *
 * Image ids are unique and deterministic. With a COCO ground-truth file (`ground_truth`) they are its
 * ids, its file_name matched against the frame's key (its path relative to the input root: see
 * writer.jsonl), then its path, then its base name when only one ground-truth image has that base name
 * (WCEBleedGen repeats each name in both class folders) — a frame the file lacks is skipped with a
 * warning, or fails the run with `unknown_images: error`. Without one, a frame's id is its index in the
 * sorted input + 1 (stable across --resume and whatever frames a `when` routes here), and
 * "<prefix>.images.json" lists {id, file_name: the key, width, height} so ids can be matched to files.
 * Category ids: `category_ids[label]`; default the ground truth's categories in file order, else label + 1.
 * Scores: a fused detection's exact double score when its stage left "<model>.scores" in the metadata
 * (the ensemble does), else the float score as mmdet's float(score).
 *
 * Durability: after every batch the frames of that batch are appended to "<prefix>.partial" (one JSON
 * line per frame, flushed, every write checked), so a killed run keeps its results; scores are written
 * there with %.17g so they read back bit-exact. With --resume the partial file is read back first (a torn
 * last line is dropped and the file rewritten whole; a frame done again replaces its earlier line), and
 * the final files are written (to temporary names, then renamed) at the end of every run. The partial
 * file stays after a run that finished: it is the writer's journal, and a later --resume (of a finished
 * run, or one whose input folder grew) rebuilds the final files from it. Removing it there made such a
 * resume rewrite them empty — every earlier result gone (found when a fast CPU-backend run finished
 * before the kill-9 test's kill).
 *
 * Memory: the partial file is also the store. Only {frame id, arrival, offset of its line} stay in memory
 * (24 bytes a frame); flush sorts those and reads each frame's line back. Keeping every frame's
 * detections and RLE strings instead grew a run by ~15 KB a frame (+30 MB over 2,000 frames of the
 * plumbing demo; a 100,000-frame exam would have held gigabytes) — bench/soak.sh measures it. */
#include "fusion_plugin.h"

#include "hemovk/config.h"
#include "hemovk/detect.h"
#include "hemovk/output.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char fu_coco_schema[] =
    "type: object\n"
    "additionalProperties: false\n"
    "description: COCO results files <path>.bbox.json and <path>.segm.json (path default results in the output folder)\n"
    "properties:\n"
    "  ground_truth:\n"
    "    type: string\n"
    "    minLength: 1\n"
    "    description: COCO ground-truth JSON giving the image ids (by file_name); relative to this pipeline file's folder\n"
    "  unknown_images:\n"
    "    enum: [skip, error]\n"
    "    default: skip\n"
    "    description: a frame the ground truth does not list is skipped with a warning, or stops the run\n"
    "  models:\n"
    "    type: array\n"
    "    items: {type: string, minLength: 1, maxLength: 63}\n"
    "    description: write only detections with these model tags (e.g. [ensemble]); default all\n"
    "  category_ids:\n"
    "    type: array\n"
    "    minItems: 1\n"
    "    items: {type: integer}\n"
    "    description: COCO category id of each label index; default the ground truth's categories in order, else label + 1\n"
    "  segm:\n"
    "    type: boolean\n"
    "    default: true\n"
    "    description: also write <path>.segm.json with the RLE masks (detections without a mask are left out of it)\n"
    "  sync:\n"
    "    type: boolean\n"
    "    default: false\n"
    "    description: fsync the partial file after every batch (survives a power cut, slower)\n";

typedef struct coco_det {
    float box[4];
    double score;
    int32_t label;
    char *counts; /* compressed RLE string, NULL without a mask */
} coco_det;

typedef struct coco_frame {
    uint64_t id;
    uint64_t seq; /* arrival order: of two records of one frame (redone after --resume) the later wins */
    char *path;
    char *key;    /* relative to the input root (HV_FRAME_KEY_META) */
    int32_t width, height;
    size_t n;
    coco_det *dets;
} coco_frame;

/* Where a frame's line is in the partial file. */
typedef struct coco_index {
    uint64_t id;
    uint64_t seq; /* arrival order: of two records of one frame (redone after --resume) the later wins */
    long offset;
} coco_index;

typedef struct coco_writer {
    const char *id;
    char *prefix, *partial_path, *gt_path;
    int unknown_error, segm, sync;
    const hv_config_node *models; /* NULL: all */
    int64_t *cat_ids;
    size_t n_cat_ids;
    hv_coco_writer *coco; /* created at create(): validates the ground truth early */
    FILE *partial;
    coco_index *frames;
    size_t n_frames, cap_frames;
    uint64_t seq;
} coco_writer;

static void frame_free(coco_frame *r) {
    for (size_t i = 0; i < r->n; i++) free(r->dets[i].counts);
    free(r->dets);
    free(r->path);
    free(r->key);
    memset(r, 0, sizeof *r);
}

static void coco_destroy(void *instance) {
    coco_writer *w = instance;
    if (!w) return;
    if (w->partial) fclose(w->partial);
    free(w->frames);
    hv_coco_writer_free(w->coco);
    free(w->cat_ids);
    free(w->prefix);
    free(w->partial_path);
    free(w->gt_path);
    free(w);
}

/* Note where frame `id`'s line starts in the partial file (duplicates of a frame redone after --resume
 * are resolved at flush: frame ids are stable across resumes, and the later record wins). */
static hv_status keep_frame(coco_writer *w, uint64_t id, long offset) {
    if (w->n_frames == w->cap_frames) {
        size_t cap = w->cap_frames ? w->cap_frames * 2 : 256;
        coco_index *g = realloc(w->frames, cap * sizeof *g);
        if (!g) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.coco: out of memory");
        w->frames = g;
        w->cap_frames = cap;
    }
    w->frames[w->n_frames++] = (coco_index){id, w->seq++, offset};
    return HV_OK;
}

/* Category ids of the ground truth's "categories", in file order (mmdet: label i -> i-th category). */
static hv_status gt_categories(coco_writer *w) {
    FILE *f = fopen(w->gt_path, "rb");
    if (!f) return hv_error(HV_ERR_IO, "writer.coco '%s': cannot open ground truth %s: %s", w->id, w->gt_path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
    size_t got = text ? fread(text, 1, (size_t)n, f) : 0;
    fclose(f);
    if (!text) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.coco: out of memory reading %s", w->gt_path);
    text[got] = '\0';
    cJSON *root = cJSON_Parse(text);
    free(text);
    const cJSON *cats = cJSON_GetObjectItemCaseSensitive(root, "categories");
    int n_cats = cJSON_IsArray(cats) ? cJSON_GetArraySize(cats) : 0;
    if (n_cats > 0 && (w->cat_ids = malloc((size_t)n_cats * sizeof *w->cat_ids))) {
        const cJSON *c;
        cJSON_ArrayForEach(c, cats) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
            if (cJSON_IsNumber(id)) w->cat_ids[w->n_cat_ids++] = (int64_t)id->valuedouble;
        }
    }
    cJSON_Delete(root);
    return HV_OK;
}

/* One line of the partial file back into a record; HV_ERR_PARSE for a torn or foreign line. */
static hv_status parse_line(const char *line, coco_frame *r) {
    memset(r, 0, sizeof *r);
    cJSON *o = cJSON_Parse(line);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id"), *path = cJSON_GetObjectItemCaseSensitive(o, "path"),
                *wd = cJSON_GetObjectItemCaseSensitive(o, "width"), *ht = cJSON_GetObjectItemCaseSensitive(o, "height"),
                *dets = cJSON_GetObjectItemCaseSensitive(o, "dets");
    hv_status st = HV_ERR_PARSE;
    /* the file may be a killed run's: numbers in range before they are converted */
    if (!cJSON_IsNumber(id) || !(id->valuedouble >= 0 && id->valuedouble <= 9007199254740992.0) || !cJSON_IsString(path) ||
        !cJSON_IsNumber(wd) || !(wd->valuedouble >= 0 && wd->valuedouble <= 1e6) || !cJSON_IsNumber(ht) ||
        !(ht->valuedouble >= 0 && ht->valuedouble <= 1e6) || !cJSON_IsArray(dets))
        goto done;
    r->id = (uint64_t)id->valuedouble;
    r->width = (int32_t)wd->valuedouble;
    r->height = (int32_t)ht->valuedouble;
    if (!(r->path = strdup(path->valuestring))) goto done;
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(o, "key");
    if (!(r->key = strdup(cJSON_IsString(key) ? key->valuestring : path->valuestring))) goto done;
    int n = cJSON_GetArraySize(dets);
    if (n > 0 && !(r->dets = calloc((size_t)n, sizeof *r->dets))) goto done;
    const cJSON *d;
    cJSON_ArrayForEach(d, dets) {
        const cJSON *box = cJSON_GetObjectItemCaseSensitive(d, "box"), *sc = cJSON_GetObjectItemCaseSensitive(d, "score"),
                    *lb = cJSON_GetObjectItemCaseSensitive(d, "label"), *cn = cJSON_GetObjectItemCaseSensitive(d, "counts");
        if (!cJSON_IsArray(box) || cJSON_GetArraySize(box) != 4 || !cJSON_IsNumber(sc) || !cJSON_IsNumber(lb) ||
            !(lb->valuedouble >= -2147483648.0 && lb->valuedouble <= 2147483647.0))
            goto done;
        coco_det *c = &r->dets[r->n++];
        for (int k = 0; k < 4; k++) c->box[k] = (float)cJSON_GetArrayItem(box, k)->valuedouble;
        c->score = sc->valuedouble;
        c->label = (int32_t)lb->valuedouble;
        if (cJSON_IsString(cn) && !(c->counts = strdup(cn->valuestring))) goto done;
    }
    st = HV_OK;
done:
    cJSON_Delete(o);
    if (st) frame_free(r);
    return st;
}

static char *frame_line(const coco_frame *r);
static hv_status write_lines(coco_writer *w, const coco_frame *const *rs, size_t n);

/* --resume: read the partial file back and write its whole, readable records again as a new partial file
 * (always: a torn last line left in place would swallow the next record appended after it), noting where
 * each now is. Leaves w->partial open on the new file, positioned at its end. */
static hv_status resume_partial(coco_writer *w) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", w->partial_path);
    if (!(w->partial = fopen(tmp, "w+b"))) return hv_output_error(tmp, errno);
    FILE *f = fopen(w->partial_path, "rb");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    size_t loaded = 0, torn = 0;
    hv_status st = HV_OK;
    while (f && !st && (len = getline(&line, &cap, f)) >= 0) {
        coco_frame r;
        if (len == 0 || line[len - 1] != '\n' || parse_line(line, &r)) { /* a kill mid-line: that frame is redone */
            torn++;
            continue;
        }
        long at = ftell(w->partial);
        const coco_frame *one = &r;
        if (at < 0) st = hv_output_error(tmp, errno);
        if (!st) st = write_lines(w, &one, 1);
        if (!st) st = keep_frame(w, r.id, at);
        frame_free(&r);
        loaded++;
    }
    free(line);
    if (f) fclose(f);
    if (st) return st;
    if (rename(tmp, w->partial_path)) return hv_output_error(w->partial_path, errno);
    if (torn) hv_log_warn("writer.coco '%s': %zu unreadable line(s) in %s ignored (a killed run); those frames are redone", w->id, torn, w->partial_path);
    hv_log_info("writer.coco '%s': resumed %zu frame(s) from %s", w->id, loaded, w->partial_path);
    return HV_OK;
}

static hv_status coco_create(const hv_create_info *info, void **instance) {
    coco_writer *w = calloc(1, sizeof *w);
    if (!w) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.coco: out of memory");
    w->id = info->instance_id;
    const hv_config_node *P = info->params;
    const char *unknown = NULL, *gt = NULL;
    hv_status st = hv_config_need_string(P, "unknown_images", &unknown);
    /* no schema default: absent (NULL, never a path: minLength 1) means no ground truth (image ids: frame id + 1) */
    if (!st) st = hv_config_get_string(P, "ground_truth", NULL, &gt);
    if (!st) st = hv_config_need_bool(P, "segm", &w->segm);
    if (!st) st = hv_config_need_bool(P, "sync", &w->sync);
    if (!st) st = hv_writer_output_path(info, "writer.coco", "results", &w->prefix);
    if (!st) st = hv_mkdirs_for(w->prefix);
    if (st) goto fail;
    w->unknown_error = !strcmp(unknown, "error");
    w->models = hv_config_get(P, "models");
    size_t n = strlen(w->prefix) + 16;
    if (!(w->partial_path = malloc(n))) {
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "writer.coco: out of memory");
        goto fail;
    }
    snprintf(w->partial_path, n, "%s.partial", w->prefix);
    if (gt) {
        if ((st = hv_config_resolve_path(hv_config_get(P, "ground_truth"), &w->gt_path))) goto fail;
        if ((st = hv_coco_writer_create(w->gt_path, &w->coco))) {
            st = hv_error_context(st, "writer.coco '%s': ground_truth %s", w->id, w->gt_path);
            goto fail;
        }
        if ((st = gt_categories(w))) goto fail;
    } else if ((st = hv_coco_writer_create(NULL, &w->coco))) {
        goto fail;
    }
    const hv_config_node *cats = hv_config_get(P, "category_ids");
    if (cats) {
        free(w->cat_ids);
        w->n_cat_ids = 0;
        if (!(w->cat_ids = malloc(hv_config_size(cats) * sizeof *w->cat_ids))) {
            st = hv_error(HV_ERR_OUT_OF_MEMORY, "writer.coco: out of memory");
            goto fail;
        }
        for (size_t i = 0; i < hv_config_size(cats); i++)
            if ((st = hv_config_as_int(hv_config_item(cats, i), &w->cat_ids[w->n_cat_ids++]))) goto fail;
    }
    int resume = HV_CREATE_INFO_HAS(info, resume) && info->resume;
    if (resume) {
        if ((st = resume_partial(w))) goto fail;
    } else if (!(w->partial = fopen(w->partial_path, "w+b"))) { /* read back at flush */
        st = hv_error_context(hv_output_error(w->partial_path, errno), "writer.coco '%s'", w->id);
        goto fail;
    }
    *instance = w;
    return HV_OK;
fail:
    coco_destroy(w);
    return st;
}

static int wanted(const coco_writer *w, const char *model) {
    if (!w->models) return 1;
    for (size_t i = 0; i < hv_config_size(w->models); i++) {
        const char *m = hv_config_text(hv_config_item(w->models, i));
        if (m && !strcmp(m, model)) return 1;
    }
    return 0;
}

/* The exact score of detection i: its model's "<model>.scores" metadata entry when it lists one score per
 * detection of that model, else the float score. */
static double exact_score(const hv_frame *f, size_t i) {
    const hv_detection *d = &f->detections[i];
    char key[HV_FRAME_NAME_MAX + 8];
    snprintf(key, sizeof key, "%s.scores", d->model);
    const char *v = hv_frame_get_meta(f, key);
    if (!v) return (double)d->score;
    size_t rank = 0, total = 0;
    for (size_t j = 0; j < f->n_detections; j++)
        if (!strcmp(f->detections[j].model, d->model)) {
            if (j < i) rank++;
            total++;
        }
    double value = (double)d->score;
    size_t k = 0;
    for (const char *p = v; *p;) {
        char *end;
        double x = strtod(p, &end);
        if (end == p) return (double)d->score;
        if (k == rank) value = x;
        k++;
        p = end;
        while (*p == ' ') p++;
    }
    /* only trust the list when it matches the detections and agrees with the float score */
    return (k == total && (float)value == d->score) ? value : (double)d->score;
}

static hv_status record_frame(coco_writer *w, const hv_frame *f, coco_frame *r) {
    memset(r, 0, sizeof *r);
    r->id = f->id;
    r->width = f->width;
    r->height = f->height;
    if (!(r->path = strdup(f->path ? f->path : "")) || !(r->key = strdup(hv_output_frame_key(f))))
        return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.coco: out of memory");
    if (f->dropped || !f->n_detections) return HV_OK;
    if (!(r->dets = calloc(f->n_detections, sizeof *r->dets))) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.coco: out of memory");
    for (size_t i = 0; i < f->n_detections; i++) {
        const hv_detection *d = &f->detections[i];
        if (!wanted(w, d->model)) continue;
        coco_det *c = &r->dets[r->n++];
        c->box[0] = d->x1, c->box[1] = d->y1, c->box[2] = d->x2, c->box[3] = d->y2;
        c->score = exact_score(f, i);
        c->label = d->label;
        if (!w->segm || d->mask.format == HV_MASK_NONE) continue;
        hv_rle rle = {0};
        hv_status st;
        if (d->mask.format == HV_MASK_RLE && d->mask.rle) {
            rle = (hv_rle){.h = d->mask.height, .w = d->mask.width, .n = d->mask.n_rle, .counts = d->mask.rle};
            st = hv_rle_to_string(&rle, &c->counts);
        } else if (d->mask.format == HV_MASK_BITMAP && d->mask.bitmap) {
            st = hv_rle_encode(d->mask.bitmap, d->mask.height, d->mask.width, &rle);
            if (!st) st = hv_rle_to_string(&rle, &c->counts);
            hv_rle_free(&rle);
        } else {
            continue;
        }
        if (st) return hv_error_context(st, "writer.coco: mask of detection %zu of %s", i, r->path);
        if (d->mask.width != (uint32_t)f->width || d->mask.height != (uint32_t)f->height) {
            hv_log_warn("writer.coco: %s: detection %zu has a %ux%u mask on a %dx%d frame; its segm entry is left out",
                        r->path, i, d->mask.width, d->mask.height, f->width, f->height);
            free(c->counts);
            c->counts = NULL;
        }
    }
    return HV_OK;
}

static char *frame_line(const coco_frame *r) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddNumberToObject(o, "id", (double)r->id);
    cJSON_AddStringToObject(o, "path", r->path);
    cJSON_AddStringToObject(o, "key", r->key);
    cJSON_AddNumberToObject(o, "width", r->width);
    cJSON_AddNumberToObject(o, "height", r->height);
    cJSON *dets = cJSON_AddArrayToObject(o, "dets");
    for (size_t i = 0; dets && i < r->n; i++) {
        const coco_det *c = &r->dets[i];
        cJSON *d = cJSON_CreateObject();
        if (!d) break;
        cJSON_AddItemToArray(dets, d);
        cJSON *box = cJSON_AddArrayToObject(d, "box");
        /* %.17g (9 digits would do for the float boxes): cJSON's own printer settles for 15 digits when
         * its tolerant round-trip check passes, and the last digit of a score was lost on resume. */
        char num[40];
        for (int k = 0; box && k < 4; k++) {
            snprintf(num, sizeof num, "%.17g", (double)c->box[k]);
            cJSON_AddItemToArray(box, cJSON_CreateRaw(num));
        }
        snprintf(num, sizeof num, "%.17g", c->score);
        cJSON_AddItemToObject(d, "score", cJSON_CreateRaw(num));
        cJSON_AddNumberToObject(d, "label", c->label);
        if (c->counts) cJSON_AddStringToObject(d, "counts", c->counts);
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static hv_status write_lines(coco_writer *w, const coco_frame *const *rs, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char *s = frame_line(rs[i]);
        if (!s) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.coco: out of memory");
        int bad = fputs(s, w->partial) < 0 || fputc('\n', w->partial) == EOF;
        free(s);
        if (bad) return hv_output_error(w->partial_path, errno);
    }
    return hv_output_flush(w->partial, w->partial_path, w->sync);
}

static hv_status coco_process(void *instance, hv_frame *const *frames, size_t n) {
    coco_writer *w = instance;
    hv_status st = HV_OK;
    for (size_t i = 0; i < n && !st; i++) {
        coco_frame r;
        const coco_frame *one = &r;
        long at = ftell(w->partial);
        st = at < 0 ? hv_output_error(w->partial_path, errno) : record_frame(w, frames[i], &r);
        if (!st) st = write_lines(w, &one, 1);
        if (!st) st = keep_frame(w, r.id, at);
        frame_free(&r);
    }
    return st ? hv_error_context(st, "writer.coco '%s'", w->id) : HV_OK;
}

static int by_id(const void *a, const void *b) {
    const coco_index *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Write `text` to "<prefix><suffix>" through a temporary file, every write checked. */
static hv_status save_text(const coco_writer *w, const char *suffix, const char *text) {
    char path[4200];
    snprintf(path, sizeof path, "%s%s", w->prefix, suffix);
    return hv_output_write_file(path, text, strlen(text), 0);
}

static hv_status coco_flush(void *instance) {
    coco_writer *w = instance;
    qsort(w->frames, w->n_frames, sizeof *w->frames, by_id);
    cJSON *images = w->gt_path ? NULL : cJSON_CreateArray();
    size_t skipped = 0, written = 0;
    hv_status st = hv_output_flush(w->partial, w->partial_path, 0);
    char *line = NULL;
    size_t line_cap = 0;
    coco_frame rec;
    memset(&rec, 0, sizeof rec);
    const coco_frame *r = &rec;
    for (size_t i = 0; i < w->n_frames && !st; i++) {
        if (i + 1 < w->n_frames && w->frames[i + 1].id == w->frames[i].id) continue; /* superseded by a later record */
        frame_free(&rec);
        if (fseek(w->partial, w->frames[i].offset, SEEK_SET) != 0 || getline(&line, &line_cap, w->partial) < 0) {
            st = hv_error(HV_ERR_IO, "writer.coco '%s': cannot read back frame %llu from %s: %s", w->id,
                          (unsigned long long)w->frames[i].id, w->partial_path, strerror(errno));
            break;
        }
        if (parse_line(line, &rec)) {
            st = hv_error(HV_ERR_INTERNAL, "writer.coco '%s': the record of frame %llu in %s does not read back", w->id,
                          (unsigned long long)w->frames[i].id, w->partial_path);
            break;
        }
        int64_t image_id = (int64_t)r->id + 1;
        st = w->gt_path ? hv_coco_writer_image_id(w->coco, r->key, &image_id) : HV_OK;
        if (st == HV_ERR_NOT_FOUND && strcmp(r->key, r->path)) st = hv_coco_writer_image_id(w->coco, r->path, &image_id);
        if (st == HV_ERR_NOT_FOUND && !w->unknown_error) {
            if (r->n) hv_log_warn("writer.coco '%s': %s is not in %s: its %zu result(s) are not written", w->id, r->path,
                                  w->gt_path, r->n);
            skipped++;
            st = HV_OK;
            continue;
        }
        if (st) break;
        written++;
        if (images) {
            cJSON *im = cJSON_CreateObject();
            cJSON_AddNumberToObject(im, "id", (double)image_id);
            cJSON_AddStringToObject(im, "file_name", r->key);
            cJSON_AddNumberToObject(im, "width", r->width);
            cJSON_AddNumberToObject(im, "height", r->height);
            cJSON_AddItemToArray(images, im);
        }
        for (size_t k = 0; k < r->n && !st; k++) {
            const coco_det *c = &r->dets[k];
            int64_t cat = c->label + 1;
            if (w->cat_ids) {
                if (c->label < 0 || (size_t)c->label >= w->n_cat_ids) {
                    st = hv_error(HV_ERR_INVALID_ARGUMENT,
                                  "writer.coco '%s': %s: label %d has no category id (category_ids / the ground truth's "
                                  "categories list %zu)", w->id, r->path, c->label, w->n_cat_ids);
                    break;
                }
                cat = w->cat_ids[c->label];
            }
            hv_box box = {c->box[0], c->box[1], c->box[2], c->box[3]};
            st = hv_coco_writer_add_bbox(w->coco, image_id, (int32_t)cat, &box, c->score);
            if (!st && c->counts) {
                hv_rle rle = {0};
                st = hv_rle_from_string(c->counts, (uint32_t)r->height, (uint32_t)r->width, &rle);
                if (!st) st = hv_coco_writer_add_segm(w->coco, image_id, (int32_t)cat, &box, c->score, &rle);
                hv_rle_free(&rle);
            }
        }
    }
    frame_free(&rec);
    free(line);
    if (!st && fseek(w->partial, 0, SEEK_END) != 0) st = hv_output_error(w->partial_path, errno); /* appends go on at the end */
    char *text = NULL;
    if (!st) st = hv_coco_writer_to_string(w->coco, false, &text);
    if (!st) st = save_text(w, ".bbox.json", text);
    free(text);
    text = NULL;
    if (!st && w->segm) st = hv_coco_writer_to_string(w->coco, true, &text);
    if (!st && w->segm) st = save_text(w, ".segm.json", text);
    free(text);
    text = NULL;
    if (!st && images) {
        if (!(text = cJSON_PrintUnformatted(images))) st = hv_error(HV_ERR_OUT_OF_MEMORY, "writer.coco: out of memory");
        if (!st) st = save_text(w, ".images.json", text);
        free(text);
    }
    cJSON_Delete(images);
    if (st) return hv_error_context(st, "writer.coco '%s'", w->id);
    /* the partial file stays: the journal a later --resume reads (see the top of this file) */
    hv_log_info("writer.coco '%s': %zu bbox and %zu segm result(s) of %zu frame(s) written to %s.{bbox,segm}.json%s", w->id,
                hv_coco_writer_count(w->coco, false), hv_coco_writer_count(w->coco, true), written, w->prefix,
                skipped ? " (frames missing from the ground truth skipped)" : "");
    return HV_OK;
}

const hv_stage_vtable fu_coco_vtable = {
    .struct_size = sizeof(hv_stage_vtable),
    .create = coco_create,
    .process = coco_process,
    .flush = coco_flush,
    .destroy = coco_destroy,
};
