/* The list of errors one validation collects, and the small text helpers the messages need. */
#include "config/schema_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hv_schema_errors_addv(hv_schema_errors *e, const hv_config_node *at, const hv_config_node *about, int kind,
                           const char *fmt, va_list ap) {
    if (e->n >= HV_SCHEMA_MAX_ERRORS) {
        e->truncated = 1;
        return;
    }
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 8;
        hv_schema_error_entry *v = realloc(e->v, cap * sizeof *v);
        if (!v) {
            e->oom = 1;
            return;
        }
        e->v = v;
        e->cap = cap;
    }
    char what[1024], prefix[600];
    vsnprintf(what, sizeof what, fmt, ap);
    int np = snprintf(prefix, sizeof prefix, "%s:%d:%d: ", hv_config_file(at), hv_config_line(at), hv_config_column(at));
    if (np < 0) np = 0;
    if ((size_t)np >= sizeof prefix) np = (int)sizeof prefix - 1;
    size_t nw = strlen(what);
    char *msg = malloc((size_t)np + nw + 1);
    if (!msg) {
        e->oom = 1;
        return;
    }
    memcpy(msg, prefix, (size_t)np);
    memcpy(msg + np, what, nw + 1);
    hv_schema_error_entry *x = &e->v[e->n];
    x->message = msg;
    x->what_offset = (size_t)np;
    x->file = hv_config_file(at);
    x->line = hv_config_line(at);
    x->column = hv_config_column(at);
    x->node = about;
    x->kind = kind;
    x->seq = e->n;
    e->n++;
}

void hv_schema_errors_clear(hv_schema_errors *e) {
    for (size_t i = 0; i < e->n; i++) free(e->v[i].message);
    free(e->v);
    e->v = NULL;
    e->n = e->cap = 0;
    e->truncated = e->oom = 0;
}

static int by_position(const void *a, const void *b) {
    const hv_schema_error_entry *x = a, *y = b;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    if (x->column != y->column) return x->column < y->column ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void hv_schema_errors_sort(hv_schema_errors *e) {
    if (e->n > 1) qsort(e->v, e->n, sizeof *e->v, by_position);
}

size_t hv_schema_errors_count(const hv_schema_errors *errors) { return errors ? errors->n : 0; }

const char *hv_schema_errors_message(const hv_schema_errors *errors, size_t i) {
    return errors && i < errors->n ? errors->v[i].message : NULL;
}

const char *hv_schema_errors_at(const hv_schema_errors *errors, size_t i, const char **file, int *line, int *column) {
    if (!errors || i >= errors->n) return NULL;
    const hv_schema_error_entry *x = &errors->v[i];
    if (file) *file = x->file;
    if (line) *line = x->line;
    if (column) *column = x->column;
    return x->message + x->what_offset;
}

int hv_schema_errors_truncated(const hv_schema_errors *errors) { return errors ? errors->truncated : 0; }

void hv_schema_errors_free(hv_schema_errors *errors) {
    if (!errors) return;
    hv_schema_errors_clear(errors);
    free(errors);
}

size_t hv_schema_edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return 64;
    if (la > lb + 2 || lb > la + 2) return la > lb ? la - lb : lb - la; /* too far to suggest: skip the table */
    size_t row[64];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            if (up + 1 < best) best = up + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const hv_config_node *hv_schema_resolve_ref(const hv_config_node *root, const char *ref) {
    if (!ref || ref[0] != '#') return NULL;
    const hv_config_node *n = root;
    const char *p = ref + 1;
    if (!*p) return root;
    if (*p != '/') return NULL;
    while (n && *p == '/') {
        p++;
        char token[256];
        size_t len = 0;
        while (*p && *p != '/') {
            char c = *p++;
            if (c == '~' && (*p == '0' || *p == '1')) c = *p++ == '0' ? '~' : '/';
            if (len + 1 >= sizeof token) return NULL;
            token[len++] = c;
        }
        token[len] = '\0';
        if (n->kind == HV_CONFIG_MAP) {
            n = hv_config_get(n, token);
        } else if (n->kind == HV_CONFIG_SEQ) {
            char *end;
            unsigned long idx = strtoul(token, &end, 10);
            n = (*token && !*end) ? hv_config_item(n, idx) : NULL;
        } else {
            return NULL;
        }
    }
    return n;
}

int hv_schema_compile_pattern(const char *pattern, regex_t *re) {
    /* JSON Schema patterns are ECMA-262; the subset people write for names (^[a-z][a-z0-9_]*$) is the
     * same in POSIX ERE, except the \d shorthand, which glibc lacks: translate it. */
    size_t n = strlen(pattern);
    char *t = malloc(n * 5 + 1);
    if (!t) return -1;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (pattern[i] == '\\' && (pattern[i + 1] == 'd' || pattern[i + 1] == 'D')) {
            const char *rep = pattern[i + 1] == 'd' ? "[0-9]" : "[^0-9]";
            memcpy(t + o, rep, strlen(rep));
            o += strlen(rep);
            i++;
        } else if (pattern[i] == '\\' && pattern[i + 1]) {
            t[o++] = pattern[i++];
            t[o++] = pattern[i];
        } else {
            t[o++] = pattern[i];
        }
    }
    t[o] = '\0';
    int rc = regcomp(re, t, REG_EXTENDED | REG_NOSUB);
    free(t);
    return rc;
}
