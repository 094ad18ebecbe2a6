/* Scalars: YAML 1.2 core-schema typing of plain scalars, numeric conversion, and the typed getters
 * whose errors name file:line:col and the key path. */
#include "config/config_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int all_in(const char *s, size_t n, const char *set) {
    if (!n) return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr(set, s[i]) || !s[i]) return 0;
    return 1;
}

static int one_of(const char *t, const char *const *words) {
    for (; *words; words++)
        if (!strcmp(t, *words)) return 1;
    return 0;
}

/* [-+]? ( \.[0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?  — the core schema's float. */
static int is_core_float(const char *s, size_t n) {
    size_t i = 0, mant = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) i++;
    while (i < n && is_digit(s[i])) i++, mant++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i])) i++, mant++;
    }
    if (!mant) return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+')) i++;
        size_t e = 0;
        while (i < n && is_digit(s[i])) i++, e++;
        if (!e) return 0;
    }
    return i == n;
}

hv_scalar_type hv_config_resolve_plain(const char *t, size_t n) {
    static const char *const nulls[] = {"null", "Null", "NULL", "~", NULL};
    static const char *const bools[] = {"true", "True", "TRUE", "false", "False", "FALSE", NULL};
    static const char *const specials[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
                                           "-.INF", ".nan", ".NaN", ".NAN", NULL};
    if (n == 0 || one_of(t, nulls)) return HV_SCALAR_NULL;
    if (strlen(t) != n) return HV_SCALAR_STRING; /* embedded NUL: only strings can hold one */
    if (one_of(t, bools)) return HV_SCALAR_BOOL;
    size_t i = (t[0] == '-' || t[0] == '+') ? 1 : 0;
    if (i < n && all_in(t + i, n - i, "0123456789")) return HV_SCALAR_INT;
    if (n > 2 && t[0] == '0' && t[1] == 'o' && all_in(t + 2, n - 2, "01234567")) return HV_SCALAR_INT;
    if (n > 2 && t[0] == '0' && t[1] == 'x' && all_in(t + 2, n - 2, "0123456789abcdefABCDEF")) return HV_SCALAR_INT;
    if (one_of(t, specials) || is_core_float(t, n)) return HV_SCALAR_FLOAT;
    return HV_SCALAR_STRING;
}

int hv_config_number(const hv_config_node *n, double *out) {
    if (!n || n->kind != HV_CONFIG_SCALAR) return 0;
    const char *t = n->text;
    if (n->stype == HV_SCALAR_INT) {
        if (t[0] == '0' && (t[1] == 'o' || t[1] == 'x')) {
            *out = (double)strtoull(t + 2, NULL, t[1] == 'o' ? 8 : 16);
            return 1;
        }
        *out = strtod(t, NULL);
        return 1;
    }
    if (n->stype != HV_SCALAR_FLOAT) return 0;
    const char *s = t;
    double sign = 1;
    if (*s == '-' || *s == '+') sign = *s++ == '-' ? -1 : 1;
    if (s[0] == '.' && (s[1] == 'i' || s[1] == 'I')) *out = sign * INFINITY;
    else if (s[0] == '.' && (s[1] == 'n' || s[1] == 'N')) *out = NAN;
    else *out = strtod(t, NULL);
    return 1;
}

int hv_config_integer(const hv_config_node *n, int64_t *out) {
    if (!n || n->kind != HV_CONFIG_SCALAR) return 0;
    if (n->stype == HV_SCALAR_INT) {
        const char *t = n->text;
        errno = 0;
        if (t[0] == '0' && (t[1] == 'o' || t[1] == 'x')) {
            unsigned long long u = strtoull(t + 2, NULL, t[1] == 'o' ? 8 : 16);
            if (errno || u > (unsigned long long)INT64_MAX) return 0;
            *out = (int64_t)u;
            return 1;
        }
        long long v = strtoll(t, NULL, 10);
        if (errno) return 0;
        *out = v;
        return 1;
    }
    double d;
    /* 2^63 is exactly representable; anything at or beyond it does not fit. */
    if (n->stype == HV_SCALAR_FLOAT && hv_config_number(n, &d) && isfinite(d) && d == floor(d) &&
        d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
        *out = (int64_t)d;
        return 1;
    }
    return 0;
}

