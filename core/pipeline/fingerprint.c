/* The run fingerprint (fingerprint.h). */
#include "pipeline/fingerprint.h"

#include "hemovk/log.h"
#include "hemovk/output.h"
#include "util/sha256.h"
#include "weights/opened.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FP_FILE ".hemovk-run.json"

#ifndef HEMOVK_VERSION
#define HEMOVK_VERSION "unknown"
#endif

typedef struct strbuf {
    char *s;
    size_t n, cap;
    int oom;
} strbuf;

static void put(strbuf *b, const char *t) {
    size_t k = strlen(t);
    if (b->oom) return;
    if (b->n + k + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 1024) + k;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->n, t, k + 1);
    b->n += k;
}

typedef struct kv {
    const char *key;
    const hv_config_node *value;
} kv;

static int cmp_kv(const void *x, const void *y) { return strcmp(((const kv *)x)->key, ((const kv *)y)->key); }

static void walk(strbuf *b, const hv_config_node *n, char *path, size_t len, size_t cap) {
    switch (hv_config_kind_of(n)) {
    case HV_CONFIG_MAP: {
        size_t k = hv_config_size(n);
        kv *items = calloc(k ? k : 1, sizeof *items);
        if (!items) {
            b->oom = 1;
            return;
        }
        for (size_t i = 0; i < k; i++) items[i] = (kv){hv_config_key_at(n, i), hv_config_value_at(n, i)};
        qsort(items, k, sizeof *items, cmp_kv);
        for (size_t i = 0; i < k; i++) {
            int w = snprintf(path + len, cap - len, "%s%s", len ? "." : "", items[i].key ? items[i].key : "");
            if (w > 0 && len + (size_t)w < cap) walk(b, items[i].value, path, len + (size_t)w, cap);
        }
        if (!k) {
            put(b, path);
            put(b, " = {}\n");
        }
        free(items);
        return;
    }
    case HV_CONFIG_SEQ: {
        size_t k = hv_config_size(n);
        for (size_t i = 0; i < k; i++) {
            int w = snprintf(path + len, cap - len, "[%zu]", i);
            if (w > 0 && len + (size_t)w < cap) walk(b, hv_config_item(n, i), path, len + (size_t)w, cap);
        }
        if (!k) {
            put(b, path);
            put(b, " = []\n");
        }
        return;
    }
    default: {
        const char *t = hv_config_text(n);
        put(b, path);
        put(b, " = ");
        put(b, t ? t : "");
        put(b, "\n");
    }
    }
}

