/* The exam frame journal and records shared by writer.events and writer.report (exam_journal.h). */
#include "exam_journal.h"

#include "hemovk/log.h"
#include "hemovk/output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

hv_status xj_open(xj_journal *j, int resume, xj_line_fn on_line, void *ctx, size_t *n_read) {
    size_t lines = 0;
    if (n_read) *n_read = 0;
    if (resume) {
        FILE *f = fopen(j->path, "rb");
        if (!f && errno != ENOENT) return hv_error(HV_ERR_IO, "%s: cannot read %s: %s", j->who, j->path, strerror(errno));
        if (f) {
            hv_status st = HV_OK;
            char *line = NULL;
            size_t cap = 0;
            ssize_t len;
            long good = 0;
            while (!st && (len = getline(&line, &cap, f)) > 0) {
                if (line[len - 1] != '\n') break; /* torn by a kill: that frame is done again */
                good = ftell(f);
                cJSON *o = cJSON_Parse(line);
                if (!o) continue; /* not a record (nothing of ours writes such a line) */
                st = on_line(ctx, o);
                cJSON_Delete(o);
                lines++;
            }
            free(line);
            fclose(f);
            if (st) return st;
            if (truncate(j->path, good) != 0)
                return hv_error(HV_ERR_IO, "%s: cannot cut %s: %s", j->who, j->path, strerror(errno));
            hv_log_info("%s: %zu frame%s read back from %s", j->who, lines, lines == 1 ? "" : "s", j->path);
        }
    }
    if (!(j->file = fopen(j->path, resume ? "ab" : "wb")))
        return hv_error_context(hv_output_error(j->path, errno), "%s", j->who);
    if (n_read) *n_read = lines;
    return HV_OK;
}

hv_status xj_write(xj_journal *j, cJSON *o) {
    char *line = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!line) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", j->who);
    int bad = fputs(line, j->file) == EOF || fputc('\n', j->file) == EOF;
    int err = errno;
    free(line);
    return bad ? hv_output_error(j->path, err) : HV_OK;
}

hv_status xj_flush(xj_journal *j) { return hv_output_flush(j->file, j->path, j->sync); }

void xj_close(xj_journal *j) {
    if (j->file) fclose(j->file);
    j->file = NULL;
    free(j->path);
    j->path = NULL;
}

double xj_num(const cJSON *o, const char *key, double def) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

int xj_dup(const char *s, char **out) {
    *out = s ? strdup(s) : NULL;
    return !s || *out;
}

int xj_str(const cJSON *o, const char *key, char **out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return xj_dup(cJSON_IsString(v) ? v->valuestring : NULL, out);
}

hv_status xj_reserve(void **items, size_t *cap, size_t n, size_t size, const char *who) {
    if (n < *cap) return HV_OK;
    size_t grown = *cap ? *cap * 2 : 1024;
    void *g = realloc(*items, grown * size);
    if (!g) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory at %zu frames", who, n);
    *items = g;
    *cap = grown;
    return HV_OK;
}

size_t xj_exam_order(void *items, size_t n, size_t size, int (*cmp)(const void *, const void *),
                     int (*same)(const void *, const void *), void (*free_rec)(void *)) {
    if (!n) return 0;
    qsort(items, n, size, cmp);
    unsigned char *a = items;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && same(a + (k - 1) * size, a + i * size)) {
            free_rec(a + (k - 1) * size); /* sorted by arrival within an index: the later one stays */
            memcpy(a + (k - 1) * size, a + i * size, size);
        } else {
            if (k != i) memcpy(a + k * size, a + i * size, size);
            k++;
        }
    }
    return k;
}

/* Label names match ignoring case, and '-' against '_' ("non-bleeding" = "Non_Bleeding"). */
static int same_name(const char *a, const char *b) {
    if (!a || !b) return 0;
    for (; *a && *b; a++, b++) {
        char x = *a == '_' ? '-' : *a, y = *b == '_' ? '-' : *b;
        if (x != y && (x | 0x20) != (y | 0x20)) return 0;
    }
    return *a == *b;
}

double xj_class_probability(const hv_frame *f, const char *positive, int *decided) {
    if (decided) *decided = 0;
    if (!f->cls.valid) return 0;
    hv_class_rule rule;
    if (hv_frame_class_rule(f, &rule) && f->cls.probs && rule.positive >= 0 && (uint32_t)rule.positive < f->cls.n_probs) {
        if (decided) *decided = f->cls.label == rule.positive;
        return f->cls.probs[rule.positive];
    }
    if (same_name(f->cls.label_name, positive)) {
        if (decided) *decided = 1;
        return f->cls.score;
    }
    if (f->cls.n_probs == 2 && f->cls.probs && (f->cls.label == 0 || f->cls.label == 1))
        return f->cls.probs[1 - f->cls.label]; /* two classes: the other one is the positive one */
    return 0;
}

char *xj_input_root(const char *path, const char *key) {
    if (!path) return strdup("");
    size_t lp = strlen(path), lk = key ? strlen(key) : 0, keep;
    if (lk && lk <= lp && !strcmp(path + lp - lk, key)) {
        keep = lp - lk;
    } else {
        const char *slash = strrchr(path, '/');
        keep = slash ? (size_t)(slash - path) + 1 : 0;
    }
    while (keep > 1 && path[keep - 1] == '/') keep--;
    char *s = malloc(keep + 1);
    if (s) {
        memcpy(s, path, keep);
        s[keep] = '\0';
    }
    return s;
}