const char *hv_config_describe_value(const hv_config_node *n, char *buf, size_t size) {
    if (!n) snprintf(buf, size, "nothing");
    else if (n->kind == HV_CONFIG_MAP) snprintf(buf, size, "a mapping");
    else if (n->kind == HV_CONFIG_SEQ) snprintf(buf, size, "a list");
    else if (n->stype == HV_SCALAR_NULL) snprintf(buf, size, "null");
    else if (n->stype == HV_SCALAR_STRING) {
        /* Keep messages one line and short: cut at a newline or 40 bytes (on a UTF-8 boundary). */
        size_t len = 0;
        while (len < n->text_len && n->text[len] != '\n' && n->text[len] != '\0' && len < 40) len++;
        while (len > 0 && len < n->text_len && ((unsigned char)n->text[len] & 0xC0) == 0x80) len--;
        snprintf(buf, size, "'%.*s%s'", (int)len, n->text, len < n->text_len ? "…" : "");
    } else snprintf(buf, size, "%s", n->text);
    return buf;
}

/* ---- typed conversion --------------------------------------------------------------------------- */

static hv_status type_error(const hv_config_node *n, const char *expected, const char *hint) {
    char path[512], got[96];
    hv_config_path(n, path, sizeof path);
    hv_config_describe_value(n, got, sizeof got);
    return hv_error(HV_ERR_SCHEMA, "%s:%d:%d: key '%s': expected %s, got %s%s", hv_config_file(n),
                    hv_config_line(n), hv_config_column(n), path[0] ? path : "(document)", expected, got,
                    hint ? hint : "");
}

/* A plain scalar that YAML typed as something other than a string, where a string was wanted, is a
 * common surprise (`id: 2024`, `when: yes`): say how to make it a string. */
static const char *quote_hint(const hv_config_node *n) {
    return n && n->kind == HV_CONFIG_SCALAR && n->stype != HV_SCALAR_STRING && n->stype != HV_SCALAR_NULL
               ? " (put it in quotes to make it a string)"
               : NULL;
}