char *pl_config_canonical(const hv_config_node *root) {
    strbuf b = {0};
    char path[2048] = "";
    walk(&b, root, path, 0, sizeof path);
    put(&b, "");
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

static cJSON *make(hv_pipeline *p, hv_status *st) {
    cJSON *o = cJSON_CreateObject();
    char *canon = pl_config_canonical(p->doc);
    if (!o || !canon) {
        cJSON_Delete(o);
        free(canon);
        *st = hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory making the run fingerprint");
        return NULL;
    }
    cJSON_AddStringToObject(o, "hemovk", HEMOVK_VERSION);
    cJSON *lines = cJSON_AddArrayToObject(o, "pipeline");
    for (char *l = strtok(canon, "\n"); l; l = strtok(NULL, "\n")) cJSON_AddItemToArray(lines, cJSON_CreateString(l));
    free(canon);
    cJSON *weights = cJSON_AddArrayToObject(o, "weights");
    for (size_t i = p->weights_first; i < p->weights_end && !*st; i++) {
        char *path = hv_weights_opened_path(i);
        char hex[65];
        if (!path) {
            *st = hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory making the run fingerprint");
            break;
        }
        if (!(*st = hv_sha256_file(path, hex))) {
            cJSON *w = cJSON_CreateObject();
            cJSON_AddStringToObject(w, "path", path);
            cJSON_AddStringToObject(w, "sha256", hex);
            cJSON_AddItemToArray(weights, w);
        }
        free(path);
    }
    if (*st) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Append "what changed" lines comparing the stored fingerprint `old` with `cur`; returns the count. */
static int describe_changes(const cJSON *old, const cJSON *cur, strbuf *why) {
    int changes = 0;
    char line[1200];
    const char *ov = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(old, "hemovk"));
    const char *cv = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cur, "hemovk"));
    if (!ov || !cv || strcmp(ov, cv)) {
        snprintf(line, sizeof line, "\n  hemovk version: %s then, %s now", ov ? ov : "?", cv ? cv : "?");
        put(why, line);
        changes++;
    }
    /* pipeline: lines only in one of the two (both lists are sorted by path within each mapping) */
    const cJSON *ol = cJSON_GetObjectItemCaseSensitive(old, "pipeline"), *cl = cJSON_GetObjectItemCaseSensitive(cur, "pipeline");
    const cJSON *a, *b;
    int shown = 0;
    cJSON_ArrayForEach(a, ol) {
        int found = 0;
        cJSON_ArrayForEach(b, cl) if (cJSON_IsString(a) && cJSON_IsString(b) && !strcmp(a->valuestring, b->valuestring)) {
            found = 1;
            break;
        }
        if (!found && cJSON_IsString(a)) {
            if (shown++ < 8) {
                snprintf(line, sizeof line, "\n  pipeline: was  %s", a->valuestring);
                put(why, line);
            }
            changes++;
        }
    }
    cJSON_ArrayForEach(b, cl) {
        int found = 0;
        cJSON_ArrayForEach(a, ol) if (cJSON_IsString(a) && cJSON_IsString(b) && !strcmp(a->valuestring, b->valuestring)) {
            found = 1;
            break;
        }
        if (!found && cJSON_IsString(b)) {
            if (shown++ < 8) {
                snprintf(line, sizeof line, "\n  pipeline: now  %s", b->valuestring);
                put(why, line);
            }
            changes++;
        }
    }
    /* weights: by position, path and hash */
    const cJSON *ow = cJSON_GetObjectItemCaseSensitive(old, "weights"), *cw = cJSON_GetObjectItemCaseSensitive(cur, "weights");
    int no = cJSON_GetArraySize(ow), nc = cJSON_GetArraySize(cw);
    for (int i = 0; i < (no > nc ? no : nc); i++) {
        const cJSON *x = cJSON_GetArrayItem(ow, i), *y = cJSON_GetArrayItem(cw, i);
        const char *xp = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "path"));
        const char *yp = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(y, "path"));
        const char *xh = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "sha256"));
        const char *yh = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(y, "sha256"));
        if (xp && yp && xh && yh && !strcmp(xp, yp) && !strcmp(xh, yh)) continue;
        if (xp && yp && !strcmp(xp, yp))
            snprintf(line, sizeof line, "\n  weights %s: contents changed (sha256 %.12s… then, %.12s… now)", xp, xh ? xh : "?",
                     yh ? yh : "?");
        else
            snprintf(line, sizeof line, "\n  weights file %d: %s then, %s now", i + 1, xp ? xp : "(none)", yp ? yp : "(none)");
        put(why, line);
        changes++;
    }
    return changes;
}

static hv_status read_stored(const char *path, cJSON **out) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return errno == ENOENT ? HV_OK : hv_error(HV_ERR_IO, "--resume: cannot read %s: %s", path, strerror(errno));
    char *text = NULL;
    size_t cap = 0, n = 0;
    char chunk[8192];
    size_t r;
    while ((r = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (n + r + 1 > cap) {
            cap = (cap + r + 1) * 2;
            char *t = realloc(text, cap);
            if (!t) {
                free(text);
                fclose(f);
                return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory reading %s", path);
            }
            text = t;
        }
        memcpy(text + n, chunk, r);
        n += r;
    }
    fclose(f);
    if (text) text[n] = '\0';
    *out = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!*out) return hv_error(HV_ERR_PARSE, "--resume: %s is not the JSON hemovk wrote: cannot tell what the earlier run used", path);
    return HV_OK;
}

hv_status pl_fingerprint_apply(hv_pipeline *p, const char *out_dir, int resume) {
    size_t n = strlen(out_dir) + sizeof FP_FILE + 2;
    char *path = malloc(n);
    if (!path) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    snprintf(path, n, "%s/%s", out_dir, FP_FILE);
    hv_status st = HV_OK;
    cJSON *cur = make(p, &st);
    cJSON *old = NULL;
    if (!st && resume) st = read_stored(path, &old);
    if (!st && resume && !old)
        hv_log_warn("--resume: %s has no run fingerprint (%s; an older hemovk wrote it): cannot check that the pipeline "
                    "and weights are the ones it ran with", out_dir, FP_FILE);
    if (!st && old) {
        strbuf why = {0};
        int changes = describe_changes(old, cur, &why);
        if (changes)
            st = hv_error(HV_ERR_INVALID_ARGUMENT,
                          "--resume: %s was written by a different run (%d change%s):%s\nresuming would mix two runs' results; "
                          "run without --resume into a new --output folder, or restore the earlier pipeline and weights",
                          out_dir, changes, changes == 1 ? "" : "s", why.s ? why.s : "");
        free(why.s);
    }
    if (!st) {
        char *text = cJSON_Print(cur);
        if (!text) st = hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
        else {
            size_t len = strlen(text);
            text[len] = '\n'; /* cJSON allocates len + 1: replace the NUL, write len + 1 bytes */
            st = hv_output_write_file(path, text, len + 1, 1);
            free(text);
        }
    }
    cJSON_Delete(old);
    cJSON_Delete(cur);
    free(path);
    return st;
}
