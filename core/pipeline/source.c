/* The host side of a SOURCE component (see source.h and the protocol in hemovk/plugin.h). */
#include "pipeline/source.h"

#include "hemovk/config.h"
#include "hemovk/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct pl_source {
    hv_stage *stage;
    hv_config_node *params;
    char *path;
    const char *name;       /* base name of path: the keys' prefix */
    uint64_t every;
    uint64_t end_id;        /* numbers >= this are not wanted (--limit); UINT64_MAX: none */
    double fps;
    pl_path_set done;
    uint64_t cursor;        /* next candidate number */
    uint64_t wanted, skipped;
    uint64_t declared;      /* frames the container declares (0: unknown) */
    int ended;
};

int pl_is_video_file(const char *path) {
    struct stat sb;
    if (!path || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) return 0;
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    unsigned char m[12] = {0};
    size_t n = fread(m, 1, sizeof m, f);
    fclose(f);
    if (n < 12) return 0;
    if (!memcmp(m, "RIFF", 4) && !memcmp(m + 8, "AVI ", 4)) return 1;           /* AVI */
    if (!memcmp(m + 4, "ftyp", 4)) return 1;                                      /* MP4, MOV */
    if (m[0] == 0x1A && m[1] == 0x45 && m[2] == 0xDF && m[3] == 0xA3) return 1;  /* Matroska, WebM */
    return 0;
}

static hv_status make_params(const char *input, hv_config_node **out) {
    /* {"path": input} as JSON (YAML's flow subset), the input escaped. */
    size_t n = strlen(input);
    char *text = malloc(n * 6 + 16);
    if (!text) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    char *w = text + sprintf(text, "{\"path\": \"");
    for (const unsigned char *c = (const unsigned char *)input; *c; c++) {
        if (*c == '"' || *c == '\\') *w++ = '\\';
        if (*c < 0x20) {
            w += sprintf(w, "\\u%04x", *c);
            continue;
        }
        *w++ = (char)*c;
    }
    w += sprintf(w, "\"}");
    hv_status st = hv_config_load_string(text, (size_t)(w - text), "<source>", out);
    free(text);
    return st;
}

hv_status pl_source_open(hv_pipeline *p, const char *component, const char *input, uint64_t every, int64_t limit,
                         double fps, pl_path_set *done, const hv_stage_context *ctx, pl_source **out) {
    *out = NULL;
    pl_source *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(input))) {
        free(s);
        pl_path_set_free(done);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    }
    s->done = *done;
    memset(done, 0, sizeof *done);
    const char *slash = strrchr(s->path, '/');
    s->name = slash ? slash + 1 : s->path;
    s->every = every ? every : 1;
    s->end_id = limit > 0 ? (uint64_t)limit * s->every : UINT64_MAX;
    s->fps = fps;
    hv_status st = make_params(input, &s->params);
    if (!st) st = hv_stage_create_ex(p->reg, HV_COMPONENT_SOURCE, component, "source", s->params, ctx, &s->stage);
    if (st) {
        pl_source_free(s);
        return hv_error_context(st, "%s: source", p->file);
    }
    *out = s;
    return HV_OK;
}

/* Remove metadata `key` from a frame the host made (the frame count is for the host, not the results). */
static void take_meta(hv_frame *f, const char *key) {
    for (size_t i = 0; i < f->n_meta; i++)
        if (!strcmp(f->meta[i].key, key)) {
            free(f->meta[i].key);
            free(f->meta[i].value);
            memmove(&f->meta[i], &f->meta[i + 1], (f->n_meta - i - 1) * sizeof *f->meta);
            f->n_meta--;
            return;
        }
}

hv_status pl_source_next(pl_source *s, size_t batch, pl_batch **out) {
    *out = NULL;
    if (s->ended) return HV_OK;
    uint64_t *ids = malloc((batch ? batch : 1) * sizeof *ids);
    if (!ids) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    size_t n = 0;
    char key[4200];
    hv_status st = HV_OK;
    while (n < batch && s->cursor < s->end_id) {
        uint64_t id = s->cursor;
        s->cursor = s->end_id - id > s->every ? id + s->every : s->end_id;
        s->wanted++;
        snprintf(key, sizeof key, "%s#%06" PRIu64, s->name, id);
        if (pl_path_set_has(&s->done, key)) {
            s->skipped++;
            continue;
        }
        ids[n++] = id;
    }
    if (!n) {
        s->ended = 1;
        free(ids);
        return HV_OK;
    }
    pl_batch *b = calloc(1, sizeof *b);
    if (b) {
        b->frames = calloc(n, sizeof *b->frames);
        b->ptrs = calloc(n, sizeof *b->ptrs);
    }
    if (!b || !b->frames || !b->ptrs) {
        free(ids);
        if (b) {
            free(b->frames);
            free(b->ptrs);
            free(b);
        }
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory for a batch of %zu frames", n);
    }
    for (size_t i = 0; i < n && !st; i++) {
        snprintf(key, sizeof key, "%s#%06" PRIu64, s->name, ids[i]);
        b->n = i + 1;
        b->ptrs[i] = &b->frames[i];
        if (!(st = hv_frame_init(&b->frames[i], ids[i], s->path))) st = hv_frame_set_meta(&b->frames[i], HV_FRAME_KEY_META, "%s", key);
    }
    free(ids);
    if (!st) st = hv_stage_process_all(s->stage, b->ptrs, b->n);
    if (st) {
        pl_batch_free(b);
        return st;
    }
    /* Cut the batch at the stream's end: keep a frame that reports a break (failed), drop the rest. */
    size_t keep = b->n;
    for (size_t i = 0; i < b->n; i++) {
        hv_frame *f = &b->frames[i];
        if (hv_frame_get_meta(f, HV_SOURCE_END_META)) {
            keep = f->error ? i + 1 : i;
            s->ended = 1;
            s->wanted -= b->n - keep;
            if (f->error) hv_log_warn("%s", f->error);
            break;
        }
        const char *declared = hv_frame_get_meta(f, HV_SOURCE_FRAMES_META);
        if (declared) {
            s->declared = strtoull(declared, NULL, 10);
            take_meta(f, HV_SOURCE_FRAMES_META);
        }
        if (s->fps > 0 && !hv_frame_get_meta(f, HV_FRAME_TIME_META) &&
            (st = hv_frame_set_meta(f, HV_FRAME_TIME_META, "%.3f", (double)f->id / s->fps))) {
            pl_batch_free(b);
            return st;
        }
    }
    for (size_t i = keep; i < b->n; i++) hv_frame_clear(&b->frames[i]);
    b->n = keep;
    if (s->declared) {
        uint64_t wanted = (s->declared + s->every - 1) / s->every;
        if (s->end_id != UINT64_MAX && wanted > s->end_id / s->every) wanted = s->end_id / s->every;
        b->total = wanted > s->done.count ? wanted - s->done.count : 0;
    }
    if (!keep) {
        pl_batch_free(b);
        return HV_OK;
    }
    *out = b;
    return HV_OK;
}

uint64_t pl_source_wanted(const pl_source *s) { return s->wanted; }
uint64_t pl_source_skipped(const pl_source *s) { return s->skipped; }

void pl_source_free(pl_source *s) {
    if (!s) return;
    hv_stage_destroy(s->stage);
    hv_config_free(s->params);
    pl_path_set_free(&s->done);
    free(s->path);
    free(s);
}
