/* File reading, JSON parsing with file:line:column errors and small allocation helpers for the
 * evaluation library's readers (gt_internal.h). */
#include "gt_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

hv_status ev_read_text(const char *path, const char *what, char **out, size_t *len) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return hv_error(HV_ERR_IO, "%s %s: %s", what, path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1) break;
        char *nb = realloc(buf, cap * 2);
        if (!nb) free(buf);
        buf = nb;
        cap *= 2;
    }
    const int err = ferror(f);
    fclose(f);
    if (!buf) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s %s: out of memory reading it", what, path);
    if (err) {
        free(buf);
        return hv_error(HV_ERR_IO, "%s %s: read error", what, path);
    }
    buf[n] = '\0';
    if (len) *len = n;
    *out = buf;
    return HV_OK;
}

void ev_line_col(const char *text, size_t offset, size_t *line, size_t *col) {
    size_t l = 1, c = 1;
    for (size_t i = 0; i < offset && text[i]; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

hv_status ev_json_parse(const char *text, const char *path, size_t first_line, cJSON **out) {
    const char *end = NULL;
    *out = cJSON_ParseWithOpts(text, &end, 1);
    if (*out) return HV_OK;
    /* cJSON leaves the error position in `end` (cJSON_GetErrorPtr is global state: not thread-safe) */
    size_t off = end && end >= text ? (size_t)(end - text) : 0, line, col;
    ev_line_col(text, off, &line, &col);
    char near[24] = {0};
    size_t k = 0;
    for (const char *p = text + off; *p && *p != '\n' && k < sizeof near - 1; p++) near[k++] = *p;
    if (!text[off]) return hv_error(HV_ERR_PARSE, "%s:%zu:%zu: malformed JSON: unexpected end of input", path,
                                    line + first_line - 1, col);
    return hv_error(HV_ERR_PARSE, "%s:%zu:%zu: malformed JSON near '%s'", path, line + first_line - 1, col, near);
}

int ev_json_number(const cJSON *obj, const char *key, double *value, int *present) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *present = v != NULL && !cJSON_IsNull(v);
    *value = 0;
    if (!*present) return 0;
    if (!cJSON_IsNumber(v)) return -1;
    *value = v->valuedouble;
    return 0;
}

int ev_json_int_in(const cJSON *v, double lo, double hi) {
    return cJSON_IsNumber(v) && v->valuedouble >= lo && v->valuedouble <= hi && v->valuedouble == floor(v->valuedouble);
}

char *ev_strdup(const char *s) {
    char *d = strdup(s ? s : "");
    if (!d) hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory");
    return d;
}

char *ev_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

int ev_grow(void **items, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need) {
        if (c > ((size_t)-1 / 2) / elem) return -1;
        c *= 2;
    }
    void *p = realloc(*items, c * elem);
    if (!p) return -1;
    *items = p;
    *cap = c;
    return 0;
}

int ev_is_dir(const char *path) {
    struct stat sb;
    return path && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

int ev_is_file(const char *path) {
    struct stat sb;
    return path && stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

char *ev_list_names(const char *const *names, size_t n, size_t max) {
    size_t len = 32;
    for (size_t i = 0; i < n && i < max; i++) len += strlen(names[i]) + 4;
    char *s = malloc(len);
    if (!s) return NULL;
    size_t at = 0;
    s[0] = '\0';
    for (size_t i = 0; i < n && i < max; i++)
        at += (size_t)snprintf(s + at, len - at, "%s'%s'", i ? ", " : "", names[i]);
    if (n > max) snprintf(s + at, len - at, " and %zu more", n - max);
    return s;
}