hv_status hv_config_as_int(const hv_config_node *node, int64_t *out) {
    if (!node || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_config_as_int: NULL argument");
    double d;
    if (hv_config_integer(node, out)) return HV_OK;
    if (hv_config_number(node, &d) && (node->stype == HV_SCALAR_INT || d == floor(d)))
        return type_error(node, "an integer in the 64-bit range", NULL);
    return type_error(node, "an integer", NULL);
}

hv_status hv_config_as_double(const hv_config_node *node, double *out) {
    if (!node || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_config_as_double: NULL argument");
    if (hv_config_number(node, out)) return HV_OK;
    return type_error(node, "a number", NULL);
}

hv_status hv_config_as_bool(const hv_config_node *node, int *out) {
    if (!node || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_config_as_bool: NULL argument");
    if (node->kind == HV_CONFIG_SCALAR && node->stype == HV_SCALAR_BOOL) {
        *out = node->text[0] == 't' || node->text[0] == 'T';
        return HV_OK;
    }
    return type_error(node, "true or false", NULL);
}

hv_status hv_config_as_string(const hv_config_node *node, const char **out) {
    if (!node || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_config_as_string: NULL argument");
    if (node->kind == HV_CONFIG_SCALAR && node->stype == HV_SCALAR_STRING) {
        *out = node->text;
        return HV_OK;
    }
    return type_error(node, "a string", quote_hint(node));
}

hv_status hv_config_resolve_path(const hv_config_node *node, char **out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_config_resolve_path: NULL argument");
    *out = NULL;
    const char *text = NULL;
    hv_status st = hv_config_as_string(node, &text);
    if (st) return st;
    const char *file = hv_config_file(node);
    const char *slash = file ? strrchr(file, '/') : NULL;
    size_t dir_len = (text[0] == '/' || !file || file[0] == '<' || !slash) ? 0 : (size_t)(slash - file) + 1;
    size_t n = dir_len + strlen(text) + 1;
    char *p = malloc(n);
    if (!p) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory resolving '%s'", text);
    snprintf(p, n, "%.*s%s", (int)dir_len, dir_len ? file : "", text);
    *out = p;
    return HV_OK;
}

/* Shared shape of the get_* lookups: absent or explicit null → default. */
static const hv_config_node *lookup(const hv_config_node *map, const char *key) {
    const hv_config_node *v = hv_config_get(map, key);
    return v && v->kind == HV_CONFIG_SCALAR && v->stype == HV_SCALAR_NULL ? NULL : v;
}

hv_status hv_config_get_int(const hv_config_node *map, const char *key, int64_t def, int64_t *out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_config_get_int: out is NULL");
    const hv_config_node *v = lookup(map, key);
    if (!v) return *out = def, HV_OK;
    return hv_config_as_int(v, out);
}

hv_status hv_config_get_double(const hv_config_node *map, const char *key, double def, double *out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_config_get_double: out is NULL");
    const hv_config_node *v = lookup(map, key);
    if (!v) return *out = def, HV_OK;
    return hv_config_as_double(v, out);
}

hv_status hv_config_get_bool(const hv_config_node *map, const char *key, int def, int *out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_config_get_bool: out is NULL");
    const hv_config_node *v = lookup(map, key);
    if (!v) return *out = def, HV_OK;
    return hv_config_as_bool(v, out);
}

hv_status hv_config_get_string(const hv_config_node *map, const char *key, const char *def, const char **out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_config_get_string: out is NULL");
    const hv_config_node *v = lookup(map, key);
    if (!v) return *out = def, HV_OK;
    return hv_config_as_string(v, out);
}

/* Shared shape of the need_* lookups: the key must be there (explicit null included — the as_* call then
 * names it as the wrong type). Absent means the schema that should have filled it has no default for it,
 * or these params never met their schema: say so instead of inventing a value. */
static hv_status need(const hv_config_node *map, const char *key, const char *fn, const hv_config_node **v) {
    if (!key) return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: key is NULL", fn);
    if ((*v = hv_config_get(map, key))) return HV_OK;
    if (!map) return hv_error(HV_ERR_SCHEMA, "key '%s' is missing: no params mapping (were the params validated "
                                             "against their schema?)", key);
    char path[512];
    hv_config_path(map, path, sizeof path);
    return hv_error(HV_ERR_SCHEMA, "%s:%d:%d: key '%s%s%s' is missing: its schema should have filled a default "
                                   "(a parameter without a schema default, or params not validated)",
                    hv_config_file(map), hv_config_line(map), hv_config_column(map), path, path[0] ? "." : "", key);
}

hv_status hv_config_need(const hv_config_node *map, const char *key, const hv_config_node **out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_config_need: out is NULL");
    return need(map, key, "hv_config_need", out);
}

hv_status hv_config_need_int(const hv_config_node *map, const char *key, int64_t *out) {
    const hv_config_node *v = NULL;
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_config_need_int: out is NULL");
    hv_status st = need(map, key, "hv_config_need_int", &v);
    return st ? st : hv_config_as_int(v, out);
}

hv_status hv_config_need_double(const hv_config_node *map, const char *key, double *out) {
    const hv_config_node *v = NULL;
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_config_need_double: out is NULL");
    hv_status st = need(map, key, "hv_config_need_double", &v);
    return st ? st : hv_config_as_double(v, out);
}

hv_status hv_config_need_bool(const hv_config_node *map, const char *key, int *out) {
    const hv_config_node *v = NULL;
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_config_need_bool: out is NULL");
    hv_status st = need(map, key, "hv_config_need_bool", &v);
    return st ? st : hv_config_as_bool(v, out);
}

hv_status hv_config_need_string(const hv_config_node *map, const char *key, const char **out) {
    const hv_config_node *v = NULL;
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_config_need_string: out is NULL");
    hv_status st = need(map, key, "hv_config_need_string", &v);
    return st ? st : hv_config_as_string(v, out);
}
